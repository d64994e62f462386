"""Uploads from the object browser: drag and drop and the file picker, a 64 MiB file
through a real multipart upload with its progress bar advancing, cancel of a large
upload leaving nothing behind, parts refused with 503 SlowDown retried until the upload
completes, and description/tags/access level at upload time — each checked through S3
(bytes by MD5, ETag, metadata, tags, ACL)."""

import base64
import hashlib
import re
import secrets
import time

import pytest
from botocore.exceptions import ClientError
from selenium.webdriver.common.by import By

from support import go, until, browser_log, drop_files, fill, find_text, make_file, sign_in_with_keys, wait_for_text

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
MiB = 1024 * 1024


def upload_state(driver, name):
    """The state text of the upload row of file `name` ('' when there is none)."""
    return driver.execute_script(
        "const p = document.querySelector(`progress[aria-label=\"Progress of ${arguments[0]}\"]`);"
        "const row = p && p.closest('li');"
        "const s = row && row.querySelector('.state');"
        "return s ? s.textContent : '';",
        name,
    )


def wait_state(driver, name, state, timeout=30):
    until(driver, lambda: upload_state(driver, name).startswith(state), timeout,
          f"upload of {name} not {state!r} (is {upload_state(driver, name)!r})")


# Counts, in the page, the console's XMLHttpRequests (uploads) and fetches in flight
# (window.__inflight) and keeps the status of each finished XMLHttpRequest
# (window.__xhrStatuses: 0 for a network error or an abort).
_TRACK_REQUESTS = """
window.__inflight = 0;
window.__xhrStatuses = [];
const send0 = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.send = function (body) {
  window.__inflight++;
  this.addEventListener('loadend', () => { window.__inflight--; window.__xhrStatuses.push(this.status); });
  return send0.call(this, body);
};
const fetch0 = window.fetch;
window.fetch = function () {
  window.__inflight++;
  const p = fetch0.apply(this, arguments);
  p.then(() => window.__inflight--, () => window.__inflight--);
  return p;
};
"""


def wait_no_requests_in_flight(driver, timeout=15):
    until(driver, lambda: driver.execute_script("return window.__inflight") == 0, timeout,
          "the page still has requests in flight")


def assert_nothing_comes_back(s3, bucket, key, seconds=2.0, every=0.2):
    """Polls for `seconds` that `bucket` has no multipart upload and no `key`: a part
    still on its way when the abort went out must not revive the upload."""
    deadline = time.monotonic() + seconds
    polls = 0
    while True:
        assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), f"an upload came back (poll {polls})"
        with pytest.raises(ClientError) as e:
            s3.head_object(Bucket=bucket, Key=key)
        assert e.value.response["Error"]["Code"] in ("404", "NoSuchKey")
        polls += 1
        if time.monotonic() >= deadline:
            break
        time.sleep(every)
    assert polls >= 5


