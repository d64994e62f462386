"""Search (#/search): by name, description, tags, content type, size and bucket over the
buckets the user may read; results link to the object's details; new objects appear
without reloading; the index's lag is shown when it is behind."""

import secrets

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from support import open_screen, click, fill, field, sign_in_with_keys, sign_in_with_password, wait_for_text


def results(driver):
    """(bucket, key) of each result row."""
    return driver.execute_script(
        "return [...document.querySelectorAll('main table tbody tr')].map(r => [r.cells[1].innerText.trim(), r.cells[0].innerText.trim()])"
    )


FIELDS = ("Name", "Description", "Tags", "Content type", "Min size", "Max size")


def search(driver, expect, timeout=10, **filters):
    """Fills the form (every text field not named is cleared; `bucket` picks the bucket),
    presses Search and waits for exactly `expect` [(bucket, key)]."""
    for label in FIELDS:
        fill(driver, label, filters.get(label.lower().replace(" ", "_"), ""))
    fill(driver, "Bucket", filters.get("bucket", "All buckets"))
    click(driver, "Search", within=driver.find_element(By.CSS_SELECTOR, "main form"))
    want = sorted(expect)
    try:
        WebDriverWait(driver, timeout, 0.1).until(lambda d: sorted(map(tuple, results(d))) == want)
    except Exception:
        pytest.fail(f"search {filters}: wanted {want}, shown {sorted(map(tuple, results(driver)))}")


@pytest.fixture(scope="module")
def corpus(server):
    """Two buckets of root's with objects of several names, descriptions, tags, types
    and sizes; every key holds a word of its own (`u`) so other tests' objects never match."""
    u = secrets.token_hex(4)
    s3 = server.s3()
    b1, b2 = f"srch-{u}", f"srch2-{u}"
    s3.create_bucket(Bucket=b1)
    s3.create_bucket(Bucket=b2)
    objs = {
        "annual": (b1, f"reports/annual-{u}.pdf", 3000, "application/pdf", f"Annual financial report {u}", "dept=finance&year=2024"),
        "beach": (b1, f"photos/beach-{u}.jpg", 50_000, "image/jpeg", f"Sunset at the beach {u}", "trip=spain&year=2024"),
        "todo": (b1, f"notes/todo-{u}.txt", 10, "text/plain", "", "dept=eng"),
        "readme": (b2, f"docs/readme-{u}.md", 200, "text/markdown", f"Read me first {u}", ""),
    }
    for bucket, key, size, ctype, desc, tags in objs.values():
        extra = {"Metadata": {"description": desc}} if desc else {}
        if tags:
            extra["Tagging"] = tags
        s3.put_object(Bucket=bucket, Key=key, Body=b"z" * size, ContentType=ctype, **extra)
    return u, b1, b2, {name: (o[0], o[1]) for name, o in objs.items()}


def test_search_by_each_filter_and_open_a_result(server, browser, corpus):
    u, b1, b2, o = corpus
    sign_in_with_keys(browser, server, server.root_key, server.root_secret)
    click(browser, "Search")
    WebDriverWait(browser, 10, 0.1).until(lambda d: len(Select(field(d, "Bucket")).options) > 2, "buckets not listed")
    options = [opt.text for opt in Select(field(browser, "Bucket")).options]
    assert options[0] == "All buckets" and b1 in options and b2 in options, options

    search(browser, [o["annual"], o["beach"], o["todo"], o["readme"]], name=u)
    search(browser, [o["annual"]], description=f"FINANCIAL report {u}")
    search(browser, [o["annual"], o["todo"]], name=u, tags="dept")
    search(browser, [o["annual"]], name=u, tags="dept=finance")
    search(browser, [o["annual"], o["beach"]], name=u, tags="year=2024")
    search(browser, [o["beach"]], name=u, tags="year=2024, trip=spain")
    search(browser, [o["beach"]], name=u, content_type="image/*")
    search(browser, [o["todo"], o["readme"]], name=u, content_type="text/*")
    search(browser, [o["annual"]], name=u, content_type="application/pdf")
    search(browser, [o["annual"], o["readme"]], name=u, min_size="100", max_size="10 KiB")
    search(browser, [o["beach"]], name=u, min_size="10KB")
    search(browser, [o["readme"]], name=u, bucket=b2)
    search(browser, [o["annual"]], name=f"ANNUAL-{u}", bucket=b1)
    search(browser, [], name=f"nothing-{u}")
    wait_for_text(browser, "No results")

    # A bad size is a readable message, not a request.
    fill(browser, "Min size", "lots")
    click(browser, "Search", within=browser.find_element(By.CSS_SELECTOR, "main form"))
    wait_for_text(browser, "Min size: write a number of bytes")

    # Details, sorting and opening a result.
    search(browser, [o["annual"], o["beach"], o["todo"]], name=u, bucket=b1)
    rows = browser.execute_script("return [...document.querySelectorAll('main table tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))")
    assert [r[0] for r in rows] == [o["todo"][1], o["beach"][1], o["annual"][1]], rows  # sorted by key
    cells = rows[2]
    assert cells[0] == o["annual"][1] and cells[2] == "2.9 KiB" and cells[3] == "application/pdf", cells
    assert cells[5] == f"Annual financial report {u}" and cells[6] == "dept=finance, year=2024", cells
    link = browser.find_element(By.LINK_TEXT, o["beach"][1])
    assert link.get_attribute("href").endswith(f"#/o/{b1}/photos%2Fbeach-{u}.jpg")
    link.click()
    WebDriverWait(browser, 10, 0.1).until(lambda d: d.execute_script("return location.hash") == f"#/o/{b1}/photos%2Fbeach-{u}.jpg")
    wait_for_text(browser, o["beach"][1], within=browser.find_element(By.CSS_SELECTOR, "main"))


