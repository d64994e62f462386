"""Access keys (#/keys) and administration (#/admin): create a key in the console and
use it with boto3, revoke it and see boto3 fail; root disables and enables a user; a
regular user is kept out of the administration page."""

import botocore.exceptions
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import open_screen, button, click, find_clickable, find_text, field, sign_in_with_keys, sign_in_with_password, wait_for_text, wait_gone


def dialog(driver):
    return WebDriverWait(driver, 5, 0.1).until(lambda d: d.execute_script("return document.querySelector('dialog[open]')"), "no dialog")


def row_texts(driver, table_selector="main table"):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))",
        table_selector,
    )


def create_key_in_ui(driver):
    click(driver, "Create access key")
    wait_for_text(driver, "will not show it again")
    key_id = field(driver, "Access key ID").get_attribute("value")
    secret = field(driver, "Secret key").get_attribute("value")
    assert key_id and secret and len(secret) >= 20, (key_id, secret)
    assert button(driver, "Copy secret").is_enabled()
    return key_id, secret


def test_create_use_and_revoke_a_key(server, browser):
    user = server.new_user("keys")
    sign_in_with_password(browser, server, user.username, user.password)
    open_screen(browser, "#/keys", "Access keys")
    wait_for_text(browser, "You have no access keys yet")

    # Headless Chromium has a clipboard once the page may use it: the secret must land
    # there, with the toast saying so.
    browser.execute_cdp_cmd(
        "Browser.grantPermissions", {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"], "origin": server.url}
    )
    key_id, secret = create_key_in_ui(browser)
    click(browser, "Copy secret")
    wait_for_text(browser, "Copied to the clipboard", timeout=5)
    assert find_text(browser, "Select the text and copy it") is None
    copied = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(done, (e) => done('clipboard read failed: ' + e));"
    )
    assert copied == secret, (copied, secret)

    # The key works for S3 at once.
    s3 = server.s3_for(key_id, secret)
    s3.create_bucket(Bucket=f"k-{user.username}")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [f"k-{user.username}"]

    # Listed (after leaving and coming back) without its secret, here and in the API.
    click(browser, "I've saved it")
    open_screen(browser, "#/stats", "Statistics")
    open_screen(browser, "#/keys", "Access keys")
    wait_for_text(browser, key_id)
    assert secret not in browser.page_source
    status, body = server.json("GET", "/_depot/auth/keys", token=user.token)
    assert status == 200 and [k["access_key_id"] for k in body["keys"]] == [key_id]
    assert "secret_access_key" not in body["keys"][0] and secret not in str(body)

    # Revoke, confirmed in a dialog: boto3 with the key fails now.
    click(browser, f"Revoke {key_id}")
    click(browser, "Revoke", within=dialog(browser))
    wait_for_text(browser, "You have no access keys yet")
    with pytest.raises(botocore.exceptions.ClientError) as failed:
        s3.list_buckets()
    err = failed.value.response
    assert err["Error"]["Code"] in ("InvalidAccessKeyId", "AccessDenied", "403"), err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403, err


def test_keys_in_an_access_key_session_and_cancelled_revoke(server, browser):
    user = server.new_user("keys2")
    key, secret = user.create_key()
    sign_in_with_keys(browser, server, key, secret)
    open_screen(browser, "#/keys", "Access keys")
    wait_for_text(browser, "(this session)")
    new_id, new_secret = create_key_in_ui(browser)
    assert server.s3_for(new_id, new_secret).list_buckets()["Buckets"] == []
    wait_for_text(browser, new_id, within=browser.find_element(By.CSS_SELECTOR, "main table"))

    # Cancelling keeps the key.
    click(browser, f"Revoke {new_id}")
    click(browser, "Cancel", within=dialog(browser))
    assert server.s3_for(new_id, new_secret).list_buckets()["Buckets"] == []
    ids = {r[0].split()[0] for r in row_texts(browser)}
    assert ids == {key, new_id}, ids

    # Revoking the key this session signs with ends the session, with a message.
    click(browser, f"Revoke {key}")
    wait_for_text(browser, "revoking it signs you out")
    click(browser, "Revoke", within=dialog(browser))
    wait_for_text(browser, "You revoked the access key you were signed in with")
    button(browser, "Sign in")
    status, body = server.json("GET", "/_depot/auth/keys", token=user.token)
    assert [k["access_key_id"] for k in body["keys"]] == [new_id]


def test_root_disables_and_enables_a_user(server, browser):
    user = server.new_user("victim")
    bucket = f"owned-{user.username}"
    user.s3().create_bucket(Bucket=bucket)

    sign_in_with_keys(browser, server, server.root_key, server.root_secret)
    click(browser, "Administration")
    wait_for_text(browser, "Users")
    wait_for_text(browser, user.username)
    users = {r[0]: r for r in row_texts(browser)}
    assert user.username in users, users
    assert users[user.username][2:5] == ["No", "active", "1"], users[user.username]
    buckets = {r[0]: r[1] for r in row_texts(browser) if r[0] == bucket}
    assert buckets == {bucket: user.username}, row_texts(browser)
    assert not find_clickable(browser, "Disable root"), "root must not be disabled from the console"

    click(browser, f"Disable {user.username}")
    click(browser, "Disable", within=dialog(browser))
    WebDriverWait(browser, 10, 0.1).until(lambda d: find_clickable(d, f"Enable {user.username}"), "no Enable button after disabling")
    row = next(r for r in row_texts(browser) if r[0] == user.username)
    assert row[3] == "disabled", row
    status, _ = server.json("POST", "/_depot/auth/login", body={"username": user.username, "password": user.password})
    assert status in (401, 403), status

    click(browser, f"Enable {user.username}")
    WebDriverWait(browser, 10, 0.1).until(lambda d: find_clickable(d, f"Disable {user.username}"), "no Disable button after enabling")
    status, body = server.json("POST", "/_depot/auth/login", body={"username": user.username, "password": user.password})
    assert status == 200 and body.get("token"), (status, body)


def test_non_root_is_kept_out_of_administration(server, browser):
    user = server.new_user("plain")
    sign_in_with_password(browser, server, user.username, user.password)
    assert find_clickable(browser, "Administration") is None
    nav = browser.find_element(By.CSS_SELECTOR, "nav")
    assert "Administration" not in nav.text
    open_screen(browser, "#/admin", "Administration")
    wait_for_text(browser, "Only root can use the administration pages")
    wait_gone(browser, "Loading…")
    status, body = server.json("GET", "/_depot/admin/users", token=user.token)
    assert status == 403, (status, body)
