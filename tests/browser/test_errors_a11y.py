"""Errors a person can read (rate limits, access denied, a missing object: never silence
or an endless spinner), the console driven by the keyboard alone (sign in, create a
bucket; focus visible), every control of every main screen named for assistive
technology, and the storage screens on a phone (no sideways scrolling, every nav link
shown)."""

import re
import secrets

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from support import go, until, heading, click, find_clickable, open_console, sign_in_with_keys, sign_in_with_password, wait_for_text


_JS_LOADING = """
return [...document.querySelectorAll('main *')]
  .filter(el => el.children.length === 0 && el.getClientRects().length && /^\\s*Loading/i.test(el.textContent))
  .map(el => el.textContent.trim());
"""


def loading(driver):
    """The texts of the visible "Loading…" placeholders on the page."""
    return driver.execute_script(_JS_LOADING)


def wait_loaded(driver, timeout=15):
    """Waits until no "Loading…" is left on the screen (the screen has drawn its data or
    its error)."""
    until(driver, lambda: not loading(driver), timeout, f"still loading after {timeout}s: {loading(driver)}")


def shown_text(driver):
    """What the page shows: the screen and the messages (toasts)."""
    return driver.execute_script(
        "return document.querySelector('main').innerText + '\\n' + document.getElementById('toasts').innerText"
    )


# --------------------------------------------------------------------------- errors

# The messages as a person reads them, with the status and code for whoever reports it.
BUSY = re.compile(r"Depot is busy[^\n]*503 SlowDown", re.I)
TOO_MANY = re.compile(r"Too many requests[^\n]*429", re.I)


def test_rate_limit_shows_a_readable_message_never_a_spinner(server_factory, browser):
    srv = server_factory(env={"DEPOT_RATE_LIMIT": "20/minute", "DEPOT_RATE_BURST": "20"}, name="rate-limited")
    bucket = f"rl-{secrets.token_hex(4)}"
    srv.s3().create_bucket(Bucket=bucket)
    b = browser
    sign_in_with_keys(b, srv, srv.root_key, srv.root_secret)
    seen = {}  # which kind of message, on which screen
    # The nav's screens, and a bucket's objects (S3 only) opened from the buckets list.
    screens = ["Buckets", bucket, "Search", "Statistics", "Access keys", "Administration", "Health"]
    for i in range(70):
        screen = screens[i % len(screens)]
        if screen == bucket and not find_clickable(b, bucket):
            go(b, "b", bucket)  # the list itself was refused: the address bar, then
        else:
            click(b, screen)
        until(b, lambda: heading(b) in (screen, "Something went wrong"), 10, f"the {screen} screen did not open")
        # Whatever the answers, the screen finishes: its data or an error, no spinner left.
        wait_loaded(b)
        text = shown_text(b)
        if BUSY.search(text):
            seen.setdefault("S3 503 SlowDown", (screen, BUSY.search(text).group(0), text))
        if TOO_MANY.search(text):
            seen.setdefault("JSON 429", (screen, TOO_MANY.search(text).group(0), text))
        if len(seen) == 2:
            break
    assert seen, "70 screens over a limit of 20 requests a minute, and no message said Depot was busy"
    # S3 answers over the limit (ListBuckets on Buckets and Search) are 503 SlowDown,
    # JSON ones (statistics, search, keys, users) 429: both are shown as such.
    assert set(seen) == {"S3 503 SlowDown", "JSON 429"}, f"seen only {sorted(seen)}"
    for kind, (screen, _match, text) in seen.items():
        assert "wait a moment" in text.lower(), f"{kind} on {screen}: the message does not say what to do:\n{text}"


def test_access_denied_on_someone_elses_bucket(server, browser):
    owner = server.new_user("owner")
    bucket = f"private-{secrets.token_hex(4)}"
    owner.s3().create_bucket(Bucket=bucket)
    other = server.new_user("other")
    b = browser
    sign_in_with_password(b, server, other.username, other.password)
    wait_for_text(b, "Your buckets")
    go(b, "b", bucket)
    alert = wait_for_text(b, "Access denied")
    assert b.execute_script("return arguments[0].closest('[role=alert]') !== null", alert), "the error is not an alert"
    assert "403" in alert.text or "403" in b.execute_script("return arguments[0].closest('[role=alert]').innerText", alert)
    wait_loaded(b)
    # The object page of that bucket says so too.
    go(b, "o", bucket, "secret.txt")
    wait_for_text(b, "Access denied")
    wait_loaded(b)


