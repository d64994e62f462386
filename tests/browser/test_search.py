"""Search (#/search): by name, description, tags, content type, size and bucket over the
buckets the user may read; results link to the object's details; new objects appear
without reloading; the index's lag is shown when it is behind."""

import secrets
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from support import find_clickable, find_text, open_screen, click, fill, field, sign_in_with_keys, sign_in_with_password, until, wait_for_text


def results(driver):
    """(bucket, key) of each result row."""
    return driver.execute_script(
        "return [...document.querySelectorAll('main table tbody tr')].map(r => [r.cells[1].innerText.trim(), r.cells[0].innerText.trim()])"
    )


FIELDS = ("Name", "Description", "Tags", "Content type", "Min size", "Max size")


# Records the page's requests to /_depot/: `window.__requests` of {path, query, done,
# at}, pushed when a request starts (`done` once its answer is in); with
# `window.__delay = {match, ms}`, requests whose URL contains `match` are held back
# that long first (a slow network).
_JS_RECORD_FETCH = """
if (!window.__requests) {
  window.__requests = [];
  const orig = window.fetch;
  window.fetch = async function (input, init) {
    const url = new URL(typeof input === 'string' ? input : input.url, location.href);
    const entry = {path: url.pathname, query: url.search, done: false, at: Date.now()};
    if (url.pathname.startsWith('/_depot/')) window.__requests.push(entry);
    const delay = window.__delay;
    if (delay && url.href.includes(delay.match)) await new Promise(r => setTimeout(r, delay.ms));
    try { return await orig.apply(this, arguments); } finally { entry.done = true; }
  };
}
"""


def record_requests(driver):
    """Installs the request recorder (once per document)."""
    driver.execute_script(_JS_RECORD_FETCH)


def requests_to(driver, path, contains=""):
    """The recorded requests to `path` whose query string contains `contains`."""
    return driver.execute_script(
        "return (window.__requests || []).filter(r => r.path === arguments[0] && r.query.includes(arguments[1]))",
        path, contains,
    )


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
    search(browser, [o["beach"]], name=u, tags="year=2024\ntrip=spain")
    assert field(browser, "Tags").tag_name == "textarea"
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


def user_with_items(server, prefix):
    """A new user with a bucket of 105 empty objects `item-000`…`item-104`."""
    user = server.new_user(prefix)
    s3 = user.s3()
    bucket = f"{prefix}-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=bucket)
    for i in range(105):
        s3.put_object(Bucket=bucket, Key=f"item-{i:03d}", Body=b"")
    return user, bucket


def test_more_results_pages_through(server, browser):
    user, bucket = user_with_items(server, "many")
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


def test_more_results_is_never_left_loading_by_the_background_refresh(server, browser):
    """"More results" while the background refresh runs (it re-runs a fresh search every
    2 s): the refresh must not supersede the page being loaded, and the button must not
    stay disabled on "Loading…". The next page is held back (a slow network) so that a
    refresh falls inside the load every time."""
    user, bucket = user_with_items(server, "morerace")
    want = [f"item-{i:03d}" for i in range(105)]
    sign_in_with_password(browser, server, user.username, user.password)
    open_screen(browser, "#/search", "Search")
    record_requests(browser)
    form = browser.find_element(By.CSS_SELECTOR, "main form")
    fill(browser, "Bucket", bucket)
    for delay_ms in (2600, 0, 2600, 1300, 0):
        browser.execute_script("window.__delay = {match: 'cursor=', ms: arguments[0]}", delay_ms)
        before = len(requests_to(browser, "/_depot/search", "cursor="))
        click(browser, "Search", within=form)
        until(browser, lambda: len(results(browser)) == 100 and find_clickable(browser, "More results"), message="no first page of 100")
        click(browser, "More results")  # right after the search: the refresh is active
        try:
            until(browser, lambda: len(results(browser)) == 105, timeout=15)
        except Exception:
            loading = find_text(browser, "Loading…")
            pytest.fail(f"delay {delay_ms} ms: {len(results(browser))} results shown; the button is {'stuck on Loading…' if loading else 'not stuck'}")
        assert [k for _, k in results(browser)] == want
        assert find_clickable(browser, "More results") is None and find_text(browser, "Loading…") is None
        assert len(requests_to(browser, "/_depot/search", "cursor=")) == before + 1
        if delay_ms:
            # A refresh was due while the page loaded: it waited (no refresh started
            # during the load), and later ones keep all 105 results.
            time.sleep(2.5)
            assert len(results(browser)) == 105


