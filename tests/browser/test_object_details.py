"""Object details: keys that are hostile or awkward (HTML, Unicode, spaces, %, +, ?, #)
shown as text, opened, downloaded and deleted exactly; in-place edits of description,
tags and access level; the presigned link; "Download and verify"; versions (restore an
old one, delete one) — each checked through S3."""

import base64
import hashlib
import os
import re
import secrets
import urllib.request

import pytest
from botocore.exceptions import ClientError
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import go, until, confirm, console_errors, click, field, fill, find_clickable, sign_in_with_password, wait_for_text

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"

XSS = "<img src=x onerror=alert(1)>.txt"
ODD_KEYS = [
    XSS,
    "dir/ünïcödé 日本語 ✓.txt",
    "with space.txt",
    "100%.txt",
    "a+b.txt",
    "what?.txt",
    "hash#tag.txt",
]


def content(key):
    return f"content of {key}\n".encode()


def rfc2047(value):
    m = re.fullmatch(r"=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=", value, re.I)
    return base64.b64decode(m.group(1)).decode() if m else value


def no_alert(driver):
    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    raise AssertionError(f"an alert appeared: {text!r}")


def new_download(driver, before, timeout=20):
    """The path of a finished download that was not in `before`."""
    def done(_):
        names = os.listdir(driver.download_dir)
        # Chromium reserves the final name with an empty file while the bytes go to a
        # .crdownload beside it: finished means no .crdownload is left.
        if any(f.endswith(".crdownload") for f in names):
            return False
        files = [f for f in names if f not in before and not f.endswith(".tmp")
                 and os.path.getsize(os.path.join(driver.download_dir, f)) > 0]
        return os.path.join(driver.download_dir, files[0]) if files else False

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(done, "no new download")


def grants_level(grants):
    if any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants):
        return "public-read"
    if any(g["Grantee"].get("URI") == AUTH_USERS and g["Permission"] == "READ" for g in grants):
        return "authenticated-read"
    return "private"


def test_keys_browsers_would_mangle_list_open_download_and_delete(server, signed_in):
    """Keys a browser cannot send as they are: a `..` segment (URLs resolve it), a control
    character (XML 1.0 cannot carry it: the listing asks for url encoding) and a carriage
    return (an XML parser would read it as a line feed in DeleteObjects)."""
    b = signed_in
    s3 = server.s3()
    bucket = f"mangle-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    dotted, control, cr = "dots/../up.txt", "ctl\x01char.txt", "cr\rkey.txt"
    for key in (dotted, control, cr, "plain.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=content(key))

    # The listing is not lost to the control character: every row is there.
    go(b, "b", bucket)
    wait_for_text(b, "plain.txt")
    until(b, lambda: len(b.find_elements(By.CSS_SELECTOR, "main tbody tr")) == 4, message="4 rows (3 objects and a folder)")

    # The dot-segment key opens, downloads its own bytes and is deleted, nothing else.
    go(b, "o", bucket, dotted)
    wait_for_text(b, dotted)
    before = set(os.listdir(b.download_dir))
    click(b, "Download")
    with open(new_download(b, before), "rb") as f:
        assert f.read() == content(dotted)
    click(b, "Delete object")
    confirm(b, "Delete")
    until(b, lambda: dotted not in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])], message="dot key deleted")
    # The console goes back to the key's folder once the delete is done: wait for that
    # before navigating, or its navigation lands after ours.
    until(b, lambda: b.execute_script("return location.hash") == "#/b/" + bucket + "/dots%2F..%2F", message="back in the folder")

    # The control-character and CR keys go by multi-select delete; plain.txt stays.
    go(b, "b", bucket)
    wait_for_text(b, "plain.txt")
    for key in (control, cr):
        box = b.execute_script(
            "return [...document.querySelectorAll('main input[type=checkbox]')].find(e => e.getAttribute('aria-label') === arguments[0])",
            f"Select {key}")
        assert box is not None, f"no checkbox for {key!r}"
        box.click()
    click(b, "Delete selected (2)")
    confirm(b, "Delete")
    until(b, lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["plain.txt"], message="only plain.txt left")


