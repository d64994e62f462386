"""Sessions: registering and signing in with a password (the login token exchanged for
temporary credentials), where the session is kept (sessionStorage only), signing out,
the session's expiry, readable sign-in errors, and the console at phone size."""

import re
import secrets
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import go, heading, button, click, fill, find_clickable, sign_in_with_keys, sign_in_with_password, sign_out, wait_for_text


def storage(driver):
    return driver.execute_script(
        "return {session: Object.keys(sessionStorage), local: localStorage.length, cookie: document.cookie,"
        " stored: sessionStorage.getItem('depot.session')}"
    )


def alert_text(driver):
    """The text of the visible error on the sign-in page."""
    return WebDriverWait(driver, 10, 0.1).until(
        lambda d: d.execute_script(
            "const e = [...document.querySelectorAll('main [role=alert]')].find(e => e.getClientRects().length && e.textContent.trim());"
            "return e && e.textContent.trim()"
        ),
        "no error shown",
    )


def test_register_sign_in_storage_and_sign_out(server, browser):
    username, password = f"reg-{secrets.token_hex(4)}", f"pw-{secrets.token_hex(8)}"
    browser.get(server.console_url)
    click(browser, "Register")
    fill(browser, "New username", username)
    fill(browser, "New password", password)
    fill(browser, "Repeat password", password)
    click(browser, "Create account")
    button(browser, "Sign out")
    wait_for_text(browser, username)
    # The account exists: a JSON login works.
    token = server.login(username, password)
    status, me = server.json("GET", "/_depot/auth/me", token=token)
    assert status == 200 and me["username"] == username, me

    # Kept in this tab's sessionStorage only: with the temporary credentials from STS.
    kept = storage(browser)
    assert kept["session"] == ["depot.session"], kept
    assert kept["local"] == 0 and kept["cookie"] == "", kept
    assert '"kind":"password"' in kept["stored"] and '"sessionToken":"' in kept["stored"], kept["stored"][:200]
    assert password not in kept["stored"]

    # The temporary credentials sign S3 requests: the Search page lists buckets with them.
    click(browser, "Search")
    WebDriverWait(browser, 10, 0.1).until(lambda d: heading(d) == "Search")
    assert "Could not list your buckets" not in browser.find_element(By.TAG_NAME, "main").text

    # A reload keeps the session (same tab).
    browser.refresh()
    button(browser, "Sign out")

    sign_out(browser)
    wait_for_text(browser, "You have signed out")
    kept = storage(browser)
    assert kept["session"] == [] and kept["local"] == 0 and kept["cookie"] == "", kept
    # Gone for good: a reload stays on the sign-in page.
    browser.refresh()
    button(browser, "Sign in")
    assert find_clickable(browser, "Sign out") is None


def test_wrong_password_and_bad_secret_are_readable(server, browser):
    user = server.new_user("wrong")
    browser.get(server.console_url)
    fill(browser, "Username", user.username)
    fill(browser, "Password", "not-the-password")
    click(browser, "Sign in")
    text = alert_text(browser)
    assert "Wrong username or password" in text, text

    key, _secret = user.create_key()
    click(browser, "Access key")
    fill(browser, "Access key", key)
    fill(browser, "Secret key", "definitely-not-the-secret-key-000000000000")
    click(browser, "Sign in")
    text = alert_text(browser)
    assert text and "undefined" not in text and "[object" not in text, text
    assert "signature" in text.lower() or "wrong" in text.lower() or "denied" in text.lower(), text
    assert find_clickable(browser, "Sign out") is None
    assert storage(browser)["session"] == []


def test_expired_session_returns_to_sign_in(server_factory, browser):
    srv = server_factory(env={"DEPOT_JWT_TTL_SECS": "5"}, name="short-jwt")
    user = srv.new_user("brief")
    sign_in_with_password(browser, srv, user.username, user.password)
    stored = storage(browser)["stored"]
    assert '"tokenExpires"' in stored
    # Act after the lifetime: the sign-in page with the message, not a broken page.
    WebDriverWait(browser, 15, 0.2).until(
        lambda d: d.execute_script("return Date.now() > JSON.parse(sessionStorage.getItem('depot.session') || '{\"tokenExpires\":0}').tokenExpires"),
        "the token did not expire",
    )
    browser.execute_script("location.hash = '#/stats'")
    wait_for_text(browser, "session has expired", timeout=10)
    button(browser, "Sign in")
    assert storage(browser)["session"] == []
    assert heading(browser) == "Sign in to Depot"
    assert find_clickable(browser, "Sign out") is None

    # An expired session found on a (re)load is dropped the same way, with the message.
    browser.execute_script("sessionStorage.setItem('depot.session', arguments[0])", stored)
    browser.execute_script("history.replaceState(null, '', '#/keys')")
    browser.refresh()
    wait_for_text(browser, "session has expired", timeout=10)
    assert heading(browser) == "Sign in to Depot"
    assert storage(browser)["session"] == []


