"""The browser tests' toolbox: a Depot server under test (`Server`), headless Chromium
(`start_browser`), and UI helpers that find things the way a user does (by label, by
button text, by visible text), so that tests never depend on CSS classes or ids.

Everything here is plain functions and classes; conftest.py turns them into fixtures.
"""

import ctypes
import hashlib
import json as jsonlib
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field as dataclass_field

from selenium import webdriver
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

REPO_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUTPUT_DIR = os.path.join(REPO_DIR, "target", "browser-test-output")
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")

ROOT_KEY = "DPBROWSERROOTKEY0001"
ROOT_SECRET = "browser-root-secret-key-0000000000000000"
REGION = "us-east-1"
PHONE_SIZE = (390, 844)

# --------------------------------------------------------------------------- server


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, however it dies."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# urllib without proxies from the environment: the server is on 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER_NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass
class Response:
    status: int
    headers: object  # an http.client.HTTPMessage: case-insensitive .get(name)
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.body) if self.body else None


@dataclass
class User:
    """An account made by `Server.new_user`: its name, password and a login token."""

    username: str
    password: str
    token: str
    server: "Server" = dataclass_field(repr=False)

    def json(self, method, path, body=None):
        return self.server.json(method, path, token=self.token, body=body)

    def create_key(self):
        """A new access key of this user: (access_key_id, secret_access_key)."""
        return self.server.create_key(self.token)

    def s3(self):
        """A boto3 S3 client with a new access key of this user."""
        return self.server.s3_for(*self.create_key())