def stored_md5(s3, bucket, key):
    return hashlib.md5(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def rfc2047(value):
    m = re.fullmatch(r"=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=", value, re.I)
    return base64.b64decode(m.group(1)).decode() if m else value


@pytest.fixture(scope="module")
def bucket(server):
    name = f"up-{secrets.token_hex(4)}"
    server.s3().create_bucket(Bucket=name)
    return name


def test_drag_and_drop_two_files_and_the_picker(server, signed_in, bucket, tmp_path):
    b = signed_in
    s3 = server.s3()
    go(b, "b", bucket, "dropped/")
    zone = wait_for_text(b, "Drop files here")
    assert b.execute_script("return arguments[0].closest('[tabindex]').tabIndex", zone) == 0
    one, md5_one = make_file(tmp_path, "one.bin", 300_000, seed=1)
    two, md5_two = make_file(tmp_path, "two words.txt", 1234, seed=2)
    drop_files(b, zone, [one, two])
    wait_state(b, "one.bin", "Done")
    wait_state(b, "two words.txt", "Done")
    assert stored_md5(s3, bucket, "dropped/one.bin") == md5_one
    assert stored_md5(s3, bucket, "dropped/two words.txt") == md5_two
    # The listing refreshes by itself.
    wait_for_text(b, "two words.txt", within=b.find_element("css selector", "table"))

    three, md5_three = make_file(tmp_path, "three.dat", 5000, seed=3)
    fill(b, "Choose files", three)
    wait_state(b, "three.dat", "Done")
    assert stored_md5(s3, bucket, "dropped/three.dat") == md5_three
    assert s3.head_object(Bucket=bucket, Key="dropped/three.dat")["ContentLength"] == 5000


def test_large_upload_is_multipart_with_progress(server, signed_in, bucket, tmp_path):
    b = signed_in
    s3 = server.s3()
    go(b, "b", bucket)
    wait_for_text(b, "Drop files here")
    path, md5 = make_file(tmp_path, "big.bin", 64 * MiB, seed=7)
    fill(b, "Choose files", path)
    samples = []

    def sample():
        v = b.execute_script(
            "const p = document.querySelector('progress[aria-label=\"Progress of big.bin\"]');"
            "return p ? [p.value, p.max, p.closest('li').querySelector('.state').textContent,"
            " p.closest('li').querySelector('.speed').textContent] : null;"
        )
        if v:
            samples.append(v)
        return v and v[2] in ("Done", "Cancelled") or (v and v[2].startswith("Failed"))

    until(b, sample, 120, "the upload did not finish", poll=0.02)
    assert samples[-1][2] == "Done", samples[-1]
    values = [s[0] for s in samples]
    partial = [v for v in values if 0 < v < 64 * MiB]
    assert partial, f"the progress bar never showed a partial value: {values[:20]}…"
    assert values == sorted(values), "the progress went backwards"
    assert samples[-1][0] == samples[-1][1] == 64 * MiB
    assert re.search(r"[0-9.]+ [KMG]?i?B/s", samples[-1][3]), samples[-1][3]

    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == 64 * MiB
    assert head["ETag"].strip('"').endswith("-8"), head["ETag"]
    assert s3.head_object(Bucket=bucket, Key="big.bin", PartNumber=1)["PartsCount"] == 8
    assert stored_md5(s3, bucket, "big.bin") == md5


def click_at_first_progress(driver, name, button):
    """From inside the page, clicks the button named `button` (its aria-label or text) the
    moment the upload row of `name` reports its first bytes; `window.__clickedAt` is the
    progress at that moment."""
    driver.execute_script(
        """
        const [name, label] = arguments;
        window.__clickedAt = null;
        const poll = () => {
          const p = document.querySelector(`progress[aria-label="Progress of ${name}"]`);
          if (p && p.value > 0) {
            window.__clickedAt = p.value;
            [...document.querySelectorAll('button')].find(x => x.getAttribute('aria-label') === label || x.textContent === label).click();
          } else setTimeout(poll, 1);
        };
        poll();
        """,
        name,
        button,
    )


def test_cancel_large_upload_leaves_nothing(server, signed_in, bucket, tmp_path):
    b = signed_in
    s3 = server.s3()
    go(b, "b", bucket, "cancel/")
    wait_for_text(b, "Drop files here")
    path, _ = make_file(tmp_path, "huge.bin", 96 * MiB, seed=9)
    b.execute_script(_TRACK_REQUESTS)
    # Cancel from inside the page the moment the first bytes are reported.
    click_at_first_progress(b, "huge.bin", "Cancel huge.bin")
    fill(b, "Choose files", path)
    until(b, lambda: b.execute_script("return window.__clickedAt"), 30, "no progress seen")
    wait_state(b, "huge.bin", "Cancelled")
    assert 0 < b.execute_script("return window.__clickedAt") < 96 * MiB
    wait_no_requests_in_flight(b)  # the parts are aborted and the abort is answered
    until(b, lambda: not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), 15,
          "a multipart upload was left behind")
    assert_nothing_comes_back(s3, bucket, "cancel/huge.bin")
    # Nothing was sent again after the cancel (no retry), and nothing is pending.
    assert b.execute_script("return window.__inflight") == 0


def test_sign_out_ends_uploads_in_flight(server, signed_in, bucket, tmp_path):
    """Signing out in the middle of a multipart upload aborts it on the server and leaves
    nothing for the next person to sign in on this tab."""
    b = signed_in
    s3 = server.s3()
    go(b, "b", bucket, "signout/")
    wait_for_text(b, "Drop files here")
    path, _ = make_file(tmp_path, "leaving.bin", 96 * MiB, seed=21)
    b.execute_script(_TRACK_REQUESTS)
    click_at_first_progress(b, "leaving.bin", "Sign out")
    fill(b, "Choose files", path)
    until(b, lambda: b.execute_script("return window.__clickedAt"), 30, "no progress seen")
    wait_for_text(b, "You have signed out")
    wait_no_requests_in_flight(b)  # the parts are aborted and the abort is answered
    until(b, lambda: not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"), 15,
          "a multipart upload was left behind")
    assert_nothing_comes_back(s3, bucket, "signout/leaving.bin")
    # The next sign-in on this tab sees no trace of it.
    sign_in_with_keys(b, server, server.root_key, server.root_secret)
    go(b, "b", bucket, "signout/")
    wait_for_text(b, "Drop files here")
    assert "leaving.bin" not in b.find_element(By.TAG_NAME, "main").text


