"""The README's screenshots, taken from a real server with real data: the object
browser in a folder of photos, an object's details after "Download and verify", and
the statistics with their charts. Each screen is checked for the data it must show
before it is photographed, so a broken screen fails here rather than ending up in
the README.

The pictures always land in target/browser-test-output/screenshots/; with
DEPOT_README_SCREENSHOTS=docs/console they also replace the committed ones:

    DEPOT_README_SCREENSHOTS=docs/console target/compat-venv/bin/python -m pytest tests/browser -k readme
"""

import os
import pathlib
import shutil

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import support

REPO = pathlib.Path(__file__).resolve().parents[2]
OUT = REPO / "target" / "browser-test-output" / "screenshots"

PHOTOS = [
    ("beach.jpg", 2_400_000, "Sunset at the beach", "place=coast&year=2026"),
    ("harbour.jpg", 1_750_000, "Boats in the harbour at dawn", "place=coast&year=2026"),
    ("lighthouse.jpg", 3_100_000, "The lighthouse on the cliff", "place=coast&year=2026"),
    ("market.jpg", 980_000, "Fish market, Saturday morning", "place=town&year=2026"),
    ("dunes.jpg", 2_050_000, "Dunes and marram grass", "place=coast&year=2026"),
]


def _save(driver, name):
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    driver.save_screenshot(str(path))
    target = os.environ.get("DEPOT_README_SCREENSHOTS")
    if target:
        dest = pathlib.Path(target)
        if not dest.is_absolute():
            dest = REPO / dest
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / name)
    return path


def _populate(server):
    s3 = server.s3()
    photos, backups, docs = "photos", "backups", "documents"
    for bucket in (photos, backups, docs):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=photos, VersioningConfiguration={"Status": "Enabled"})
    for i, (name, size, description, tags) in enumerate(PHOTOS):
        body = os.urandom(size)
        s3.put_object(Bucket=photos, Key=f"2026/holiday/{name}", Body=body, ContentType="image/jpeg",
                      Metadata={"description": description}, Tagging=tags)
    s3.put_object(Bucket=photos, Key="2026/garden/roses.jpg", Body=os.urandom(640_000), ContentType="image/jpeg")
    s3.put_object(Bucket=photos, Key="2025/winter/snow.jpg", Body=os.urandom(1_200_000), ContentType="image/jpeg")
    for i in range(6):
        s3.put_object(Bucket=backups, Key=f"laptop/2026-11-{20 + i}.tar.zst", Body=os.urandom(4_000_000 + i * 500_000),
                      ContentType="application/zstd")
    for name in ("invoice-0042.pdf", "invoice-0043.pdf", "contract.pdf", "notes.txt"):
        s3.put_object(Bucket=docs, Key=name, Body=os.urandom(90_000), ContentType="application/pdf")
    return photos, backups, docs


def test_readme_screenshots_show_real_data(server_factory, browser):
    # A server of its own, so the pictures show these buckets and no other test's.
    server = server_factory(name="readme")
    photos, backups, docs = _populate(server)
    support.sign_in_with_keys(browser, server, server.root_key, server.root_secret)

    # 1. The object browser in a folder of photos.
    support.click(browser, photos)
    support.click(browser, "2026/")
    support.click(browser, "holiday/")
    for name, *_ in PHOTOS:
        support.wait_for_text(browser, name)
    _save(browser, "objects.png")

    # 2. One photo's details, after checking its bytes against the ETag.
    support.click(browser, "beach.jpg")
    support.wait_for_text(browser, "Sunset at the beach")
    support.wait_for_text(browser, "coast")
    support.click(browser, "Download and verify")
    support.wait_for_text(browser, "matches the ETag", timeout=30)
    # Tall enough to show the check's result below the properties.
    browser.set_window_size(1280, 1280)
    browser.execute_script("window.scrollTo(0, 0)")
    _save(browser, "object.png")
    browser.set_window_size(1280, 800)

    # 3. Statistics, once the index (which follows the writes a moment later) has
    # counted every object: the photos row says 7, the backups row 6.
    def row_says(driver, bucket, count):
        rows = driver.find_elements(By.XPATH, f"//main//tr[td[normalize-space()='{bucket}']]")
        return any(count in [c.text.strip() for c in r.find_elements(By.TAG_NAME, "td")] for r in rows)

    def stats_ready(driver):
        driver.get(server.console_url + "#/stats")
        try:
            support.wait_for_text(driver, backups, timeout=3)
        except Exception:
            return False
        return row_says(driver, photos, "7") and row_says(driver, backups, "6") and bool(driver.find_elements(By.CSS_SELECTOR, "main svg"))

    WebDriverWait(browser, 30, poll_frequency=1).until(stats_ready)
    for bucket in (photos, backups, docs):
        support.wait_for_text(browser, bucket)
    _save(browser, "stats.png")