class Server:
    """One `depot serve` on a free 127.0.0.1 port with its own temp data dir and fixed
    root credentials. `env` adds to (or, with None values, removes from) the server's
    environment; DEPOT_* variables of the test environment are not passed on, except
    DEPOT_CONSOLE_DIR."""

    def __init__(self, binary, env=None, name="depot"):
        self.binary = binary
        self.name = name
        self.extra_env = dict(env or {})
        self.root_key = ROOT_KEY
        self.root_secret = ROOT_SECRET
        self.proc = None
        self.port = None
        self.url = None
        self.console_url = None
        self.work_dir = None
        self.data_dir = None
        self.log_path = None
        self.console_dir = None

    def _environment(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DEPOT_")}
        if os.environ.get("DEPOT_CONSOLE_DIR"):
            env["DEPOT_CONSOLE_DIR"] = os.path.abspath(os.environ["DEPOT_CONSOLE_DIR"])
        env.update(
            DEPOT_ADDR=f"127.0.0.1:{self.port}",
            DEPOT_DATA_DIR=self.data_dir,
            DEPOT_ROOT_ACCESS_KEY=self.root_key,
            DEPOT_ROOT_SECRET_KEY=self.root_secret,
            DEPOT_LOG_LEVEL="warn",
            DEPOT_SCRUB_BYTES_PER_SEC="0",
            # Tests register and log in many users from one IP.
            DEPOT_LOGIN_RATE_LIMIT="100000/minute",
            NO_COLOR="1",
        )
        for key, value in self.extra_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    def start(self):
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError(f"no server binary at {self.binary}: run 'cargo build --release --bin depot' first")
        self.work_dir = tempfile.mkdtemp(prefix=f"depot-browser-{self.name}.")
        self.log_path = os.path.join(self.work_dir, "server.log")
        for attempt in range(3):
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.console_url = self.url + "/_depot/console/"
            self.data_dir = os.path.join(self.work_dir, f"data{attempt}")
            env = self._environment()
            self.console_dir = env.get("DEPOT_CONSOLE_DIR")
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [self.binary, "serve"],
                    cwd=self.work_dir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C goes to pytest, which stops the server
                    preexec_fn=_die_with_parent,
                )
            if self._wait_healthy(20):
                return self
            self._stop_process()
        tail = self.log_tail(30)
        self.stop()
        raise RuntimeError(f"the server did not come up (3 tries); its log ends:\n{tail}")

    def _wait_healthy(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.request("GET", "/_depot/health", timeout=5).status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def _stop_process(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        """Stops the server (SIGTERM, SIGKILL after 10 s) and removes its work dir."""
        try:
            self._stop_process()
        finally:
            if self.work_dir:
                shutil.rmtree(self.work_dir, ignore_errors=True)
                self.work_dir = None

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except (OSError, TypeError):
            return 0

    def log_since(self, offset=0):
        """The server's log from byte `offset` on."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, lines=20):
        return "\n".join(self.log_since().splitlines()[-lines:])

    # -- HTTP

    def request(self, method, path, headers=None, body=None, follow_redirects=False, timeout=30):
        """A raw HTTP request to `path` (absolute path or full URL): a `Response`,
        whatever its status."""
        url = path if path.startswith("http") else self.url + path
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        opener = _OPENER if follow_redirects else _OPENER_NO_REDIRECT
        try:
            with opener.open(req, timeout=timeout) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, e.headers, e.read())

    def json(self, method, path, token=None, body=None):
        """A JSON API call: (status, parsed body; the text if it is not JSON, None if empty)."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = jsonlib.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        resp = self.request(method, path, headers=headers, body=data)
        try:
            parsed = resp.json()
        except ValueError:
            parsed = resp.text
        return resp.status, parsed

    def register(self, username, password):
        status, body = self.json("POST", "/_depot/auth/register", body={"username": username, "password": password})
        assert status == 201, f"register {username}: {status} {body}"
        return body

    def login(self, username, password):
        """A login token."""
        status, body = self.json("POST", "/_depot/auth/login", body={"username": username, "password": password})
        assert status == 200, f"login {username}: {status} {body}"
        return body["token"]

    def new_user(self, prefix="user"):
        """A new account with a unique name and a valid password, logged in."""
        username = f"{prefix}-{secrets.token_hex(4)}"
        password = f"pw-{secrets.token_hex(8)}"
        self.register(username, password)
        return User(username, password, self.login(username, password), self)

    def create_key(self, token):
        """A new access key for the user of `token`: (access_key_id, secret_access_key)."""
        status, body = self.json("POST", "/_depot/auth/keys", token=token)
        assert status == 201, f"create key: {status} {body}"
        return body["access_key_id"], body["secret_access_key"]

    # -- S3

    def s3_for(self, key, secret):
        """A boto3 S3 client with these credentials (path style, SigV4, us-east-1)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            region_name=REGION,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def s3(self):
        """A boto3 S3 client as root."""
        return self.s3_for(self.root_key, self.root_secret)


# --------------------------------------------------------------------------- browser


def start_browser(download_dir, size=(1280, 800)):
    """Headless Chromium through Debian's chromedriver (never a downloaded one), with
    the browser console log kept and downloads going to `download_dir`."""
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={size[0]},{size[1]}",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--password-store=basic",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": download_dir,
            "download.prompt_for_download": False,
            "download.directory_upgrade": True,
            "safebrowsing.enabled": False,
            "credentials_enable_service": False,
            "profile.password_manager_enabled": False,
        },
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    except WebDriverException:
        pass  # the prefs above still apply
    driver.download_dir = download_dir
    driver.console_entries = []
    return driver


def as_phone(driver, width=PHONE_SIZE[0], height=PHONE_SIZE[1]):
    """Makes the page a phone's: a width×height viewport (390×844 by default), mobile."""
    driver.set_window_size(width, height)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 3, "mobile": True}
    )
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return driver


def browser_log(driver):
    """Every browser console entry since the browser started (dicts with level, message,
    timestamp). Chromium hands each entry out once; this keeps them on the driver."""
    try:
        driver.console_entries.extend(driver.get_log("browser"))
    except WebDriverException:
        pass
    return list(driver.console_entries)


def console_errors(driver):
    """The SEVERE entries of the browser console: uncaught errors, failed loads, CSP."""
    return [e for e in browser_log(driver) if e.get("level") == "SEVERE"]


def wait_for_download(driver, name=None, timeout=20, allow_empty=False):
    """The path of a finished download in `driver.download_dir` (`name`, or the first);
    an empty file counts only with `allow_empty`."""
    def done(_):
        names = os.listdir(driver.download_dir)
        # Chromium reserves the final name with an empty file while the bytes go to a
        # .crdownload beside it: finished means no .crdownload is left.
        if any(f.endswith(".crdownload") for f in names):
            return False
        files = [f for f in names if not f.endswith(".tmp")]
        if name is not None:
            files = [f for f in files if f == name]
        if not allow_empty:
            files = [f for f in files if os.path.getsize(os.path.join(driver.download_dir, f)) > 0]
        return os.path.join(driver.download_dir, sorted(files)[0]) if files else False

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(done, f"no download {name or ''} in {timeout}s")