def test_missing_object_url_says_it_does_not_exist(server, browser):
    bucket = f"missing-{secrets.token_hex(4)}"
    server.s3().create_bucket(Bucket=bucket)
    b = browser
    sign_in_with_keys(b, server, server.root_key, server.root_secret)
    wait_for_text(b, "Your buckets")
    go(b, "o", bucket, "no/such/photo.jpg")
    alert = wait_for_text(b, "does not exist")
    box = b.execute_script("return arguments[0].closest('[role=alert]')", alert)
    assert box is not None, "the error is not an alert"
    assert "404" in box.text, box.text
    wait_loaded(b)
    assert heading(b) == "photo.jpg"
    click(b, "Back to the folder")
    until(b, lambda: heading(b) == "no/such/", message="the way back leads to the folder")


# --------------------------------------------------------------------------- keyboard

def press(driver, *keys):
    ActionChains(driver).send_keys(*keys).perform()


def active(driver):
    """(tag, type, label text or name, text) of the focused element."""
    return driver.execute_script(
        "const el = document.activeElement; if (!el) return null;"
        "const label = el.labels && el.labels[0] ? el.labels[0].textContent.trim() : (el.getAttribute('aria-label') || '');"
        "return [el.tagName.toLowerCase(), el.type || '', label, (el.innerText || '').trim()];"
    )


def tab_to(driver, wanted, limit=40):
    """Presses Tab until the focused element satisfies `wanted(active)`."""
    seen = []
    for _ in range(limit):
        press(driver, Keys.TAB)
        a = active(driver)
        seen.append(a)
        if a and wanted(a):
            return a
    pytest.fail(f"Tab never reached the element; focus went through {seen}")


def test_keyboard_alone_signs_in_and_creates_a_bucket(server, browser):
    b = browser
    open_console(b, server)
    until(b, lambda: heading(b) == "Sign in to Depot")
    b.execute_script("document.activeElement && document.activeElement.blur()")
    # Tab to the sign-in method tabs, arrow to "Access key" (its panel focuses its first
    # field), type the key, Tab, type the secret, Enter.
    tab_to(b, lambda a: a[0] == "button" and a[3] == "Password")
    press(b, Keys.ARROW_RIGHT)
    until(b, lambda: active(b)[3] == "Access key", message=f"focus is on {active(b)}, not the Access key tab")
    press(b, Keys.TAB)
    assert active(b)[2] == "Access key", f"focus is on {active(b)}, not the access key field"
    press(b, server.root_key)
    press(b, Keys.TAB)
    assert active(b)[2] == "Secret key", active(b)
    press(b, server.root_secret, Keys.ENTER)
    until(b, lambda: heading(b) == "Buckets", 15, "not signed in")
    wait_for_text(b, "Your buckets")

    # Create a bucket: Tab to its name, type, Tab to "Create bucket", Enter.
    name = f"keyboard-{secrets.token_hex(4)}"
    tab_to(b, lambda a: a[2] == "Bucket name")
    press(b, name)
    tab_to(b, lambda a: a[0] == "button" and a[3] == "Create bucket", limit=6)
    # The button focused by the keyboard shows it.
    style = b.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, s.outlineWidth, s.boxShadow, document.activeElement.matches(':focus-visible')];"
    )
    assert style[3], "the keyboard-focused button does not match :focus-visible"
    outlined = style[0] != "none" and style[1] not in ("0px", "")
    assert outlined or style[2] != "none", f"no visible focus indicator on the button: outline {style[0]} {style[1]}, box-shadow {style[2]}"
    press(b, Keys.ENTER)
    until(b, lambda: name in [x["Name"] for x in server.s3().list_buckets()["Buckets"]], 10, "the bucket was not created")
    wait_for_text(b, f"Bucket {name} created")
    assert b.execute_script(
        "return [...document.querySelectorAll('main table a')].some(a => a.textContent === arguments[0])", name
    ), "the new bucket is not listed"


# --------------------------------------------------------------------------- labels

