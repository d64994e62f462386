"""Browser tests of the web console: pytest + Selenium driving Debian's headless
Chromium (/usr/bin/chromium, /usr/bin/chromedriver; Selenium never downloads a driver)
against a release `depot` started on a free 127.0.0.1 port.

Run them all (what `./scripts/test.sh --only browser` does, after building):

    target/compat-venv/bin/python -m pytest -q tests/browser

or one test, by (part of) its name:

    target/compat-venv/bin/python -m pytest tests/browser -k name

DEPOT_BIN picks the server binary (default target/release/depot). By default the
server serves the console's compiled-in files, so a change under console/ needs a
`cargo build --release --bin depot`; to iterate without rebuilding, serve them from
the directory instead: DEPOT_CONSOLE_DIR=console (passed on to every server started
here; the asset URLs are then assets/dev/… and never cached).

Fixtures: `server` (one per session), `server_factory` (extra servers with other
settings, stopped after the test), `browser` (one Chromium per test), `phone` (the same
at 390×844), `browser_factory` (more browsers in one test). A failing test leaves a
screenshot, the browser console, the page HTML and the server log of the test under
target/browser-test-output/. Helpers are in support.py.
"""

import os
import shutil
import signal

import pytest

import support


def pytest_configure(config):
    # The clients talk only to local servers over plain http: no CA bundles, no
    # proxies, no AWS configuration from the home directory.
    for name in ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                 "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(name, None)
    os.environ.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", SE_OFFLINE="true",
                      AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                      AWS_EC2_METADATA_DISABLED="true")
    # SIGTERM unwinds like Ctrl-C, so fixtures stop servers and browsers. (Servers also
    # get SIGTERM from the kernel if this process dies without unwinding.)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session):
    shutil.rmtree(support.OUTPUT_DIR, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item (item.rep_setup, rep_call, rep_teardown)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def pytest_terminal_summary(terminalreporter):
    if os.path.isdir(support.OUTPUT_DIR) and os.listdir(support.OUTPUT_DIR):
        rel = os.path.relpath(support.OUTPUT_DIR)
        terminalreporter.write_line(f"screenshots, browser logs, HTML and server logs of failed tests: {rel}/")


def _failed(node):
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def depot_bin():
    return os.path.abspath(os.environ.get("DEPOT_BIN") or os.path.join(support.REPO_DIR, "target", "release", "depot"))


@pytest.fixture(scope="session")
def server(depot_bin):
    """The session's server: `.url`, `.console_url`, `.root_key`, `.root_secret`,
    `.log_path`, and the helpers of `support.Server`."""
    srv = support.Server(depot_bin, name="session")
    try:
        yield srv.start()
    finally:
        srv.stop()


@pytest.fixture
def server_factory(depot_bin):
    """start(env=None, name="extra") -> a new, running `support.Server` with `env` added
    to its environment (a None value removes a variable, e.g. DEPOT_CONSOLE_DIR); every
    one is stopped when the test ends."""
    started = []

    def start(env=None, name="extra"):
        srv = support.Server(depot_bin, env=env, name=name)
        started.append(srv)
        return srv.start()

    try:
        yield start
    finally:
        for srv in started:
            srv.stop()


# --------------------------------------------------------------------------- browsers


@pytest.fixture
def browser_factory(request, tmp_path):
    """start(phone=False) -> a new headless Chromium (a selenium WebDriver) with
    `.download_dir`; all are quit when the test ends, after saving their screenshot,
    console log and HTML if it failed."""
    started = []  # (driver, artifact name)
    log_server = request.getfixturevalue("server") if "server" in request.fixturenames else None
    log_offset = log_server.log_size() if log_server else 0

    def start(phone=False):
        n = len(started) + 1
        download_dir = tmp_path / f"downloads-{n}"
        download_dir.mkdir()
        driver = support.start_browser(str(download_dir))
        name = f"{request.node.module.__name__}.{request.node.name}" + (f"-{n}" if n > 1 else "")
        started.append((driver, name))
        if phone:
            support.as_phone(driver)
        return driver

    try:
        yield start
    finally:
        failed = _failed(request.node)
        for driver, name in started:
            try:
                if failed:
                    saved = support.save_artifacts(driver, name, log_server, log_offset)
                    print(f"saved for {name}: " + ", ".join(os.path.relpath(p) for p in saved))
            finally:
                driver.quit()


@pytest.fixture
def browser(browser_factory):
    """A headless Chromium at 1280×800 for this test."""
    return browser_factory()


@pytest.fixture
def phone(browser_factory):
    """A headless Chromium with a phone's 390×844 mobile viewport, for this test."""
    return browser_factory(phone=True)


@pytest.fixture
def signed_in(server, browser):
    """`browser` signed in as root with the access keys, the landing page drawn (so a
    later navigation is not overtaken by it)."""
    support.sign_in_with_keys(browser, server, server.root_key, server.root_secret)
    support.wait_for_text(browser, "Your buckets")
    return browser
