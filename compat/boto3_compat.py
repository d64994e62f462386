"""boto3 (latest release, default settings) against a running Depot server.

Run by compat/boto3.sh, which starts the server. Covers:
  create/head/list buckets; upload_file / download_file above the multipart threshold
  and below it; put_object with every ChecksumAlgorithm (CRC32, CRC32C, SHA1, SHA256,
  CRC64NVME) and with the SDK's default checksum, get_object / head_object with
  ChecksumMode=ENABLED, and a wrong checksum refused with a 400; ListObjectsV2 and
  ListObjects paginators (250 keys, PageSize 100, with and without a delimiter); keys
  with special characters; presigned PUT and GET with urllib; copy_object and the
  managed copy (multipart copy above the threshold); delete_objects and delete_bucket.
Every download is compared byte for byte (md5) with what was uploaded.
"""

import base64
import concurrent.futures
import hashlib
import os
import sys
import urllib.request
import zlib

import boto3
import botocore
import botocore.exceptions
from boto3.s3.transfer import TransferConfig

from compat_helper import WORK, Steps, check, check_eq, client, make_file, md5_file, md5_hex, multipart_etag

BUCKET = "boto3-compat"
s3 = client()
THRESHOLD = TransferConfig().multipart_threshold  # the default, 8 MiB
BIG = 20 * 1024 * 1024


def versions():
    import awscrt

    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}, awscrt {awscrt.__version__}")


def create_bucket():
    s3.create_bucket(Bucket=BUCKET)
    s3.head_bucket(Bucket=BUCKET)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(BUCKET in names, f"{BUCKET} not in list_buckets: {names}")


def upload_download(size, key):
    src = make_file(os.path.join(WORK, "up", key), size)
    s3.upload_file(src, BUCKET, key)
    dst = os.path.join(WORK, "down", key)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    s3.download_file(BUCKET, key, dst)
    check_eq(md5_file(dst), md5_file(src), f"md5 of {key} downloaded")
    head = s3.head_object(Bucket=BUCKET, Key=key)
    check_eq(head["ContentLength"], size, "ContentLength")
    if size > THRESHOLD:
        parts = -(-size // TransferConfig().multipart_chunksize)
        check(head["ETag"].endswith(f'-{parts}"'), f"multipart ETag expected with -{parts}: {head['ETag']}")
    else:
        check_eq(head["ETag"], f'"{md5_file(src)}"', "ETag")


def local_checksum(algorithm, data):
    from awscrt import checksums

    if algorithm == "CRC32":
        raw = zlib.crc32(data).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = checksums.crc32c(data).to_bytes(4, "big")
    elif algorithm == "CRC64NVME":
        raw = checksums.crc64nvme(data).to_bytes(8, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


def checksums_round_trip():
    data = os.urandom(300_000)
    for algorithm in ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]:
        key = f"checksum/{algorithm}.bin"
        expected = local_checksum(algorithm, data)
        field = f"Checksum{algorithm}"
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=data, ChecksumAlgorithm=algorithm)
        check_eq(put.get(field), expected, f"{field} of put_object")
        got = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        body = got["Body"].read()
        check_eq(md5_hex(body), md5_hex(data), f"md5 of {key}")
        check_eq(got.get(field), expected, f"{field} of get_object")
        head = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
        check_eq(head.get(field), expected, f"{field} of head_object")
        print(f"{algorithm}: {expected}")


def default_checksum():
    # Current SDKs send a CRC by default (when_supported): whatever they chose must come back.
    data = os.urandom(70_000)
    put = s3.put_object(Bucket=BUCKET, Key="checksum/default.bin", Body=data)
    sent = [k for k in put if k.startswith("Checksum") and k != "ChecksumType"]
    print(f"put_object answered {sent}")
    got = s3.get_object(Bucket=BUCKET, Key="checksum/default.bin", ChecksumMode="ENABLED")
    check_eq(md5_hex(got["Body"].read()), md5_hex(data), "md5 of default-checksum object")
    for field in sent:
        algorithm = field[len("Checksum"):]
        check_eq(got.get(field), local_checksum(algorithm, data), f"{field} of get_object")


