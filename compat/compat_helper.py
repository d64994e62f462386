"""Shared helpers for the Python compat scripts (the Python side of lib.sh).

The shell wrapper starts the server and exports DEPOT_COMPAT_ENDPOINT, the root keys
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) and DEPOT_COMPAT_WORK; `client()` builds a
boto3 client with default settings against it. `Steps` runs the workflow step by step
like lib.sh's `check`: a failing step is reported and the run goes on.
"""

import hashlib
import os
import sys
import time
import traceback

import boto3
import botocore.exceptions

ENDPOINT = os.environ["DEPOT_COMPAT_ENDPOINT"]
WORK = os.environ["DEPOT_COMPAT_WORK"]
REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def client(**config):
    """A boto3 S3 client with default settings (plus any botocore Config keywords)."""
    from botocore.config import Config

    cfg = Config(**config) if config else None
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, config=cfg)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_file(path, size):
    """A file of `size` random bytes."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n
    return path


def multipart_etag(part_bytes):
    """S3's ETag of a multipart object made of these parts (a list of bytes)."""
    digests = b"".join(hashlib.md5(p).digest() for p in part_bytes)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(part_bytes)}"'


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f"{what}: got {actual!r}, expected {expected!r}")



class Steps:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []

    def run(self, what, fn, *args):
        started = time.monotonic()
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, then the run goes on
            took = time.monotonic() - started
            self.failed.append(what)
            print(f"   FAIL  {what} ({took:.0f}s): {type(exc).__name__}: {exc}", flush=True)
            for line in traceback.format_exc().splitlines()[-25:]:
                print(f"         | {line}")
            sys.stdout.flush()
        else:
            self.passed += 1
            print(f"   ok    {what} ({time.monotonic() - started:.0f}s)", flush=True)

    def finish(self):
        print(f"-- {self.name}: {self.passed} passed, {len(self.failed)} failed")
        for f in self.failed:
            print(f"   failed: {f}")
        sys.exit(1 if self.failed else 0)
