"""A web page on another origin talking to Depot the way browsers let it: an HTML form
POSTing a file with a policy signed by boto3's `generate_presigned_post` and
redirected back to the page's site, and a page script's `fetch` PUT to a presigned URL,
let through by the bucket's CORS rules (the preflight answered, `ETag` exposed) or
blocked when no rule allows the page's origin.

The page is served by a plain `http.server` on another 127.0.0.1 port than Depot's, so
the browser applies its cross-origin rules. Each outcome is checked through S3.
"""

import functools
import hashlib
import html
import http.server
import json
import os
import secrets
import threading
import urllib.parse
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError
from selenium.webdriver.common.by import By

from support import browser_log, click, until, wait_for_text

MiB = 1024 * 1024


# --------------------------------------------------------------------------- the page's site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@dataclass
class Site:
    """A static site: pages written under `root` are served at `url` + "/" + name."""

    root: str
    url: str

    def page(self, name, body_html, title="Test page"):
        """Writes an HTML page and returns its URL."""
        with open(os.path.join(self.root, name), "w", encoding="utf-8") as f:
            f.write(f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
                    f"<body>\n{body_html}\n</body></html>\n")
        return f"{self.url}/{name}"


@pytest.fixture
def site(tmp_path):
    """A static HTTP server on a free 127.0.0.1 port (another origin than Depot's),
    serving a temp dir; shut down when the test ends."""
    root = tmp_path / "site"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield Site(str(root), f"http://127.0.0.1:{httpd.server_address[1]}")
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


@pytest.fixture
def s3(server):
    return server.s3()


@pytest.fixture
def bucket(s3):
    """A fresh bucket of root's, emptied and deleted when the test ends."""
    name = f"cors-post-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": k} for k in keys]})
        s3.delete_bucket(Bucket=name)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


# --------------------------------------------------------------------------- form POST


def test_html_form_post_upload_redirects_back_to_the_site(server, browser, site, s3, bucket, tmp_path):
    done = site.page("done.html", "<h1>Upload done</h1>", title="Done")
    post = s3.generate_presigned_post(
        Bucket=bucket,
        Key="uploads/${filename}",
        Fields={"success_action_redirect": done},
        Conditions=[{"success_action_redirect": done}, ["starts-with", "$key", "uploads/"], ["content-length-range", 1, MiB]],
        ExpiresIn=600,
    )
    assert post["url"] == f"{server.url}/{bucket}", post["url"]
    hidden = "\n".join(
        f'  <input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">' for name, value in post["fields"].items()
    )
    form_page = site.page(
        "form.html",
        f'<h1>Send a file</h1>\n<form method="post" enctype="multipart/form-data" action="{html.escape(post["url"])}">\n'
        f'{hidden}\n  <label>File <input type="file" name="file"></label>\n  <button type="submit">Upload</button>\n</form>',
        title="Form",
    )
    data = os.urandom(50_000)
    path = tmp_path / "page upload.bin"
    path.write_bytes(data)

    browser.get(form_page)
    browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(path))
    click(browser, "Upload")
    until(browser, lambda: browser.current_url.startswith(done + "?"), 20, f"no redirect to {done}: at {browser.current_url}")
    wait_for_text(browser, "Upload done")

    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    key = "uploads/page upload.bin"
    assert query == {"bucket": [bucket], "key": [key], "etag": [f'"{md5_hex(data)}"']}, browser.current_url
    got = s3.get_object(Bucket=bucket, Key=key)
    assert md5_hex(got["Body"].read()) == md5_hex(data)
    assert got["ETag"] == f'"{md5_hex(data)}"'


# --------------------------------------------------------------------------- CORS fetch

# Runs at load: a PUT the browser must preflight (x-amz-meta-from is not a safelisted
# header), its status and exposed ETag written into the page, or "blocked" when the
# browser refuses it (fetch rejects with a TypeError).
_FETCH_SCRIPT = """
<output id="result" aria-live="polite"></output>
<script>
const url = %s;
const result = document.getElementById('result');
fetch(url, {method: 'PUT', headers: {'Content-Type': 'text/plain', 'x-amz-meta-from': 'browser'}, body: 'hello from the page'})
  .then(r => { result.textContent = 'status ' + r.status + ' etag ' + r.headers.get('ETag'); })
  .catch(e => { result.textContent = (e instanceof TypeError ? 'blocked: ' : 'failed: ') + e; });
</script>
"""


def fetch_page(site, s3, bucket, key):
    """A page of `site` whose script PUTs to a presigned URL of bucket/key."""
    url = s3.generate_presigned_url(
        "put_object",
        Params={"Bucket": bucket, "Key": key, "ContentType": "text/plain", "Metadata": {"from": "browser"}},
        ExpiresIn=600,
    )
    return site.page("fetch.html", "<h1>Fetch</h1>\n" + _FETCH_SCRIPT % json.dumps(url), title="Fetch")


def page_result(browser):
    """The text the page's script wrote, once it wrote one."""
    return until(browser, lambda: browser.find_element(By.ID, "result").text, 20, "the page's fetch did not finish")


def cors_rule(origin):
    return {"AllowedOrigins": [origin], "AllowedMethods": ["PUT", "GET"], "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"]}


def test_page_fetch_put_allowed_by_cors(browser, site, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [cors_rule(site.url)]})
    body = b"hello from the page"
    browser.get(fetch_page(site, s3, bucket, "from-page.txt"))
    assert page_result(browser) == f'status 200 etag "{md5_hex(body)}"'
    head = s3.head_object(Bucket=bucket, Key="from-page.txt")
    assert head["Metadata"] == {"from": "browser"}
    assert head["ContentType"] == "text/plain"
    assert s3.get_object(Bucket=bucket, Key="from-page.txt")["Body"].read() == body


def test_page_fetch_put_blocked_without_a_rule_for_its_origin(browser, site, s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [cors_rule("https://elsewhere.example.com")]})
    browser.get(fetch_page(site, s3, bucket, "from-page.txt"))
    assert page_result(browser).startswith("blocked: TypeError"), page_result(browser)
    messages = " ".join(e.get("message", "") for e in browser_log(browser))
    assert "blocked by CORS policy" in messages, messages
    with pytest.raises(ClientError) as refused:
        s3.head_object(Bucket=bucket, Key="from-page.txt")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