def wrong_checksum_refused():
    data = b"the checksum below is not the checksum of this body"
    try:
        s3.put_object(Bucket=BUCKET, Key="checksum/wrong.bin", Body=data, ChecksumCRC32="AAAAAA==")
    except botocore.exceptions.ClientError as e:
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        code = e.response["Error"]["Code"]
        print(f"refused: {status} {code}")
        check_eq(status, 400, "status of a wrong checksum")
        check(code in ("BadDigest", "InvalidRequest", "XAmzContentChecksumMismatch"), f"error code {code}")
    else:
        raise AssertionError("a PUT with a wrong CRC32 was accepted")
    try:
        s3.head_object(Bucket=BUCKET, Key="checksum/wrong.bin")
    except botocore.exceptions.ClientError as e:
        check_eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 404, "status of HEAD after the refused PUT")
    else:
        raise AssertionError("the refused object was stored")


def paginators():
    keys = [f"page/{i // 50:02d}/key-{i:04d}" for i in range(250)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: s3.put_object(Bucket=BUCKET, Key=k, Body=k.encode()), keys))
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="page/", PaginationConfig={"PageSize": 100}))
    check_eq([p["KeyCount"] for p in pages], [100, 100, 50], "KeyCount per ListObjectsV2 page")
    check_eq([o["Key"] for p in pages for o in p["Contents"]], sorted(keys), "keys over all ListObjectsV2 pages")
    pages = list(s3.get_paginator("list_objects").paginate(Bucket=BUCKET, Prefix="page/", PaginationConfig={"PageSize": 100}))
    check_eq([len(p["Contents"]) for p in pages], [100, 100, 50], "keys per ListObjects (v1) page")
    check_eq([o["Key"] for p in pages for o in p["Contents"]], sorted(keys), "keys over all ListObjects pages")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="page/", Delimiter="/", PaginationConfig={"PageSize": 2}))
    prefixes = [cp["Prefix"] for p in pages for cp in p.get("CommonPrefixes", [])]
    check_eq(prefixes, [f"page/{i:02d}/" for i in range(5)], "common prefixes over pages of 2")
    body = s3.get_object(Bucket=BUCKET, Key=keys[123])["Body"].read()
    check_eq(body, keys[123].encode(), "body of one paged key")


SPECIAL_KEYS = [
    "with space.txt",
    "plus+sign.txt",
    "percent%20literal.txt",
    "question?mark.txt",
    "hash#tag.txt",
    "tilde~file.txt",
    "unicodé/ünï/日本.txt",
    "double//slash.txt",
    "quote'and\"dq.txt",
    "semi;colon,comma=eq&amp@at.txt",
    " leading and trailing space ",
    "ctrl\tchar.txt",
]


def special_keys():
    for i, name in enumerate(SPECIAL_KEYS):
        data = f"{i}:{name}".encode()
        key = f"special/{name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        check_eq(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), data, f"body of {key!r}")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="special/")["Contents"]]
    check_eq(sorted(listed), sorted(f"special/{n}" for n in SPECIAL_KEYS), "listed special keys (v2)")
    listed = [o["Key"] for o in s3.list_objects(Bucket=BUCKET, Prefix="special/")["Contents"]]
    check_eq(sorted(listed), sorted(f"special/{n}" for n in SPECIAL_KEYS), "listed special keys (v1)")


def presigned(signature_version):
    # botocore presigns with SigV2 by default in us-east-1; "s3v4" asks for SigV4.
    signer = client(signature_version=signature_version) if signature_version else s3
    key = f"presigned/{signature_version or 'default'}/object with space+plus.bin"
    data = os.urandom(200_000)
    put_url = signer.generate_presigned_url(
        "put_object", Params={"Bucket": BUCKET, "Key": key, "ContentType": "application/octet-stream"}, ExpiresIn=300
    )
    print(put_url)
    # The Content-Type is part of what was signed (urllib would otherwise send its own).
    req = urllib.request.Request(put_url, data=data, method="PUT", headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req) as resp:
        check_eq(resp.status, 200, "status of the presigned PUT")
        check_eq(resp.headers["ETag"], f'"{md5_hex(data)}"', "ETag of the presigned PUT")
    get_url = signer.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=300)
    print(get_url)
    with urllib.request.urlopen(get_url) as resp:
        check_eq(md5_hex(resp.read()), md5_hex(data), "md5 of the presigned GET")
        check_eq(resp.headers["Content-Type"], "application/octet-stream", "Content-Type of the presigned GET")
    # A presigned GET is refused for another key.
    try:
        urllib.request.urlopen(get_url.replace("presigned/", "presigned2/", 1))
    except urllib.error.HTTPError as e:
        check_eq(e.code, 403, "status of a tampered presigned URL")
    else:
        raise AssertionError("a tampered presigned URL was accepted")