def test_phone_layout(server, phone):
    user = server.new_user("phone")
    user.s3().create_bucket(Bucket=f"phone-{user.username}-with-a-rather-long-bucket-name")
    sign_in_with_password(phone, server, user.username, user.password)
    WebDriverWait(phone, 10, 0.1).until(lambda d: d.execute_script("return location.hash") == "#/buckets")
    wait_for_text(phone, f"phone-{user.username}")

    def fits():
        return phone.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")

    width, inner = fits()
    assert inner == 390 and width <= 390, (width, inner)
    for name, title in (("Search", "Search"), ("Statistics", "Statistics"), ("Health", "Health"), ("Access keys", "Access keys")):
        click(phone, name)  # the nav is usable at this size
        WebDriverWait(phone, 10, 0.1).until(lambda d: heading(d) == title, f"no {title} page")
        wait_gone_loading(phone)
        width, _ = fits()
        assert width <= 390, (name, width)
    click(phone, "Buckets")
    WebDriverWait(phone, 10, 0.1).until(lambda d: d.execute_script("return location.hash") == "#/buckets")


def wait_gone_loading(driver):
    WebDriverWait(driver, 10, 0.1).until(lambda d: not d.execute_script("return !!document.querySelector('main .loading')"), "still loading")


def test_root_signs_in_with_keys(server, browser):
    sign_in_with_keys(browser, server, server.root_key, server.root_secret)
    wait_for_text(browser, "(root)")
    assert find_clickable(browser, "Administration")
    kept = storage(browser)
    assert kept["local"] == 0 and kept["cookie"] == "" and '"kind":"keys"' in kept["stored"]


# Records the Authorization header of every request the page sends by fetch or
# XMLHttpRequest: `window.__auth` of [url, authorization].
_JS_RECORD_AUTH = """
window.__auth = [];
const header = (headers) => {
  if (!headers) return null;
  if (headers instanceof Headers) return headers.get('authorization');
  if (Array.isArray(headers)) { const e = headers.find(([k]) => k.toLowerCase() === 'authorization'); return e ? e[1] : null; }
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'authorization') return v;
  return null;
};
const origFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : input.url;
  const auth = header(init && init.headers) || (input instanceof Request ? input.headers.get('authorization') : null);
  window.__auth.push([String(url), auth]);
  return origFetch.apply(this, arguments);
};
const origOpen = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url) {
  this.__url = String(url);
  return origOpen.apply(this, arguments);
};
const origSet = XMLHttpRequest.prototype.setRequestHeader;
XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
  if (name.toLowerCase() === 'authorization') window.__auth.push([this.__url, value]);
  return origSet.apply(this, arguments);
};
"""


def test_temporary_credentials_are_renewed_before_they_expire(server, browser):
    """A password session's STS credentials are replaced before they run out (here made
    to look 60 s from expiry): new keys from STS, and the console signs with them."""
    user = server.new_user("renew")
    s3 = user.s3()
    bucket = f"renew-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="renewed-listing.txt", Body=b"x")
    sign_in_with_password(browser, server, user.username, user.password)
    wait_for_text(browser, bucket)
    first = browser.execute_script("return JSON.parse(sessionStorage.getItem('depot.session')).creds.accessKeyId")
    browser.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('depot.session'));"
        "s.creds.expiration = Date.now() + 60000;"
        "sessionStorage.setItem('depot.session', JSON.stringify(s));"
    )
    browser.refresh()

    def renewed(d):
        s = d.execute_script("return JSON.parse(sessionStorage.getItem('depot.session') || 'null')")
        # New keys, valid for much longer than the minute the old ones had left.
        return s and s["creds"]["accessKeyId"] != first and s["creds"]["expiration"] > time.time() * 1000 + 600_000 and s

    fresh = WebDriverWait(browser, 15, 0.2).until(renewed, "the credentials were not renewed")
    assert fresh["creds"]["sessionToken"] and fresh["username"] == user.username
    new_key = fresh["creds"]["accessKeyId"]

    # The renewed credentials are the ones used: an S3 request made now (opening the
    # bucket, in the same document) is signed with the new key, and it is accepted.
    browser.execute_script(_JS_RECORD_AUTH)
    go(browser, "b", bucket)
    wait_for_text(browser, "renewed-listing.txt", within=browser.find_element(By.TAG_NAME, "main"))
    sent = browser.execute_script("return window.__auth")
    keys = [re.search(r"Credential=([^/,\s]+)/", auth).group(1) for _url, auth in sent if auth and "Credential=" in auth]
    assert keys, f"no signed request recorded: {sent}"
    assert all(k == new_key for k in keys), f"signed with {keys}, renewed key {new_key}, old key {first}"
    assert first not in str(sent)
    assert any(f"/{bucket}" in url for url, auth in sent if auth and "Credential=" in auth), sent
    assert heading(browser) != "Sign in to Depot"
