"""Object browser: folders and breadcrumbs, one page of 1,000 keys at a time with
Next/Previous, sorting, the prefix filter, and multi-select delete of objects and whole
folders, checked through S3."""

import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from selenium.webdriver.common.by import By

from support import go, until, confirm, console_errors, click, fill, find_clickable, find_text, sign_in_with_keys, wait_for_text


def _selectable(driver):
    """The names of the rows shown, in order (from their "Select <name>" boxes)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('main input[type=checkbox][aria-label^=\"Select \"]')]"
        ".map(b => b.getAttribute('aria-label').slice(7)).filter(k => k !== 'all objects on this page')"
    )


def row_keys(driver):
    """The keys of the object rows shown, in order (folders, named a/b/, left out)."""
    return [k for k in _selectable(driver) if not k.endswith("/")]


def folder_rows(driver):
    """The prefixes of the folder rows shown, in order."""
    return [k for k in _selectable(driver) if k.endswith("/")]


def keys_under(s3, bucket, prefix=""):
    """Every key of `bucket` starting with `prefix` (all pages)."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


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
    # Written in reverse name order, each in a later second than the one before (S3
    # dates have whole seconds): oldest first is then the reverse of the name order.
    for i, key in enumerate(sorted(sizes, reverse=True)):
        if i:
            time.sleep(1.1)
        s3.put_object(Bucket=name, Key=key, Body=b"x" * sizes[key])
    s3.put_object(Bucket=name, Key="other/log-3", Body=b"y")
    dates = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=name, Prefix="d/")["Contents"]}
    oldest_first = sorted(sizes, key=lambda k: dates[k])
    assert oldest_first == sorted(sizes, reverse=True), dates
    assert len(set(dates.values())) == len(sizes), dates
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
    wait_rows(b, oldest_first)
    click(b, "Sort by last modified")
    wait_rows(b, oldest_first[::-1])

    fill(b, "Filter by prefix", "log")
    wait_rows(b, ["d/log-1", "d/log-2"])  # not other/log-3
    fill(b, "Filter by prefix", "nothing")
    wait_for_text(b, 'Nothing here starts with "nothing"')
    fill(b, "Filter by prefix", "")
    until(b, lambda: sorted(row_keys(b)) == by_name)
    assert b.find_element(By.CSS_SELECTOR, "th[aria-sort=descending]").text.startswith("Last modified")
    wait_rows(b, oldest_first[::-1])  # the sort survives a new listing


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


# Records, in the page, every S3 request of the console (method and URL) in
# window.__requests, and every text an element with role=status shows in
# window.__statusTexts.
_RECORD = """
window.__requests = [];
window.__statusTexts = [];
const fetch0 = window.fetch;
window.fetch = function (url, opts) {
  window.__requests.push([(opts && opts.method) || 'GET', String(url)]);
  return fetch0.apply(this, arguments);
};
new MutationObserver(() => {
  for (const el of document.querySelectorAll('[role=status]')) {
    const t = el.textContent.trim();
    if (t && window.__statusTexts[window.__statusTexts.length - 1] !== t) window.__statusTexts.push(t);
  }
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""


def test_delete_empty_folder_made_in_the_console(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = f"fold-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="keep.txt", Body=b"k")
    go(b, "b", name)
    wait_rows(b, ["keep.txt"])
    # On its own (empty) page: "Delete this folder".
    fill(b, "New folder name", "made")
    click(b, "Create folder")
    wait_for_text(b, "This folder is empty")
    assert keys_under(s3, name, "made") == ["made/"]
    click(b, "Delete this folder")
    wait_for_text(b, "Delete the folder made/?")
    confirm(b, "Cancel")
    assert keys_under(s3, name, "made") == ["made/"]
    click(b, "Delete this folder")
    confirm(b, "Delete")
    wait_rows(b, ["keep.txt"])  # back in the parent
    assert folder_rows(b) == []
    assert keys_under(s3, name, "made") == []
    # From the parent's listing: the folder row is selectable.
    fill(b, "New folder name", "again")
    click(b, "Create folder")
    wait_for_text(b, "This folder is empty")
    go(b, "b", name)
    until(b, lambda: folder_rows(b) == ["again/"], message="no folder row again/")
    fill(b, "Select again/", True)
    click(b, "Delete selected (1)")
    wait_for_text(b, "Delete 1 folder?")
    wait_for_text(b, "Everything under the selected folder is deleted too")
    confirm(b, "Delete")
    until(b, lambda: folder_rows(b) == [] and row_keys(b) == ["keep.txt"], message="the folder row stayed")
    wait_for_text(b, "Deleted 1 object")
    assert keys_under(s3, name) == ["keep.txt"]
    s3.delete_object(Bucket=name, Key="keep.txt")
    s3.delete_bucket(Bucket=name)  # nothing (no hidden marker) is left in it


def test_delete_folder_with_nested_keys_page_by_page(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = f"tree-del-{secrets.token_hex(4)}"
    s3.create_bucket(Bucket=name)
    nested = [f"big/s{i % 5}/d{i % 3}/k{i:04d}" for i in range(1205)]
    odd = "big/odd name & <x>+%20ü.txt"
    doomed = ["big/", odd] + nested
    kept = ["big.txt", "bigger/x", "keep.txt"]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=name, Key=k, Body=b""), doomed + kept))
    go(b, "b", name)
    until(b, lambda: folder_rows(b) == ["big/", "bigger/"] and row_keys(b) == ["big.txt", "keep.txt"], 20,
          "the listing did not show big/, bigger/, big.txt and keep.txt")
    b.execute_script(_RECORD)
    fill(b, "Select big/", True)
    fill(b, "Select keep.txt", True)
    fill(b, "Select keep.txt", False)
    click(b, "Delete selected (1)")
    wait_for_text(b, "Delete 1 folder?")
    wait_for_text(b, "Everything under the selected folder is deleted too")
    confirm(b, "Delete")
    wait_for_text(b, f"Deleted {len(doomed)} objects", timeout=30)
    until(b, lambda: folder_rows(b) == ["bigger/"] and row_keys(b) == ["big.txt", "keep.txt"], 20,
          "the listing after the delete is wrong")
    assert keys_under(s3, name, "big/") == []
    assert keys_under(s3, name) == sorted(kept)
    # One page listed (no delimiter, URL-encoded keys), that page deleted, then the next.
    steps = []
    for method, url in b.execute_script("return window.__requests"):
        if method == "POST" and "?delete" in url:
            steps.append("delete")
        elif method == "GET" and "prefix=big%2F" in url and "delimiter" not in url:
            assert "max-keys=1000" in url and "encoding-type=url" in url, url
            steps.append("list next" if "continuation-token=" in url else "list")
    assert steps == ["list", "delete", "list next", "delete"], steps
    progress = [t for t in b.execute_script("return window.__statusTexts") if t.startswith("Deleted ")]
    assert progress[:2] == ["Deleted 1000 objects…", f"Deleted {len(doomed)} objects…"], progress
    # The bucket can go once what was kept is deleted too.
    for key in kept:
        s3.delete_object(Bucket=name, Key=key)
    s3.delete_bucket(Bucket=name)


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