def copy_object():
    data = os.urandom(100_000)
    s3.put_object(Bucket=BUCKET, Key="copy/source.bin", Body=data, Metadata={"colour": "blue"}, ContentType="application/x-source")
    out = s3.copy_object(Bucket=BUCKET, Key="copy/target.bin", CopySource={"Bucket": BUCKET, "Key": "copy/source.bin"})
    check_eq(out["CopyObjectResult"]["ETag"], f'"{md5_hex(data)}"', "ETag of the copy")
    got = s3.get_object(Bucket=BUCKET, Key="copy/target.bin")
    check_eq(md5_hex(got["Body"].read()), md5_hex(data), "md5 of the copy")
    check_eq(got["Metadata"], {"colour": "blue"}, "metadata copied")
    check_eq(got["ContentType"], "application/x-source", "content type copied")
    s3.copy_object(
        Bucket=BUCKET, Key="copy/replaced.bin", CopySource={"Bucket": BUCKET, "Key": "copy/source.bin"},
        MetadataDirective="REPLACE", Metadata={"colour": "red"}, ContentType="text/plain",
    )
    head = s3.head_object(Bucket=BUCKET, Key="copy/replaced.bin")
    check_eq((head["Metadata"], head["ContentType"], head["ContentLength"]), ({"colour": "red"}, "text/plain", len(data)), "replaced metadata")


def managed_copy(size, key):
    # Above the threshold s3transfer copies with UploadPartCopy, below it with CopyObject.
    # The source is one PUT, so that this step does not depend on multipart uploads.
    data = os.urandom(size)
    s3.put_object(Bucket=BUCKET, Key=f"copy/{key}-source.bin", Body=data)
    s3.copy({"Bucket": BUCKET, "Key": f"copy/{key}-source.bin"}, BUCKET, f"copy/{key}-target.bin")
    dst = os.path.join(WORK, "down", f"copy-{key}.bin")
    s3.download_file(BUCKET, f"copy/{key}-target.bin", dst)
    check_eq(md5_file(dst), md5_hex(data), "md5 of the managed copy")


def multipart_low_level():
    key = "multipart/low-level.bin"
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1024 * 1024 + 7)]
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    done = []
    for n, body in enumerate(parts, start=1):
        out = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=n, Body=body)
        done.append({"PartNumber": n, "ETag": out["ETag"]})
    out = s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": done})
    check_eq(out["ETag"], multipart_etag(parts), "ETag of the completed upload")
    got = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    check_eq(md5_hex(got), md5_hex(b"".join(parts)), "md5 of the completed upload")


def delete_all():
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET) for o in p.get("Contents", [])]
    print(f"deleting {len(keys)} objects")
    for i in range(0, len(keys), 1000):
        out = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})
        check_eq(out.get("Errors", []), [], "errors of delete_objects")
        check_eq(len(out.get("Deleted", [])), len(keys[i:i + 1000]), "deleted count")
    check_eq(s3.list_objects_v2(Bucket=BUCKET)["KeyCount"], 0, "objects left")
    s3.delete_bucket(Bucket=BUCKET)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(BUCKET not in names, "bucket still listed after delete_bucket")


def main():
    steps = Steps("boto3")
    steps.run("versions", versions)
    steps.run("create_bucket / head_bucket / list_buckets", create_bucket)
    steps.run("upload_file / download_file 20 MiB (multipart)", upload_download, BIG, "big/upload.bin")
    steps.run("upload_file / download_file 100 KiB", upload_download, 100 * 1024, "small/upload.bin")
    steps.run("put_object with each ChecksumAlgorithm, get/head with ChecksumMode", checksums_round_trip)
    steps.run("put_object with the default checksum", default_checksum)
    steps.run("a wrong checksum is a 400", wrong_checksum_refused)
    steps.run("ListObjectsV2 / ListObjects paginators", paginators)
    steps.run("keys with special characters", special_keys)
    steps.run("presigned PUT and GET with urllib (default: SigV2)", presigned, None)
    steps.run("presigned PUT and GET with urllib (SigV4)", presigned, "s3v4")
    steps.run("create/upload_part/complete multipart upload", multipart_low_level)
    steps.run("copy_object (COPY and REPLACE)", copy_object)
    steps.run("managed copy of 1 MiB (CopyObject)", managed_copy, 1024 * 1024, "small")
    steps.run("managed copy of 20 MiB (UploadPartCopy)", managed_copy, BIG, "big")
    steps.run("delete_objects and delete_bucket", delete_all)
    steps.finish()


if __name__ == "__main__":
    sys.exit(main())
