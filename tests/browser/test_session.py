"""Sessions: registering and signing in with a password (the login token exchanged for
temporary credentials), where the session is kept (sessionStorage only), signing out,
the session's expiry, readable sign-in errors, and the console at phone size."""

import secrets
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import heading, button, click, fill, find_clickable, sign_in_with_keys, sign_in_with_password, sign_out, wait_for_text


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


def test_temporary_credentials_are_renewed_before_they_expire(server, browser):
    """A password session's STS credentials are replaced before they run out (here made
    to look 60 s from expiry): new keys from STS, and the console keeps working with them."""
    user = server.new_user("renew")
    s3 = user.s3()
    bucket = f"renew-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
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
    # The renewed credentials work: the bucket list loads through them.
    browser.get(server.console_url + "#/stats")
    browser.get(server.console_url + "#/buckets")
    wait_for_text(browser, bucket)
    assert heading(browser) != "Sign in to Depot"
