"""A first session, as someone who has never used S3 lives it: register, create a bucket,
upload a folder of photos, tag one, find it by search and download it; and a whole folder
dropped onto the drop zone (a real drag of a directory, through Chromium's input layer).
Every step is checked through S3 as well as on the page."""

import hashlib
import os
import secrets

import pytest
from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import support
from support import until, heading, click, fill, make_file, md5_file, open_console, sign_in_with_keys, wait_for_text

PHOTOS = ("beach.jpg", "harbour.jpg", "sunset.jpg", "market.jpg")


def click_in(driver, css, name, timeout=15):
    """Clicks the button or link `name` inside the first element matching `css`, found
    afresh on each try (the page may redraw it meanwhile)."""

    def attempt():
        boxes = driver.find_elements(By.CSS_SELECTOR, css)
        el = boxes and support.find_clickable(driver, name, boxes[0])
        if not el:
            return False
        el.click()
        return True

    WebDriverWait(driver, timeout, 0.1, ignored_exceptions=(StaleElementReferenceException, ElementClickInterceptedException)).until(
        lambda _d: attempt(), f"no {name!r} to click in {css!r}"
    )


def upload_states(driver):
    """{path under the folder: state text} of every upload row."""
    return driver.execute_script(
        "const out = {};"
        "for (const p of document.querySelectorAll('.upload-row progress')) {"
        "  out[p.getAttribute('aria-label').replace(/^Progress of /, '')] = p.closest('li').querySelector('.state').textContent;"
        "}"
        "return out;"
    )


def wait_uploaded(driver, paths, timeout=30):
    """Waits until the uploads of `paths` are done (fails at once if one failed)."""

    def all_done():
        states = upload_states(driver)
        failed = {p: states[p] for p in paths if states.get(p, "").startswith(("Failed", "Cancelled"))}
        assert not failed, f"uploads failed: {failed}"
        return all(states.get(p) == "Done" for p in paths)

    try:
        until(driver, all_done, timeout)
    except TimeoutException:
        states = upload_states(driver)
        pytest.fail(f"uploads not done in {timeout}s: { {p: states.get(p, '(no row)') for p in paths if states.get(p) != 'Done'} }")


def upload_row_names(driver):
    return driver.execute_script("return [...document.querySelectorAll('.upload-row .name')].map(e => e.textContent)")


def listing(driver):
    """The names shown in the object table: (folders, objects)."""
    return driver.execute_script(
        "const t = s => [...document.querySelectorAll(s)].map(a => a.textContent);"
        "return [t('main table a.folder-link'), t('main table a.object-link')];"
    )


def test_new_user_uploads_a_folder_of_photos_tags_finds_and_downloads_one(server, browser, tmp_path):
    b = browser
    u = secrets.token_hex(4)
    username, password = f"newcomer-{u}", f"first-steps-{u}"
    bucket, folder = f"my-photos-{u}", f"summer-trip-{u}"

    # Photos on the user's disk: a folder of a few small .jpg files.
    album = tmp_path / folder
    originals = {name: make_file(album, name, 3000 + 777 * i, seed=100 + i)[1] for i, name in enumerate(PHOTOS)}

    # Register (the third tab of the sign-in page); signed in afterwards.
    open_console(b, server)
    click(b, "Register")
    fill(b, "New username", username)
    fill(b, "New password", password)
    fill(b, "Repeat password", password)
    click(b, "Create account")
    support.button(b, "Sign out", 15)
    wait_for_text(b, username, within=b.find_element(By.ID, "top"))

    # Create a bucket on the Buckets screen, then open it.
    click(b, "Buckets")
    wait_for_text(b, "Create a bucket")
    fill(b, "Bucket name", bucket)
    click(b, "Create bucket")
    click_in(b, "main table", bucket)
    until(b, lambda: heading(b) == bucket, message="the bucket did not open")
    wait_for_text(b, "This folder is empty")

    # Upload the folder through "Choose a folder": each file keeps its path in the folder.
    fill(b, "Choose a folder", str(album))
    paths = [f"{folder}/{name}" for name in PHOTOS]
    wait_uploaded(b, paths)
    assert sorted(upload_row_names(b)) == sorted(paths), "each upload row shows its key with the folder"
    # The listing refreshes by itself: the folder, and inside it the photos.
    until(b, lambda: listing(b) == [[folder + "/"], []], message=f"the folder is not listed: {listing(b)}")
    click_in(b, "main table", folder + "/")
    until(b, lambda: sorted(listing(b)[1]) == sorted(PHOTOS), message=f"the photos are not listed: {listing(b)}")

    # Tag one photo on its details page.
    photo = "sunset.jpg"
    key = f"{folder}/{photo}"
    click_in(b, "main table", photo)
    until(b, lambda: heading(b) == photo, message="the photo's details did not open")
    tags = fill(b, "Tags", "album=summer")
    assert tags.get_attribute("value") == "album=summer"
    click(b, "Save tags")
    wait_for_text(b, "Tags saved.")

    # Search by that tag: exactly the photo.
    click(b, "Search")
    until(b, lambda: heading(b) == "Search", message="no search screen")
    fill(b, "Tags", "album=summer")
    click(b, "Search", within=b.find_element(By.CSS_SELECTOR, "main form"))

    def results():
        return b.execute_script(
            "return [...document.querySelectorAll('main table tbody tr')].map(r => [r.cells[1].innerText.trim(), r.cells[0].innerText.trim()])"
        )

    # The index trails the write by a moment: the page re-runs the search by itself.
    until(b, lambda: results() == [[bucket, key]], 30, f"the search did not find exactly the tagged photo: {results()}")

    # Open the result, download the photo: the same bytes.
    click_in(b, "main table tbody", key)
    until(b, lambda: heading(b) == photo, message="the result did not open the photo's details")
    click(b, "Download")
    downloaded = support.wait_for_download(b, photo)
    assert md5_file(downloaded) == originals[photo]

    # Through S3: the keys are <folder>/<file>, the bytes are the originals, the tag is stored.
    s3 = server.s3()
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert listed == sorted(paths)
    for name, md5 in originals.items():
        body = s3.get_object(Bucket=bucket, Key=f"{folder}/{name}")["Body"].read()
        assert hashlib.md5(body).hexdigest() == md5, name
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "album", "Value": "summer"}]
    for name in PHOTOS:
        if name != photo:
            assert s3.get_object_tagging(Bucket=bucket, Key=f"{folder}/{name}")["TagSet"] == []
    # The account registered on the page is real, and the bucket is its own.
    own = server.s3_for(*server.create_key(server.login(username, password)))
    assert bucket in [x["Name"] for x in own.list_buckets()["Buckets"]]