_JS_UNNAMED = """
const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const text = el => (el ? (el.innerText || el.textContent || '') : '').trim();
const describe = el => {
  const a = [el.tagName.toLowerCase()];
  for (const n of ['type', 'name', 'id', 'class']) if (el.getAttribute(n)) a.push(`${n}=${el.getAttribute(n)}`);
  const t = text(el).slice(0, 30);
  return a.join(' ') + (t ? ` "${t}"` : '');
};
const labelled = el => {
  if ((el.getAttribute('aria-label') || '').trim()) return true;
  const ids = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  if (ids.some(id => text(document.getElementById(id)))) return true;
  return [...(el.labels || [])].some(l => text(l));
};
const bad = [];
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  if (!visible(el)) continue;
  if (!labelled(el)) bad.push('control without a label: ' + describe(el));
}
for (const el of document.querySelectorAll('button, [role=button]')) {
  if (!visible(el)) continue;
  if (!text(el) && !(el.getAttribute('aria-label') || '').trim() && !labelled(el)) bad.push('button without a name: ' + describe(el));
}
return bad;
"""


def test_every_control_on_every_screen_has_a_name(server, browser):
    s3 = server.s3()
    bucket = f"labels-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="docs/readme.txt", Body=b"hello", Metadata={"description": "a note"}, Tagging="k=v")
    b = browser
    sign_in_with_keys(b, server, server.root_key, server.root_secret)
    screens = [
        (("buckets",), "Buckets", "Your buckets"),
        (("buckets", bucket), f"Settings of bucket {bucket}", "Bucket tags"),
        (("b", bucket, "docs/"), "docs/", "readme.txt"),
        (("o", bucket, "docs/readme.txt"), "readme.txt", "Presigned link"),
        (("search",), "Search", "Modified from"),
        (("stats",), "Statistics", "Totals"),
        (("health",), "Health", "Overall"),
        (("keys",), "Access keys", "Create access key"),
        (("admin",), "Administration", "Users"),
    ]
    problems = []
    for parts, title, marker in screens:
        go(b, *parts)
        until(b, lambda: heading(b) == title, 10, f"no {title!r} screen (heading {heading(b)!r})")
        wait_for_text(b, marker)
        wait_loaded(b)
        problems += [f"#/{'/'.join(parts)}: {p}" for p in b.execute_script(_JS_UNNAMED)]
    # The sign-in page, each of its tabs.
    click(b, "Sign out")
    for tab in ("Password", "Access key", "Register"):
        click(b, tab)
        problems += [f"sign-in ({tab}): {p}" for p in b.execute_script(_JS_UNNAMED)]
    assert not problems, "controls without an accessible name:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- phone

_JS_LAYOUT = """
const nav = [...document.querySelectorAll('#top nav a')].map(a => {
  const r = a.getBoundingClientRect();
  const shown = r.width > 0 && r.height > 0 && getComputedStyle(a).visibility !== 'hidden';
  return [a.textContent, shown && r.left >= 0 && r.right <= window.innerWidth + 1 && r.top >= 0];
});
return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, nav };
"""


def test_phone_objects_and_details_fit_with_every_nav_link(server, phone):
    s3 = server.s3()
    bucket = f"phone-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    long_key = "holidays-2024/" + "a-rather-long-photo-name-without-any-spaces-at-all-" * 2 + ".jpg"
    s3.put_object(Bucket=bucket, Key=long_key, Body=b"x" * 2048, Metadata={"description": "a long one"}, Tagging="album=summer")
    p = phone
    sign_in_with_keys(p, server, server.root_key, server.root_secret)
    wait_for_text(p, "Your buckets")
    expected_nav = ["Buckets", "Search", "Statistics", "Health", "Access keys", "Administration"]
    for parts, marker in ((("b", bucket, "holidays-2024/"), "Drop files here"), (("o", bucket, long_key), "Presigned link")):
        go(p, *parts)
        wait_for_text(p, marker)
        wait_loaded(p)
        layout = p.execute_script(_JS_LAYOUT)
        where = "#/" + "/".join(parts)
        assert layout["innerWidth"] == 390, layout
        assert layout["scrollWidth"] <= layout["innerWidth"] + 1, f"{where} is {layout['scrollWidth']}px wide on a 390px phone"
        assert [n for n, _ in layout["nav"]] == expected_nav, layout["nav"]
        hidden = [n for n, ok in layout["nav"] if not ok]
        assert not hidden, f"{where}: nav links not fully shown: {hidden}"