def test_more_results_pages_through(server, browser):
    u = secrets.token_hex(4)
    user = server.new_user("many")
    s3 = user.s3()
    bucket = f"many-{u}"
    s3.create_bucket(Bucket=bucket)
    for i in range(105):
        s3.put_object(Bucket=bucket, Key=f"item-{i:03d}", Body=b"")
    sign_in_with_password(browser, server, user.username, user.password)
    open_screen(browser, "#/search", "Search")
    fill(browser, "Bucket", bucket)
    click(browser, "Search", within=browser.find_element(By.CSS_SELECTOR, "main form"))
    WebDriverWait(browser, 10, 0.1).until(lambda d: len(results(d)) == 100, "no first page of 100")
    wait_for_text(browser, "more available")
    click(browser, "More results")
    WebDriverWait(browser, 10, 0.1).until(lambda d: len(results(d)) == 105, "no second page")
    assert [k for _, k in results(browser)] == [f"item-{i:03d}" for i in range(105)]
    assert not browser.execute_script("return [...document.querySelectorAll('main button')].some(b => b.textContent === 'More results')")


def test_users_see_only_what_they_may_read(server, browser, corpus):
    u = secrets.token_hex(4)
    alice, bob = server.new_user("alice"), server.new_user("bob")
    a3, b3 = alice.s3(), bob.s3()
    a3.create_bucket(Bucket=f"alice-{u}")
    a3.put_object(Bucket=f"alice-{u}", Key=f"secret-{u}.txt", Body=b"private")
    b3.create_bucket(Bucket=f"bob-{u}")
    b3.put_object(Bucket=f"bob-{u}", Key=f"mine-{u}.txt", Body=b"bob's")

    sign_in_with_password(browser, server, bob.username, bob.password)
    open_screen(browser, "#/search", "Search")
    WebDriverWait(browser, 10, 0.1).until(lambda d: len(Select(field(d, "Bucket")).options) == 2, "bob's bucket not listed")
    assert [opt.text for opt in Select(field(browser, "Bucket")).options] == ["All buckets", f"bob-{u}"]
    search(browser, [(f"bob-{u}", f"mine-{u}.txt")], name=u)
    search(browser, [], name=corpus[0])  # root's objects: never bob's to see
    assert f"secret-{u}" not in browser.page_source

    # The same through the API: scoped, and 403 for a bucket bob may not read.
    status, body = server.json("GET", f"/_depot/search?name={u}", token=bob.token)
    assert status == 200 and [r["key"] for r in body["results"]] == [f"mine-{u}.txt"], body
    status, body = server.json("GET", f"/_depot/search?bucket=alice-{u}", token=bob.token)
    assert status == 403, body


def test_new_objects_appear_without_reloading(server, browser):
    u = secrets.token_hex(4)
    user = server.new_user("live")
    s3 = user.s3()
    s3.create_bucket(Bucket=f"live-{u}")
    sign_in_with_password(browser, server, user.username, user.password)
    open_screen(browser, "#/search", "Search")
    search(browser, [], name=f"late-{u}")
    browser.execute_script("window.__sameDocument = true")
    s3.put_object(Bucket=f"live-{u}", Key=f"late-{u}.txt", Body=b"hello", Metadata={"description": "arrived later"})
    WebDriverWait(browser, 10, 0.1).until(lambda d: results(d) == [[f"live-{u}", f"late-{u}.txt"]], "the new object did not appear")
    assert browser.execute_script("return window.__sameDocument") is True
    assert field(browser, "Name").get_attribute("value") == f"late-{u}"


def test_index_lag_is_shown(server_factory, browser):
    # Events go to a Kafka broker that does not exist: writes succeed, the index lags.
    srv = server_factory(env={"DEPOT_KAFKA_BROKERS": "127.0.0.1:9", "DEPOT_INDEXER_MAX_LAG_SECONDS": "3600"}, name="lagging")
    user = srv.new_user("lag")
    s3 = user.s3()
    s3.create_bucket(Bucket="lagging-bucket")
    s3.put_object(Bucket="lagging-bucket", Key="not-yet-indexed.txt", Body=b"x")
    sign_in_with_password(browser, srv, user.username, user.password)
    open_screen(browser, "#/search", "Search")
    notice = wait_for_text(browser, "events behind", timeout=15)
    assert "results may miss the newest changes" in notice.text, notice.text
