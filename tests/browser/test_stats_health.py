"""Statistics (#/stats) and health (#/health): the numbers shown match the API and what
was stored, the charts are SVG with names and numbers as text, health shows each
component with a text status and refreshes by itself, and stops when left."""

import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support import open_screen, click, sign_in_with_keys, sign_in_with_password, wait_for_text


def test_statistics_match_what_was_stored(server, browser):
    user = server.new_user("stats")
    s3 = user.s3()
    big, small = f"big-{user.username}", f"small-{user.username}"
    s3.create_bucket(Bucket=big)
    s3.create_bucket(Bucket=small)
    sizes = {big: [1000, 2000, 3000], small: [10]}
    for bucket, objs in sizes.items():
        for i, size in enumerate(objs):
            s3.put_object(Bucket=bucket, Key=f"obj-{i}", Body=b"x" * size)

    def indexed():
        status, body = server.json("GET", "/_depot/stats", token=user.token)
        assert status == 200, body
        return body if body["total_objects"] == 4 else False

    stats = WebDriverWait(browser, 10, 0.1).until(lambda _: indexed(), "the index did not catch up")
    assert stats["total_bytes"] == 6010 and stats["bucket_count"] == 2, stats

    sign_in_with_password(browser, server, user.username, user.password)
    click(browser, "Statistics")
    wait_for_text(browser, "Top 10 buckets by objects")
    totals = browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('main dl dt')].map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]))"
    )
    assert totals["Objects"] == "4", totals
    assert totals["Buckets"] == "2", totals
    assert "6,010 bytes" in totals["Stored"] and "5.9 KiB" in totals["Stored"], totals

    rows = browser.execute_script(
        "return [...document.querySelectorAll('main table tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    by_name = {r[0]: r for r in rows}
    assert set(by_name) == {big, small}, rows
    assert by_name[big][1] == "3" and by_name[big][2] == "5.9 KiB", by_name[big]
    assert by_name[small][1] == "1" and by_name[small][2] == "10 B", by_name[small]
    assert by_name[big][3] == "3", by_name[big]  # versions

    charts = browser.find_elements(By.CSS_SELECTOR, "main svg")
    assert len(charts) == 2
    for chart in charts:
        assert chart.get_attribute("role") == "img"
        assert chart.get_attribute("aria-label")
        assert browser.execute_script("return arguments[0].querySelector('title') !== null", chart)
        assert len(chart.find_elements(By.CSS_SELECTOR, "rect")) == 2
    texts = [browser.execute_script("return [...arguments[0].querySelectorAll('text')].map(t => t.textContent)", c) for c in charts]
    # By objects: big (3) first, then small (1); by bytes: big (5.9 KiB), small (10 B).
    assert texts[0] == [big, "3", small, "1"], texts[0]
    assert texts[1] == [big, "5.9 KiB", small, "10 B"], texts[1]
    widths = [float(r.get_attribute("width")) for r in charts[0].find_elements(By.CSS_SELECTOR, "rect")]
    assert widths[0] > widths[1] > 0, widths


def test_health_shows_components_and_refreshes(server, browser):
    sign_in_with_keys(browser, server, server.root_key, server.root_secret)
    click(browser, "Health")
    wait_for_text(browser, "Overall:")
    status, health = server.json("GET", "/_depot/health")
    assert status == 200, health
    overall = browser.execute_script("return document.querySelector('main .badge').textContent")
    assert overall == health["status"] == "ok"

    rows = browser.execute_script(
        "return [...document.querySelectorAll('main table')[0].querySelectorAll('tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    components = {r[0]: r for r in rows}
    assert {"Catalog", "Storage", "Indexer"} <= set(components), rows
    assert ("Kafka" in components) == ("kafka" in health["checks"])
    for name in ("Catalog", "Storage", "Indexer"):
        assert components[name][1] == "ok", components[name]
    assert components["Catalog"][2].endswith(" ms"), components["Catalog"]
    assert "events behind" in components["Indexer"][3], components["Indexer"]

    drives = health["checks"]["storage"].get("drives") or []
    if drives:
        drive_rows = browser.execute_script(
            "return [...document.querySelectorAll('main table')[1].querySelectorAll('tbody tr')].map(r => r.cells[1].innerText.trim())"
        )
        assert drive_rows == [d["status"] for d in drives], drive_rows

    def updated():
        return browser.execute_script("const t = document.querySelector('main .updated time'); return t && t.getAttribute('datetime')")

    first = updated()
    assert first
    wait_for_text(browser, "Updated")
    WebDriverWait(browser, 12, 0.2).until(lambda _: updated() not in (None, first), "the Updated time did not change")

    # Leaving the page stops the polling.
    browser.execute_script(
        "window.__healthCalls = 0; const f = window.fetch;"
        "window.fetch = (...a) => { if (String(a[0]).includes('/_depot/health')) window.__healthCalls++; return f(...a); };"
    )
    open_screen(browser, "#/keys", "Access keys")
    browser.execute_script("window.__healthCalls = 0")
    time.sleep(6)
    assert browser.execute_script("return window.__healthCalls") == 0


def test_integrity_md5_worker_over_several_slices(server, browser):
    """integrity.md5OfBlob (used by the object page's "Download and verify") hashes a blob
    of several 4 MiB slices in its worker, reporting progress, as Python's hashlib does."""
    import hashlib

    size = 9 * 1024 * 1024 + 123
    data = bytes((i * 31 + (i >> 8)) & 0xFF for i in range(size))
    browser.get(server.console_url)
    WebDriverWait(browser, 10, 0.1).until(lambda d: d.execute_script("return document.readyState") == "complete")
    result = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const size = arguments[0];
        const base = document.querySelector('script[type=module]').src.replace(/js\\/app\\.js.*$/, '');
        import(base + 'js/integrity.js').then(async (m) => {
          const bytes = new Uint8Array(size);
          for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
          const progress = [];
          const hex = await m.md5OfBlob(new Blob([bytes]), (n, total) => progress.push([n, total]));
          done({hex, progress, limit: m.VERIFY_LIMIT});
        }).catch((e) => done({error: String(e)}));
        """,
        size,
    )
    assert "error" not in result, result
    assert result["hex"] == hashlib.md5(data).hexdigest()
    assert result["progress"][-1] == [size, size] and len(result["progress"]) >= 4, result["progress"]
    assert result["limit"] == 1024 * 1024 * 1024