def test_odd_keys_show_as_text_open_download_and_delete(server, signed_in):
    b = signed_in
    s3 = server.s3()
    bucket = f"odd-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    for key in ODD_KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=content(key), Metadata={"note": "<b>bold</b>"})

    go(b, "b", bucket)
    for key in ODD_KEYS:
        if "/" not in key:
            wait_for_text(b, key)
    assert b.find_elements(By.CSS_SELECTOR, "main img") == []
    no_alert(b)
    csp = [e for e in console_errors(b) if "Content Security Policy" in e.get("message", "")]
    assert not csp, csp

    for key in ODD_KEYS:
        go(b, "o", bucket, key)
        until(b, lambda: b.find_element(By.TAG_NAME, "h1").text == key.split("/")[-1], message=f"details of {key!r}")
        wait_for_text(b, "Properties")
        wait_for_text(b, key)  # the full key, as text
        wait_for_text(b, "<b>bold</b>")  # user metadata, as text
        assert b.find_elements(By.CSS_SELECTOR, "main img, main b") == []
        no_alert(b)
        before = set(os.listdir(b.download_dir))
        click(b, "Download")
        path = new_download(b, before)
        with open(path, "rb") as f:
            assert f.read() == content(key), key

    # Unicode folder: open it from the listing, then the object from its row.
    go(b, "b", bucket)
    click(b, "dir/")
    click(b, "ünïcödé 日本語 ✓.txt")
    wait_for_text(b, "dir/ünïcödé 日本語 ✓.txt")

    # Delete exactly the hostile key.
    go(b, "o", bucket, XSS)
    wait_for_text(b, "Properties")
    click(b, "Delete object")
    confirm(b, "Delete")
    until(b, lambda: b.execute_script("return location.hash") == f"#/b/{bucket}/", message="not back in the folder")
    left = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert left == sorted(k for k in ODD_KEYS if k != XSS)
    assert b.find_elements(By.CSS_SELECTOR, "main img") == []
    no_alert(b)
    csp = [e for e in console_errors(b) if "Content Security Policy" in e.get("message", "")]
    assert not csp, csp


def test_edit_in_place_link_and_verify(server, signed_in):
    b = signed_in
    s3 = server.s3()
    bucket = f"edit-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    key = "docs/plan 2024+.txt"
    body = b"the plan\n" * 1000
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/plain", Metadata={"other": "keep-me"})
    go(b, "o", bucket, key)
    wait_for_text(b, "Properties")
    wait_for_text(b, "keep-me")
    wait_for_text(b, hashlib.md5(body).hexdigest())  # the ETag

    # Access level first, so that the description's copy must keep it.
    until(b, lambda: field(b, "Access level").is_enabled())
    assert field(b, "Access level").get_attribute("value") == "private"
    fill(b, "Access level", "authenticated-read")
    click(b, "Save access level")
    wait_for_text(b, "Access level saved")
    assert grants_level(s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]) == "authenticated-read"
    fill(b, "Access level", "public-read")
    click(b, "Save access level")
    until(b, lambda: grants_level(s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]) == "public-read")

    description = "Plan für 2024 — ✓"
    fill(b, "Description", description)
    click(b, "Save description")
    wait_for_text(b, "Description saved")
    head = s3.head_object(Bucket=bucket, Key=key)
    assert rfc2047(head["Metadata"]["description"]) == description
    assert head["Metadata"]["other"] == "keep-me"
    assert head["ContentType"] == "text/plain"
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert grants_level(s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]) == "public-read"

    until(b, lambda: field(b, "Tags").is_enabled())
    fill(b, "Tags", "a=1\nb=two words, with a comma")
    click(b, "Save tags")
    wait_for_text(b, "Tags saved")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
    assert tags == {"a": "1", "b": "two words, with a comma"}

    # A reload shows what was saved.
    b.refresh()
    wait_for_text(b, description)
    until(b, lambda: "b=two words, with a comma" in field(b, "Tags").get_attribute("value"))
    until(b, lambda: field(b, "Access level").get_attribute("value") == "public-read")
    fill(b, "Tags", "")
    click(b, "Save tags")
    wait_for_text(b, "No tags")
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []

    # Presigned link, with the expiry chosen.
    fill(b, "Link expires after", "15 minutes")
    until(b, lambda: "X-Amz-Expires=900" in (field(b, "Presigned link").get_attribute("value") or ""))
    url = field(b, "Presigned link").get_attribute("value")
    click(b, "Copy link")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        assert resp.read() == body

    # Download and verify.
    before = set(os.listdir(b.download_dir))
    click(b, "Download and verify")
    wait_for_text(b, f"MD5 {hashlib.md5(body).hexdigest()} matches the ETag", timeout=20)
    path = b.download_dir and new_download(b, before)
    with open(path, "rb") as f:
        assert f.read() == body