def test_parts_refused_with_slowdown_are_retried(server_factory, browser, tmp_path):
    """With room for one upload body at a time, three of the four parts sent at once are
    refused (503 SlowDown, or the connection closed before their body was read): each is
    sent again after a backoff, and the upload completes with every byte."""
    srv = server_factory(env={"DEPOT_MAX_CONCURRENT_UPLOADS": "1"}, name="one-upload")
    s3 = srv.s3()
    name = f"retry-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    b = browser
    sign_in_with_keys(b, srv, srv.root_key, srv.root_secret)
    wait_for_text(b, "Your buckets")
    go(b, "b", name)
    wait_for_text(b, "Drop files here")
    path, md5 = make_file(tmp_path, "busy.bin", 64 * MiB, seed=31)
    b.execute_script(_TRACK_REQUESTS)
    fill(b, "Choose files", path)
    until(b, lambda: upload_state(b, "busy.bin") == "Done" or upload_state(b, "busy.bin").startswith("Failed"), 120,
          "the upload did not finish")
    assert upload_state(b, "busy.bin") == "Done", upload_state(b, "busy.bin")
    statuses = b.execute_script("return window.__xhrStatuses")
    refused = [s for s in statuses if s == 503 or s == 0]
    assert refused, f"no part was refused, so nothing was retried: {statuses}"
    retries = [e["message"] for e in browser_log(b) if "retry 1 of 4" in e.get("message", "")]
    assert retries, "the console logged no retry"
    # 8 parts of 8 MiB + the completion succeeded; every refusal was sent again.
    assert statuses.count(200) == 9, statuses
    print(f"refused then retried: {len(refused)} (statuses {statuses}); {retries[0]}")
    head = s3.head_object(Bucket=name, Key="busy.bin")
    assert head["ContentLength"] == 64 * MiB
    assert head["ETag"].strip('"').endswith("-8"), head["ETag"]
    assert s3.head_object(Bucket=name, Key="busy.bin", PartNumber=1)["PartsCount"] == 8
    assert stored_md5(s3, name, "busy.bin") == md5
    assert not s3.list_multipart_uploads(Bucket=name).get("Uploads")


def test_description_tags_and_access_level_at_upload(server, signed_in, bucket, tmp_path):
    b = signed_in
    s3 = server.s3()
    go(b, "b", bucket, "meta/")
    wait_for_text(b, "Drop files here")
    description = "Quarterly report — Größe ✓"
    fill(b, "Description", description)
    fill(b, "Tags", "project=apollo\nstage=final\nowner=me")
    fill(b, "Access level", "public-read")
    p1, m1 = make_file(tmp_path, "report.pdf", 20_000, seed=11)
    p2, m2 = make_file(tmp_path, "notes.txt", 100, seed=12)
    fill(b, "Choose files", "\n".join([p1, p2]))
    wait_state(b, "report.pdf", "Done")
    wait_state(b, "notes.txt", "Done")
    for name, md5 in (("report.pdf", m1), ("notes.txt", m2)):
        key = f"meta/{name}"
        head = s3.head_object(Bucket=bucket, Key=key)
        assert rfc2047(head["Metadata"]["description"]) == description
        tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
        assert tags == {"project": "apollo", "stage": "final", "owner": "me"}
        grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants), grants
        assert stored_md5(s3, bucket, key) == md5

    # Malformed tags: nothing is uploaded.
    fill(b, "Tags", "broken")
    p3, _ = make_file(tmp_path, "refused.txt", 10, seed=13)
    fill(b, "Choose files", p3)
    wait_for_text(b, "is not of the form key=value")
    assert upload_state(b, "refused.txt") == ""
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="meta/refused.txt")

    # The details page shows the decoded description.
    go(b, "o", bucket, "meta/notes.txt")
    wait_for_text(b, description)
    assert find_text(b, "=?UTF-8?") is None
