"""Object browser: folders and breadcrumbs, one page of 1,000 keys at a time with
Next/Previous, sorting, the prefix filter, and multi-select delete checked through S3."""

import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from selenium.webdriver.common.by import By

from support import go, until, confirm, console_errors, click, fill, find_clickable, find_text, sign_in_with_keys, wait_for_text


def row_keys(driver):
    """The keys of the object rows shown, in order (from their "Select <key>" boxes)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('main input[type=checkbox][aria-label^=\"Select \"]')]"
        ".map(b => b.getAttribute('aria-label').slice(7)).filter(k => k !== 'all objects on this page')"
    )


def wait_rows(driver, expected, timeout=10):
    until(driver, lambda: row_keys(driver) == expected, timeout, f"rows are not {expected}")


@pytest.fixture(scope="module")
def tree(server):
    """A bucket with folders: a/b/c.txt, a/b/d.txt, a/x.txt, top.txt."""
    s3 = server.s3()
    name = f"tree-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    for key in ("a/b/c.txt", "a/b/d.txt", "a/x.txt", "top.txt"):
        s3.put_object(Bucket=name, Key=key, Body=key.encode())
    return name


def test_folders_and_breadcrumbs(server, signed_in, tree):
    b = signed_in
    go(b, "b", tree)
    wait_rows(b, ["top.txt"])
    click(b, "a/")
    wait_rows(b, ["a/x.txt"])
    assert "a/" in b.find_element(By.TAG_NAME, "h1").text
    click(b, "b/")
    wait_rows(b, ["a/b/c.txt", "a/b/d.txt"])
    assert b.execute_script("return document.title").startswith("a/b/")
    # Breadcrumbs: Buckets › tree › a › b
    nav = b.find_element(By.CSS_SELECTOR, "nav[aria-label=Breadcrumb]")
    crumbs = [li.text.strip(" ›") for li in nav.find_elements(By.TAG_NAME, "li")]
    assert crumbs == ["Buckets", tree, "a", "b"], crumbs
    assert nav.find_element(By.CSS_SELECTOR, "[aria-current=page]").text == "b"
    click(b, "a", within=b.find_element(By.CSS_SELECTOR, "nav[aria-label=Breadcrumb]"))
    wait_rows(b, ["a/x.txt"])
    click(b, tree, within=b.find_element(By.CSS_SELECTOR, "nav[aria-label=Breadcrumb]"))
    wait_rows(b, ["top.txt"])
    # An object row opens its details.
    click(b, "top.txt")
    wait_for_text(b, "Properties")
    assert b.find_element(By.TAG_NAME, "h1").text == "top.txt"
    # Back, then create a folder.
    go(b, "b", tree)
    wait_rows(b, ["top.txt"])
    fill(b, "New folder name", "made")
    click(b, "Create folder")
    wait_for_text(b, "This folder is empty")
    assert server.s3().head_object(Bucket=tree, Key="made/")["ContentLength"] == 0


def test_pagination_past_1000_keys(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = f"many-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    keys = [f"k{i:04d}" for i in range(1050)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=name, Key=k, Body=b""), keys))
    go(b, "b", name)
    until(b, lambda: len(row_keys(b)) == 1000, 20, "first page not 1000 rows")
    assert row_keys(b) == keys[:1000]
    assert not find_clickable(b, "Previous").is_enabled()
    click(b, "Next")
    until(b, lambda: row_keys(b) == keys[1000:], 20, "second page wrong")
    wait_for_text(b, "Page 2")
    assert not find_clickable(b, "Next").is_enabled()
    click(b, "Previous")
    until(b, lambda: len(row_keys(b)) == 1000 and row_keys(b)[0] == "k0000", 20, "back to the first page failed")
    # The filter works server-side, within the folder.
    fill(b, "Filter by prefix", "k104")
    until(b, lambda: row_keys(b) == [f"k104{i}" for i in range(10)], 20, "filter wrong")


def test_sort_and_filter(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = f"sort-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    sizes = {"d/bravo.txt": 300, "d/alpha.txt": 100, "d/charlie.txt": 200, "d/log-1": 50, "d/log-2": 60}
    for key, size in sizes.items():
        s3.put_object(Bucket=name, Key=key, Body=b"x" * size)
    s3.put_object(Bucket=name, Key="other/log-3", Body=b"y")
    go(b, "b", name, "d/")
    by_name = sorted(sizes)
    wait_rows(b, by_name)
    click(b, "Sort by size")
    wait_rows(b, sorted(sizes, key=sizes.get))
    click(b, "Sort by size")
    wait_rows(b, sorted(sizes, key=sizes.get, reverse=True))
    click(b, "Sort by name")
    wait_rows(b, by_name)
    click(b, "Sort by name")
    wait_rows(b, by_name[::-1])
    click(b, "Sort by last modified")
    until(b, lambda: sorted(row_keys(b)) == by_name)

    fill(b, "Filter by prefix", "log")
    wait_rows(b, ["d/log-1", "d/log-2"])  # not other/log-3
    fill(b, "Filter by prefix", "nothing")
    wait_for_text(b, 'Nothing here starts with "nothing"')
    fill(b, "Filter by prefix", "")
    until(b, lambda: sorted(row_keys(b)) == by_name)


def test_multi_select_delete(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = f"del-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    keys = ["one.txt", "two & <three>.txt", "four.txt", "five.txt"]
    for key in keys:
        s3.put_object(Bucket=name, Key=key, Body=b"z")
    go(b, "b", name)
    until(b, lambda: sorted(row_keys(b)) == sorted(keys))
    assert not find_clickable(b, "Delete selected").is_enabled()
    fill(b, "Select one.txt", True)
    fill(b, "Select two & <three>.txt", True)
    click(b, "Delete selected (2)")
    wait_for_text(b, "Delete 2 objects?")
    confirm(b, "Cancel")
    assert len(s3.list_objects_v2(Bucket=name)["Contents"]) == 4
    click(b, "Delete selected (2)")
    confirm(b, "Delete")
    until(b, lambda: sorted(row_keys(b)) == ["five.txt", "four.txt"])
    left = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"])
    assert left == ["five.txt", "four.txt"]
    # Select all on the page.
    fill(b, "Select all objects on this page", True)
    click(b, "Delete selected (2)")
    confirm(b, "Delete")
    wait_for_text(b, "This folder is empty")
    assert s3.list_objects_v2(Bucket=name).get("KeyCount") == 0


def test_missing_bucket_shows_an_error(server, signed_in):
    b = signed_in
    go(b, "b", f"nope-{secrets.token_hex(4)}")
    wait_for_text(b, "The bucket does not exist")
    assert find_text(b, "Loading objects") is None


def test_phone_layout(server, phone, tree):
    sign_in_with_keys(phone, server, server.root_key, server.root_secret)
    wait_for_text(phone, "Your buckets")  # the landing page is drawn: later navigations are not overtaken
    go(phone, "b", tree, "a/b/")
    wait_rows(phone, ["a/b/c.txt", "a/b/d.txt"])
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    wait_for_text(phone, "Drop files here")
    # The details page and the buckets list fit too.
    go(phone, "o", tree, "a/b/c.txt")
    wait_for_text(phone, "Presigned link")
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the details page is {width}px wide on a 390px phone"
    go(phone, "buckets")
    wait_for_text(phone, tree)
    width = phone.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the buckets page is {width}px wide on a 390px phone"
    csp = [e for e in console_errors(phone) if "Content Security Policy" in e.get("message", "")]
    assert not csp, csp