def test_multipart_object_is_not_verified(server, signed_in):
    b = signed_in
    s3 = server.s3()
    bucket = f"mp-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp.bin")
    part = s3.upload_part(Bucket=bucket, Key="mp.bin", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1000)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    go(b, "o", bucket, "mp.bin")
    wait_for_text(b, "stored by a multipart upload")
    assert find_clickable(b, "Download and verify") is None


def test_versions_restore_and_delete(server, signed_in):
    b = signed_in
    s3 = server.s3()
    bucket = f"ver-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = "notes #1.txt"
    v1 = s3.put_object(Bucket=bucket, Key=key, Body=b"old content")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key=key, Body=b"new content")["VersionId"]
    s3.put_object(Bucket=bucket, Key=key + ".other", Body=b"not this key")
    go(b, "o", bucket, key)
    wait_for_text(b, "2 versions of this key")
    assert find_clickable(b, f"Download version {v1}") and find_clickable(b, f"Download version {v2}")
    wait_for_text(b, "Latest")

    # Download an old version.
    before = set(os.listdir(b.download_dir))
    click(b, f"Download version {v1}")
    with open(new_download(b, before), "rb") as f:
        assert f.read() == b"old content"

    click(b, f"Restore version {v1} as latest")
    confirm(b, "Restore")
    wait_for_text(b, "3 versions of this key")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"old content"

    click(b, f"Delete version {v2}")
    confirm(b, "Delete version")
    wait_for_text(b, "2 versions of this key")
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) if v["Key"] == key]
    assert v2 not in ids and v1 in ids and len(ids) == 2
    assert find_clickable(b, f"Download version {v2}") is None

    # Deleting the object adds a delete marker; the page shows the versions still.
    click(b, "Delete object")
    confirm(b, "Delete")
    until(b, lambda: b.execute_script("return location.hash") == f"#/b/{bucket}/")
    go(b, "o", bucket, key)
    wait_for_text(b, "does not exist")
    wait_for_text(b, "Delete marker")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key=key)


def test_password_session_link_hint_and_access_denied(server, browser):
    user = server.new_user()
    s3u = user.s3()
    mine = f"own-{secrets.token_hex(4)}"
    s3u.create_bucket(Bucket=mine)
    s3u.put_object(Bucket=mine, Key="mine.txt", Body=b"mine")
    root_bucket = f"root-{secrets.token_hex(4)}"
    server.s3().create_bucket(Bucket=root_bucket)
    server.s3().put_object(Bucket=root_bucket, Key="secret.txt", Body=b"secret")

    sign_in_with_password(browser, server, user.username, user.password)

    wait_for_text(browser, "Your buckets")
    go(browser, "o", mine, "mine.txt")
    wait_for_text(browser, "stop working when those expire")
    url = field(browser, "Presigned link").get_attribute("value")
    assert "X-Amz-Security-Token=" in url
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as resp:
        assert resp.read() == b"mine"

    # Someone else's bucket and object: a readable refusal, not an endless "Loading…".
    go(browser, "b", root_bucket)
    wait_for_text(browser, "Access denied")
    go(browser, "o", root_bucket, "secret.txt")
    wait_for_text(browser, "Access denied")


def test_fields_whose_value_could_not_be_read_stay_locked(server, browser):
    """Another user may read an object (authenticated-read) but not its ACL: the access
    level and the description save (which re-applies the ACL) stay disabled with the
    reason, rather than offering to overwrite what the page never saw."""
    owner = server.new_user("lockowner")
    reader = server.new_user("lockreader")
    s3 = owner.s3()
    bucket = f"lock-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket, ACL="authenticated-read")
    s3.put_object(Bucket=bucket, Key="shared.txt", Body=b"shared", ACL="authenticated-read",
                  Tagging="keep=me", Metadata={"description": "kept"})
    sign_in_with_password(browser, server, reader.username, reader.password)
    wait_for_text(browser, "Your buckets")
    go(browser, "o", bucket, "shared.txt")
    wait_for_text(browser, "Properties")
    # The ACL could not be read: its field and the description save stay locked, the
    # error is shown with a Retry.
    wait_for_text(browser, "Access denied")
    assert not field(browser, "Access level").is_enabled()
    save = browser.find_element(By.XPATH, "//button[normalize-space()='Save description']")
    assert not save.is_enabled()
    click(browser, "Load the access level again")
    wait_for_text(browser, "Access denied")
    assert not save.is_enabled()
    # Nothing changed on the server.
    tags = s3.get_object_tagging(Bucket=bucket, Key="shared.txt")["TagSet"]
    assert tags == [{"Key": "keep", "Value": "me"}]
    assert s3.head_object(Bucket=bucket, Key="shared.txt")["Metadata"] == {"description": "kept"}
