"""The console's shell: how the page and its assets are served, the console switch, and
that the page loads cleanly in Chromium and offers a sign-in form."""

import re
import secrets
import time

from support import button, console_errors, field

ASSET = re.compile(r"""assets/([0-9a-f]{16}|dev)/([^"'\s<>?#]+)""")


def page(server):
    resp = server.request("GET", "/_depot/console/")
    assert resp.status == 200, f"GET /_depot/console/: {resp.status} {resp.text[:200]}"
    return resp


def test_page_is_html_with_security_and_cache_headers(server):
    resp = page(server)
    assert resp.headers.get("Content-Type", "").startswith("text/html"), resp.headers.get("Content-Type")
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp, csp
    assert "unsafe-inline" not in csp, csp
    assert "unsafe-eval" not in csp, csp
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert resp.headers.get("Referrer-Policy") == "no-referrer"
    assert "no-cache" in resp.headers.get("Cache-Control", ""), resp.headers.get("Cache-Control")


def test_assets_have_versioned_urls_cached_for_good(server):
    html = page(server).text
    found = ASSET.findall(html)
    assert found, f"the page names no assets/<version>/… URL:\n{html[:1000]}"
    version, path = found[0]
    dev = server.console_dir is not None  # files served from a directory: never cached
    assert (version == "dev") == dev, f"version {version!r} with DEPOT_CONSOLE_DIR={server.console_dir}"
    assert all(v == version for v, _ in found), f"assets of several versions: {found}"

    asset = server.request("GET", f"/_depot/console/assets/{version}/{path}")
    assert asset.status == 200, f"{path}: {asset.status}"
    cache = asset.headers.get("Cache-Control", "")
    if dev:
        assert "no-cache" in cache, cache
    else:
        assert "immutable" in cache and "max-age=" in cache, cache
    assert asset.headers.get("X-Content-Type-Options") == "nosniff"
    if path.endswith(".js"):
        assert asset.headers.get("Content-Type", "").startswith("text/javascript"), asset.headers.get("Content-Type")

    missing = server.request("GET", f"/_depot/console/assets/{version}/no-such-{secrets.token_hex(4)}.js")
    assert missing.status == 404, missing.status
    climbing = server.request("GET", f"/_depot/console/assets/{version}/../../Cargo.toml")
    assert climbing.status in (400, 404), climbing.status


def test_console_without_slash_redirects(server):
    resp = server.request("GET", "/_depot/console")
    assert resp.status in (301, 302, 307, 308), resp.status
    assert resp.headers.get("Location") == "/_depot/console/", resp.headers.get("Location")


def test_console_off_answers_404_and_s3_still_works(server_factory):
    srv = server_factory(env={"DEPOT_CONSOLE": "off"}, name="console-off")
    assert srv.request("GET", "/_depot/console/").status == 404
    assert srv.request("GET", "/_depot/console/assets/0000000000000000/js/app.js").status == 404
    s3 = srv.s3()
    s3.create_bucket(Bucket="still-works")
    s3.put_object(Bucket="still-works", Key="hello.txt", Body=b"hello")
    assert s3.get_object(Bucket="still-works", Key="hello.txt")["Body"].read() == b"hello"


def test_page_loads_without_console_errors(server, browser):
    browser.get(server.console_url)
    deadline = time.monotonic() + 5
    while browser.execute_script("return document.readyState") != "complete" and time.monotonic() < deadline:
        time.sleep(0.05)
    # The scripts ran their start-up: the sign-in form is drawn (a page whose scripts
    # failed shows none).
    assert field(browser, "Username").tag_name == "input"
    assert field(browser, "Password").get_attribute("type") == "password"
    assert button(browser, "Sign in").is_enabled()
    errors = console_errors(browser)
    assert not errors, "browser console errors:\n" + "\n".join(e["message"] for e in errors)


def test_page_shows_a_sign_in_form(server, browser):
    browser.get(server.console_url)
    assert field(browser, "Username").tag_name == "input"
    assert field(browser, "Password").get_attribute("type") == "password"
    assert button(browser, "Sign in").is_enabled()