def test_tag_values_may_hold_commas(server, browser):
    u = secrets.token_hex(4)
    user = server.new_user("commas")
    s3 = user.s3()
    bucket = f"commas-{u}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"both-{u}.txt", Body=b"x", Tagging="team=storage%2C%20ops&tier=gold")
    s3.put_object(Bucket=bucket, Key=f"storage-{u}.txt", Body=b"x", Tagging="team=storage")
    s3.put_object(Bucket=bucket, Key=f"ops-{u}.txt", Body=b"x", Tagging="team=ops")
    sign_in_with_password(browser, server, user.username, user.password)
    open_screen(browser, "#/search", "Search")
    tags = field(browser, "Tags")
    assert tags.tag_name == "textarea"
    hint = browser.execute_script("return document.getElementById(arguments[0].getAttribute('aria-describedby')).textContent", tags)
    assert "one per line" in hint, hint
    search(browser, [(bucket, f"both-{u}.txt")], name=u, tags="team=storage, ops")
    search(browser, [(bucket, f"storage-{u}.txt")], name=u, tags="team=storage")
    search(browser, [(bucket, f"both-{u}.txt")], name=u, tags="team=storage, ops\ntier=gold")
    search(browser, [], name=u, tags="team=storage, ops\ntier=silver")
    search(browser, [(bucket, f"both-{u}.txt"), (bucket, f"ops-{u}.txt"), (bucket, f"storage-{u}.txt")], name=u, tags="\nteam\n\n")
    cells = browser.execute_script("return [...document.querySelectorAll('main table tbody tr')].map(r => r.cells[6].innerText.trim())")
    assert "team=storage, ops, tier=gold" in cells, cells


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
    record_requests(browser)
    search(browser, [], name=f"late-{u}")
    # This search's own answer is in and drawn (not the page's first, empty one).
    until(browser, lambda: any(r["done"] for r in requests_to(browser, "/_depot/search", f"name=late-{u}")), message="the search was not sent")
    submit = browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    until(browser, lambda: submit.is_enabled() and find_text(browser, "No results"), message="no 'No results' for this search")
    browser.execute_script("window.__sameDocument = true")
    sent = len(requests_to(browser, "/_depot/search", f"name=late-{u}"))
    s3.put_object(Bucket=f"live-{u}", Key=f"late-{u}.txt", Body=b"hello", Metadata={"description": "arrived later"})
    # No user action from here on: only the background re-run can show it.
    WebDriverWait(browser, 10, 0.1).until(lambda d: results(d) == [[f"live-{u}", f"late-{u}.txt"]], "the new object did not appear")
    assert len(requests_to(browser, "/_depot/search", f"name=late-{u}")) > sent, "shown without a re-run of the search"
    assert browser.execute_script("return window.__sameDocument") is True
    assert field(browser, "Name").get_attribute("value") == f"late-{u}"


# Makes the page think it is hidden (or shown again), as switching tabs does.
_JS_VISIBILITY = """
Object.defineProperty(document, 'visibilityState', {value: arguments[0], configurable: true});
Object.defineProperty(document, 'hidden', {value: arguments[0] === 'hidden', configurable: true});
document.dispatchEvent(new Event('visibilitychange'));
"""

# Keeps track of the visibilitychange listeners added to and removed from the document.
_JS_TRACK_LISTENERS = """
window.__visibility = new Set();
const add = document.addEventListener, remove = document.removeEventListener;
document.addEventListener = function (type, fn, opts) {
  if (type === 'visibilitychange') window.__visibility.add(fn);
  return add.call(this, type, fn, opts);
};
document.removeEventListener = function (type, fn, opts) {
  if (type === 'visibilitychange') window.__visibility.delete(fn);
  return remove.call(this, type, fn, opts);
};
"""


def test_polling_pauses_while_the_tab_is_hidden(server, browser):
    u = secrets.token_hex(4)
    user = server.new_user("hidden")
    user.s3().create_bucket(Bucket=f"hidden-{u}")
    sign_in_with_password(browser, server, user.username, user.password)
    browser.execute_script(_JS_TRACK_LISTENERS)
    open_screen(browser, "#/search", "Search")
    record_requests(browser)

    def polls():
        return len(requests_to(browser, "/_depot/search")) + len(requests_to(browser, "/_depot/health"))

    # Shown: the page polls (health every 2 s, and re-runs its fresh search).
    start = polls()
    until(browser, lambda: polls() >= start + 2, timeout=8, message="the page does not poll")

    browser.execute_script(_JS_VISIBILITY, "hidden")
    time.sleep(0.5)  # a poll already under way may finish
    hidden_at = polls()
    time.sleep(5)
    assert polls() == hidden_at, "the page polled while hidden"
    assert browser.execute_script("return window.__visibility.size") == 1

    # Shown again: polling resumes at once.
    browser.execute_script(_JS_VISIBILITY, "visible")
    until(browser, lambda: len(requests_to(browser, "/_depot/health")) + len(requests_to(browser, "/_depot/search")) > hidden_at,
          timeout=3, message="polling did not resume")

    # Leaving the screen removes its listener and stops the polling.
    open_screen(browser, "#/stats", "Statistics")
    assert browser.execute_script("return window.__visibility.size") == 0
    browser.execute_script(_JS_VISIBILITY, "hidden")
    browser.execute_script(_JS_VISIBILITY, "visible")
    left_at = polls()
    time.sleep(2.5)
    assert polls() == left_at, "the search page still polls after leaving it"


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
