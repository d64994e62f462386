"""Buckets screen: create (versioning, access level), name validation before anything is
sent, delete (non-empty refused with an explanation, empty after confirmation), and a
bucket's settings (versioning toggle, tags), each checked through the S3 API."""

import secrets

import pytest
from botocore.exceptions import ClientError

from support import go, until, confirm, button, click, field, fill, find_clickable, wait_for_text

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def unique(prefix="bk"):
    return f"{prefix}-{secrets.token_hex(4)}"


def bucket_names(s3):
    return {b["Name"] for b in s3.list_buckets()["Buckets"]}


@pytest.fixture
def signed_in(signed_in):
    """The shared fixture, on the Buckets screen with its form drawn."""
    go(signed_in, "buckets")
    wait_for_text(signed_in, "Create a bucket")
    return signed_in


def test_create_bucket_with_versioning_and_public_read(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = unique("created")
    fill(b, "Bucket name", name)
    fill(b, "Versioning", True)
    fill(b, "Access level", "public-read")
    click(b, "Create bucket")
    button(b, name)  # the new bucket's link in the list
    assert name in bucket_names(s3)
    assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants), grants
    # The link opens the object browser of the bucket.
    click(b, name)
    wait_for_text(b, "This folder is empty")


INVALID_NAMES = [
    ("ab", "3 to 63 characters"),
    ("x" * 64, "3 to 63 characters"),
    ("Upper-case", "only lower-case letters"),
    ("under_score", "only lower-case letters"),
    ("-starts-with-hyphen", "start and end with a letter or a digit"),
    ("ends-with-dot.", "start and end with a letter or a digit"),
    ("two..dots", "two dots in a row"),
    ("192.168.5.4", "IP address"),
    ("xn--punycode", 'start with "xn--"'),
    ("my-bucket-s3alias", 'end with "-s3alias"'),
]


def test_invalid_bucket_names_are_refused_before_sending(server, signed_in):
    b = signed_in
    s3 = server.s3()
    before = bucket_names(s3)
    for name, rule in INVALID_NAMES:
        fill(b, "Bucket name", name)
        click(b, "Create bucket")
        wait_for_text(b, rule)
        assert field(b, "Bucket name").get_attribute("aria-invalid") == "true", name
    assert bucket_names(s3) == before
    # A valid name clears the message as it is typed.
    fill(b, "Bucket name", unique("fine"))
    until(b, lambda: field(b, "Bucket name").get_attribute("aria-invalid") is None, message="message not cleared")


def test_delete_non_empty_bucket_is_explained_and_kept(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = unique("full")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="keep.txt", Body=b"x")
    click(b, "Refresh")
    click(b, f"Delete bucket {name}")
    confirm(b, "Delete bucket")
    wait_for_text(b, "The bucket is not empty")
    assert name in bucket_names(s3)
    assert s3.get_object(Bucket=name, Key="keep.txt")["Body"].read() == b"x"


def test_delete_empty_bucket_after_confirmation(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = unique("empty")
    s3.create_bucket(Bucket=name)
    click(b, "Refresh")
    # Cancelling the dialog keeps it.
    click(b, f"Delete bucket {name}")
    confirm(b, "Cancel")
    assert name in bucket_names(s3)
    click(b, f"Delete bucket {name}")
    confirm(b, "Delete bucket")
    until(b, lambda: name not in bucket_names(s3), message="bucket not deleted")
    until(b, lambda: find_clickable(b, name) is None, message="bucket still listed")


def test_versioning_toggle_and_bucket_tags(server, signed_in):
    b = signed_in
    s3 = server.s3()
    name = unique("settings")
    s3.create_bucket(Bucket=name)
    click(b, "Refresh")
    click(b, f"Settings of bucket {name}")
    wait_for_text(b, "Never enabled")
    wait_for_text(b, "This bucket has no tags")

    click(b, "Enable versioning")
    button(b, "Suspend versioning")
    assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Enabled"
    click(b, "Suspend versioning")
    button(b, "Enable versioning")
    wait_for_text(b, "Suspended")
    assert s3.get_bucket_versioning(Bucket=name).get("Status") == "Suspended"

    # A malformed tag is refused before anything is sent.
    fill(b, "Bucket tags", "no equals sign here")
    click(b, "Save tags")
    wait_for_text(b, "is not of the form key=value")
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=name)

    fill(b, "Bucket tags", "env=prod\nteam=storage, ops\ncost centre=42 & more")
    click(b, "Save tags")
    wait_for_text(b, "Tags saved")
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
    assert tags == {"env": "prod", "team": "storage, ops", "cost centre": "42 & more"}

    # Reloading the page shows them; emptying the field removes them.
    b.refresh()
    until(b, lambda: "env=prod" in (field(b, "Bucket tags").get_attribute("value") or ""))
    fill(b, "Bucket tags", "")
    click(b, "Save tags")
    wait_for_text(b, "No tags")
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=name)
    assert e.value.response["Error"]["Code"] == "NoSuchTagSet"