def drag_path_onto(driver, element, path):
    """Drags `path` (a file or a directory) from the "desktop" onto `element`: the
    drag enters, moves over and drops at its centre through Chromium's input layer
    (CDP Input.dispatchDragEvent), so the page gets the directory entries a real drop
    gives (JavaScript cannot build those)."""
    x, y = driver.execute_script(
        "const el = arguments[0]; el.scrollIntoView({block: 'center'});"
        "const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2];",
        element,
    )
    data = {"items": [], "files": [os.path.abspath(path)], "dragOperationsMask": 1}  # 1: copy
    for kind in ("dragEnter", "dragOver", "drop"):
        driver.execute_cdp_cmd("Input.dispatchDragEvent", {"type": kind, "x": x, "y": y, "data": data})


def test_folder_dropped_on_the_drop_zone_keeps_its_tree(server, browser, tmp_path):
    b = browser
    s3 = server.s3()
    u = secrets.token_hex(4)
    bucket = f"drop-tree-{u}"
    s3.create_bucket(Bucket=bucket)
    # A tree: files at the top, a nested folder, and a folder with more entries than one
    # readEntries() batch gives (Chromium: 100), so the reader is called until it is empty.
    tree = tmp_path / f"holiday-{u}"
    files = {"cover.jpg": 2048, "days/day1/a.jpg": 1500, "days/day1/b.jpg": 1600, "days/day2/c.jpg": 1700}
    files.update({f"thumbs/t{i:03}.jpg": 10 + i for i in range(105)})
    md5s = {rel: make_file(tree, rel, size, seed=i)[1] for i, (rel, size) in enumerate(files.items())}
    (tree / "empty").mkdir()

    sign_in_with_keys(b, server, server.root_key, server.root_secret)
    wait_for_text(b, "Your buckets")
    b.execute_script("location.hash = '#/b/' + encodeURIComponent(arguments[0]) + '/' + encodeURIComponent('inbox/')", bucket)
    zone = wait_for_text(b, "Drop files here")
    zone = b.execute_script("return arguments[0].closest('.drop-zone')", zone)
    drag_path_onto(b, zone, tree)

    want = {f"inbox/{tree.name}/{rel}": md5 for rel, md5 in md5s.items()}
    wait_uploaded(b, [f"{tree.name}/{rel}" for rel in files], 60)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    stored = {o["Key"] for page in pages for o in page.get("Contents", [])}
    assert stored == set(want), f"missing {sorted(set(want) - stored)[:5]}, extra {sorted(stored - set(want))[:5]}"
    for key in (f"inbox/{tree.name}/cover.jpg", f"inbox/{tree.name}/days/day1/b.jpg", f"inbox/{tree.name}/thumbs/t000.jpg"):
        assert hashlib.md5(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest() == want[key], key
    names = upload_row_names(b)
    assert len(names) == len(want) and set(names) == set(want), "one row per file, named by its key"
    # The listing shows the dropped folder.
    until(b, lambda: listing(b)[0] == [f"{tree.name}/"], 15, f"the dropped folder is not listed: {listing(b)}")

    # A plain file dropped the same way still lands under its own name.
    single, single_md5 = make_file(tmp_path, "loose.jpg", 999, seed=7)
    drag_path_onto(b, zone, single)
    wait_uploaded(b, ["loose.jpg"])
    assert hashlib.md5(s3.get_object(Bucket=bucket, Key="inbox/loose.jpg")["Body"].read()).hexdigest() == single_md5