def save_artifacts(driver, name, server=None, server_log_offset=0):
    """Screenshot, browser console log and page HTML (and the server log since
    `server_log_offset`) under target/browser-test-output/; returns their paths."""
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    base = os.path.join(OUTPUT_DIR, re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_"))
    saved = []
    try:
        driver.save_screenshot(base + ".png")
        saved.append(base + ".png")
    except WebDriverException as e:
        print(f"no screenshot: {e}")
    with open(base + ".console.log", "w") as f:
        f.write(f"url: {_safe(lambda: driver.current_url)}\n")
        for e in browser_log(driver):
            f.write(f"{e.get('timestamp')} {e.get('level')} {e.get('source', '')} {e.get('message')}\n")
    saved.append(base + ".console.log")
    with open(base + ".html", "w") as f:
        f.write(_safe(lambda: driver.page_source) or "")
    saved.append(base + ".html")
    if server is not None:
        with open(base + ".server.log", "w") as f:
            f.write(server.log_since(server_log_offset))
        saved.append(base + ".server.log")
    return saved


def _safe(fn):
    try:
        return fn()
    except WebDriverException:
        return None


# --------------------------------------------------------------------------- UI helpers

_JS_NORM = """
const norm = s => (s || '').replace(/\\s+/g, ' ').trim().replace(/[\\s:*]+$/, '').toLowerCase();
const visible = el => !!(el && el.getClientRects().length) && getComputedStyle(el).visibility !== 'hidden';
"""

# Finds a visible control by its label: <label for>, a control inside the <label>,
# aria-label or aria-labelledby. Exact (normalized, case-insensitive) matches win over
# prefix matches.
_JS_FIELD = _JS_NORM + """
const want = norm(arguments[0]);
const root = arguments[1] || document;
const controls = 'input:not([type=hidden]), select, textarea, [contenteditable=true], [role=textbox], [role=combobox]';
const found = [];  // [score, element]; 0 exact, 1 prefix
const consider = (text, el) => {
  if (!el || !visible(el) && !(el.type === 'file' || el.type === 'checkbox' || el.type === 'radio')) return;
  const t = norm(text);
  if (t === want) found.push([0, el]);
  else if (want && t.startsWith(want)) found.push([1, el]);
};
for (const label of root.querySelectorAll('label')) {
  const copy = label.cloneNode(true);
  copy.querySelectorAll('input, select, textarea, [aria-hidden=true]').forEach(n => n.remove());
  const text = copy.textContent;
  let el = label.htmlFor ? document.getElementById(label.htmlFor) : label.querySelector(controls);
  if (el && (visible(el) || visible(label))) consider(text, el);
}
for (const el of root.querySelectorAll(controls)) {
  if (el.hasAttribute('aria-label')) consider(el.getAttribute('aria-label'), el);
  const ids = el.getAttribute('aria-labelledby');
  if (ids) consider(ids.split(/\\s+/).map(id => (document.getElementById(id) || {}).textContent || '').join(' '), el);
}
found.sort((a, b) => a[0] - b[0]);
return found.length ? found[0][1] : null;
"""

# Finds a visible button or link by its text or aria-label (exact first, then prefix).
_JS_CLICKABLE = _JS_NORM + """
const want = norm(arguments[0]);
const root = arguments[1] || document;
const sel = 'button, a, [role=button], [role=tab], [role=link], [role=menuitem], input[type=submit], input[type=button]';
const found = [];
for (const el of root.querySelectorAll(sel)) {
  if (!visible(el)) continue;
  const names = [el.innerText, el.getAttribute('aria-label'), el.getAttribute('title'), el.value && el.tagName === 'INPUT' ? el.value : null];
  let score = null;
  for (const n of names) {
    if (n == null) continue;
    const t = norm(n);
    if (t === want) { score = 0; break; }
    if (want && t.startsWith(want) && score === null) score = 1;
  }
  if (score !== null) found.push([score, el]);
}
found.sort((a, b) => a[0] - b[0]);
return found.length ? found[0][1] : null;
"""

# The innermost visible element whose text contains the given text.
_JS_TEXT = """
const want = arguments[0].replace(/\\s+/g, ' ').trim().toLowerCase();
const root = arguments[1] || document.body;
const has = el => (el.innerText || '').replace(/\\s+/g, ' ').toLowerCase().includes(want);
if (!root || !has(root)) {
  for (const el of (root || document).querySelectorAll('input, textarea')) {
    if (el.getClientRects().length && (el.value || '').toLowerCase().includes(want)) return el;
  }
  return null;
}
let el = root;
outer: for (;;) {
  for (const child of el.children) {
    if (child.getClientRects().length && has(child)) { el = child; continue outer; }
  }
  return el;
}
"""


def _wait(driver, fn, timeout, message):
    def attempt(d):
        try:
            return fn(d)
        except StaleElementReferenceException:
            return False

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(attempt, message)


def find_text(driver, text, within=None):
    """The innermost visible element containing `text` (case-insensitive), or None."""
    return driver.execute_script(_JS_TEXT, text, within)


def wait_for_text(driver, text, timeout=10, within=None):
    """Waits until `text` is visible on the page (case-insensitive, whitespace
    normalized); returns the innermost element that shows it."""
    return _wait(driver, lambda d: find_text(d, text, within), timeout, f"text {text!r} did not appear in {timeout}s")


def wait_gone(driver, text, timeout=10, within=None):
    """Waits until `text` is no longer visible on the page."""
    _wait(driver, lambda d: find_text(d, text, within) is None, timeout, f"text {text!r} still shown after {timeout}s")


def field(driver, label_text, timeout=10, within=None):
    """The input, select or textarea labelled `label_text` (via <label for>, a control
    inside its <label>, aria-label or aria-labelledby; case-insensitive, exact match
    preferred, else a prefix)."""
    return _wait(
        driver,
        lambda d: d.execute_script(_JS_FIELD, label_text, within),
        timeout,
        f"no visible field labelled {label_text!r} in {timeout}s",
    )


def fill(driver, label, value, timeout=10, within=None):
    """Types `value` into the field labelled `label` (replacing what is there); picks
    the option of a select by its text (or value); ticks or clears a checkbox for a
    bool; gives a file input a path."""
    el = field(driver, label, timeout, within)
    tag = el.tag_name.lower()
    kind = (el.get_attribute("type") or "").lower()
    if tag == "select":
        select = Select(el)
        try:
            select.select_by_visible_text(str(value))
        except Exception:  # noqa: BLE001 - then by value
            select.select_by_value(str(value))
    elif kind in ("checkbox", "radio"):
        if bool(value) != el.is_selected():
            driver.execute_script("arguments[0].click()", el)
    elif kind == "file":
        el.send_keys(value if isinstance(value, str) else "\n".join(value))
    else:
        el.clear()
        if str(value):
            el.send_keys(str(value))
        else:  # clear() alone fires no input event
            driver.execute_script("arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", el)
    return el


def find_clickable(driver, name, within=None):
    """The visible button or link named `name`, or None."""
    return driver.execute_script(_JS_CLICKABLE, name, within)


def button(driver, name, timeout=10, within=None):
    """Waits for the visible button or link named `name` (as `click` finds it); returns it."""
    return _wait(
        driver, lambda d: find_clickable(d, name, within), timeout, f"no visible button or link {name!r} in {timeout}s"
    )


def click(driver, name, timeout=10, within=None):
    """Clicks the button or link (button, a, role=button/tab) whose visible text or
    aria-label is `name` (exact match preferred, else a prefix), once it is visible and
    enabled; retries while something covers it. Returns the element."""

    def attempt(d):
        el = find_clickable(d, name, within)
        if el is None or not el.is_enabled() or el.get_attribute("aria-disabled") == "true":
            return False
        try:
            d.execute_script("arguments[0].scrollIntoView({block: 'center', inline: 'nearest'})", el)
            el.click()
        except (ElementClickInterceptedException, ElementNotInteractableException):
            return False
        return el

    return _wait(driver, attempt, timeout, f"no visible, enabled button or link {name!r} in {timeout}s")


def open_console(driver, server):
    """Loads the console page of `server` (a fresh load)."""
    driver.get(server.console_url)


def sign_in_with_password(driver, server, username, password, timeout=10):
    """Opens the console and signs in with a username and password (the default tab)."""
    open_console(driver, server)
    try:
        click(driver, "Password", timeout=2)
    except TimeoutException:
        pass  # no tab button: the password form is the default
    fill(driver, "Username", username, timeout)
    fill(driver, "Password", password, timeout)
    click(driver, "Sign in", timeout)
    _wait_signed_in(driver, timeout)


def sign_in_with_keys(driver, server, key, secret, timeout=10):
    """Opens the console and signs in with an access key and secret key."""
    open_console(driver, server)
    click(driver, "Access key", timeout)
    fill(driver, "Access key", key, timeout)
    fill(driver, "Secret key", secret, timeout)
    click(driver, "Sign in", timeout)
    _wait_signed_in(driver, timeout)


def _wait_signed_in(driver, timeout):
    _wait(driver, lambda d: find_clickable(d, "Sign out"), timeout, f"not signed in after {timeout}s (no 'Sign out' button)")


def sign_out(driver, timeout=10):
    """Clicks "Sign out" and waits for the sign-in form."""
    click(driver, "Sign out", timeout)
    button(driver, "Sign in", timeout)


# Dispatches dragenter, dragover and drop carrying the files of a file input on the
# innermost element at the target's centre (as a real drop would), then removes the input.
_JS_DROP = """
const [input, target] = arguments;
target.scrollIntoView({block: 'center'});
const r = target.getBoundingClientRect();
const x = r.left + r.width / 2, y = r.top + r.height / 2;
let at = document.elementFromPoint(x, y);
if (!at || !target.contains(at)) at = target;
const dt = new DataTransfer();
for (const f of input.files) dt.items.add(f);
input.remove();
for (const type of ['dragenter', 'dragover', 'drop']) {
  const ev = new DragEvent(type, {bubbles: true, cancelable: true, composed: true, clientX: x, clientY: y, dataTransfer: dt});
  at.dispatchEvent(ev);
}
return dt.files.length;
"""


def drop_files(driver, element, paths):
    """Drags real files onto `element` (a drop zone): a temporary file input receives
    them, then dragenter/dragover/drop with a DataTransfer of those files is dispatched.
    The page sees `event.dataTransfer.files` (and `.items`, whose entries are files:
    `webkitGetAsEntry()` may not give directories)."""
    paths = [os.path.abspath(p) for p in ([paths] if isinstance(paths, str) else paths)]
    input_el = driver.execute_script(
        "const i = document.createElement('input');"
        "i.type = 'file'; i.multiple = true;"
        "i.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;opacity:0;z-index:2147483647';"
        "document.body.appendChild(i); return i;"
    )
    input_el.send_keys("\n".join(paths))
    count = driver.execute_script(_JS_DROP, input_el, element)
    assert count == len(paths), f"dropped {count} files of {len(paths)}"


def make_file(tmpdir, name, size, seed=0):
    """A file of `size` deterministic pseudo-random bytes (the same for the same seed)
    at tmpdir/name: (path, md5 hex)."""
    path = os.path.join(str(tmpdir), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    md5 = hashlib.md5()
    with open(path, "wb") as f:
        left = size
        while left:
            chunk = rng.randbytes(min(left, 1 << 20))
            f.write(chunk)
            md5.update(chunk)
            left -= len(chunk)
    return path, md5.hexdigest()


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --------------------------------------------------------------------------- navigation


def go(driver, *parts):
    """Opens a console route, `#/<parts…>`, each part encoded as the console does."""
    driver.execute_script("location.hash = '#/' + arguments[0].map(p => encodeURIComponent(p)).join('/')", list(parts))


def heading(driver):
    """The text of the screen's <h1> ('' while there is none)."""
    return driver.execute_script("const h = document.querySelector('main h1'); return h ? h.textContent.trim() : ''")


def open_screen(driver, hash_, title):
    """Navigates inside the console (no reload) and waits for the screen's <h1> `title`."""
    driver.execute_script("location.hash = arguments[0]", hash_)
    WebDriverWait(driver, 10, 0.1).until(lambda d: heading(d) == title, f"no {title!r} heading")


def until(driver, fn, timeout=10, message="condition not met", poll=0.1):
    """Waits until `fn()` is truthy and returns it."""
    return WebDriverWait(driver, timeout, poll_frequency=poll).until(lambda _d: fn(), message)


def confirm(driver, label):
    """Presses `label` in the open confirmation dialog."""
    click(driver, label, within=driver.find_element(By.CSS_SELECTOR, "dialog[open]"))
