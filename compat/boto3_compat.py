"""boto3 (latest release, default settings) against a running Depot server.

Run by compat/boto3.sh, which starts the server. Covers:
  create/head/list buckets; upload_file / download_file above the multipart threshold
  and below it; put_object with every ChecksumAlgorithm (CRC32, CRC32C, SHA1, SHA256,
  CRC64NVME) and with the SDK's default checksum, get_object / head_object with
  ChecksumMode=ENABLED, and a wrong checksum refused with a 400; ListObjectsV2 and
  ListObjects paginators (250 keys, PageSize 100, with and without a delimiter); keys
  with special characters; presigned PUT and GET with urllib; copy_object and the
  managed copy (multipart copy above the threshold); delete_objects and delete_bucket.
  Bucket settings, each on a bucket of its own: a public-read bucket policy (an
  anonymous urllib GET, get_bucket_policy, get_bucket_policy_status, delete) and
  malformed ones refused; browser POST uploads from generate_presigned_post (SigV2 and
  SigV4) sent as a multipart/form-data body built here, with the 201 PostResponse and
  content-length-range enforced; CORS rules and an OPTIONS preflight; a public access
  block refusing a public policy; BucketOwnerEnforced refusing ACLs.
Every download is compared byte for byte (md5) with what was uploaded.
"""

import base64
import concurrent.futures
import datetime
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
import zlib

import boto3
import botocore
import botocore.exceptions
from boto3.s3.transfer import TransferConfig

from compat_helper import ENDPOINT, WORK, Steps, check, check_eq, client, make_file, md5_file, md5_hex, multipart_etag

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


# ---------------------------------------------------------------------------- bucket settings

# Each setting gets a bucket of its own, so that one failing step leaves the others be;
# delete_settings_buckets removes them at the end.
SETTINGS_BUCKETS = []


def settings_bucket(suffix):
    name = f"boto3-compat-{suffix}"
    s3.create_bucket(Bucket=name)
    SETTINGS_BUCKETS.append(name)
    return name


def http(method, url, data=None, headers=None):
    """A raw request, no credentials: (status, headers, body), whatever the status."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read()


def error_code(body):
    """The <Code> of an S3 error document."""
    return ET.fromstring(body).findtext("Code")


def client_error(fn, **kwargs):
    """Calls fn(**kwargs), which must fail: (HTTP status, error code, message)."""
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        print(f"{fn.__name__} refused: {e.response['ResponseMetadata']['HTTPStatusCode']} {err.get('Code')}: {err.get('Message')}")
        return e.response["ResponseMetadata"]["HTTPStatusCode"], err.get("Code"), err.get("Message")
    raise AssertionError(f"{fn.__name__} succeeded, a failure was expected")


def public_read_policy(bucket):
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def bucket_policy():
    bucket = settings_bucket("policy")
    # New AWS buckets block public policies by default: lift that first (Depot's have no block).
    s3.delete_public_access_block(Bucket=bucket)
    data = os.urandom(5000)
    s3.put_object(Bucket=bucket, Key="public/object.bin", Body=data)
    url = f"{ENDPOINT}/{bucket}/public/object.bin"
    status, _, body = http("GET", url)
    check_eq((status, error_code(body)), (403, "AccessDenied"), "anonymous GET before the policy")
    check_eq(client_error(s3.get_bucket_policy, Bucket=bucket)[:2], (404, "NoSuchBucketPolicy"), "get_bucket_policy before any")

    policy = public_read_policy(bucket)
    out = s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    check_eq(out["ResponseMetadata"]["HTTPStatusCode"], 204, "status of put_bucket_policy")
    status, headers, body = http("GET", url)
    check_eq(status, 200, "status of an anonymous GET under a public-read policy")
    check_eq(md5_hex(body), md5_hex(data), "md5 of the anonymous GET")
    check_eq(headers["ETag"], f'"{md5_hex(data)}"', "ETag of the anonymous GET")
    # The policy grants GetObject only: listing and writing stay closed to everyone.
    status, _, body = http("GET", f"{ENDPOINT}/{bucket}?list-type=2")
    check_eq((status, error_code(body)), (403, "AccessDenied"), "anonymous ListObjectsV2")
    status, _, body = http("PUT", f"{ENDPOINT}/{bucket}/public/anon.bin", data=b"x")
    check_eq((status, error_code(body)), (403, "AccessDenied"), "anonymous PUT")

    got = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    print(got)
    check_eq(json.loads(got), policy, "get_bucket_policy")
    check_eq(s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"], {"IsPublic": True}, "get_bucket_policy_status")

    out = s3.delete_bucket_policy(Bucket=bucket)
    check_eq(out["ResponseMetadata"]["HTTPStatusCode"], 204, "status of delete_bucket_policy")
    check_eq(client_error(s3.get_bucket_policy, Bucket=bucket)[:2], (404, "NoSuchBucketPolicy"), "get_bucket_policy after delete")
    status, _, _ = http("GET", url)
    check_eq(status, 403, "anonymous GET after delete_bucket_policy")


def malformed_policies():
    bucket = settings_bucket("malformed")
    s3.delete_public_access_block(Bucket=bucket)
    other_bucket = public_read_policy("some-other-bucket")
    no_action = public_read_policy(bucket)
    del no_action["Statement"][0]["Action"]
    bucket_action_on_objects = public_read_policy(bucket)
    bucket_action_on_objects["Statement"][0]["Action"] = "s3:ListBucket"
    for what, document in [
        ("not JSON", "{this is not json"),
        ("a resource of another bucket", json.dumps(other_bucket)),
        ("a statement without Action", json.dumps(no_action)),
        ("s3:ListBucket on object resources", json.dumps(bucket_action_on_objects)),
    ]:
        status, code, _ = client_error(s3.put_bucket_policy, Bucket=bucket, Policy=document)
        check_eq((status, code), (400, "MalformedPolicy"), f"put_bucket_policy of {what}")
    check_eq(client_error(s3.get_bucket_policy, Bucket=bucket)[1], "NoSuchBucketPolicy", "policy stored after the refusals")


def multipart_form(fields, filename, data, content_type="text/plain"):
    """A multipart/form-data body, the fields in order and the file last, as a browser
    sends a form: (body, Content-Type header)."""
    boundary = f"----depot-compat-{uuid.uuid4().hex}"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    out += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode()
    out += f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"
    # A field after the file is ignored, as S3 ignores it.
    out += f'--{boundary}\r\nContent-Disposition: form-data; name="x-amz-meta-after"\r\n\r\nignored\r\n'.encode()
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def presigned_post(signature_version):
    # The default client signs POST policies as botocore decides (SigV2 in us-east-1 at the
    # time of writing); "s3v4" asks for SigV4.
    signer = client(signature_version=signature_version) if signature_version else s3
    bucket = settings_bucket(f"post-{signature_version or 'default'}")
    post = signer.generate_presigned_post(
        Bucket=bucket,
        Key="uploads/${filename}",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}, ["starts-with", "$key", "uploads/"], ["content-length-range", 1, 1048576]],
        ExpiresIn=600,
    )
    print(post["url"], sorted(post["fields"]))
    algorithm = "SigV4" if "x-amz-signature" in post["fields"] else "SigV2" if "signature" in post["fields"] else "?"
    print(f"signed with {algorithm}")
    if signature_version == "s3v4":
        check_eq(algorithm, "SigV4", "signature of the s3v4 client's POST policy")

    data = os.urandom(100_000)
    body, content_type = multipart_form(post["fields"], "report one.txt", data)
    status, headers, answer = http("POST", post["url"], data=body, headers={"Content-Type": content_type})
    print(status, answer.decode(errors="replace"))
    check_eq(status, 201, "status of the POST upload (success_action_status 201)")
    doc = ET.fromstring(answer)
    check_eq(doc.tag, "PostResponse", "root of the 201 answer")
    key = "uploads/report one.txt"
    check_eq((doc.findtext("Bucket"), doc.findtext("Key"), doc.findtext("ETag")), (bucket, key, f'"{md5_hex(data)}"'), "PostResponse")
    # S3 percent-encodes the whole key in Location, its slashes too.
    location = urllib.parse.unquote(doc.findtext("Location", ""))
    check_eq(location, f"{ENDPOINT}/{bucket}/{key}", "Location of the PostResponse (decoded)")
    check_eq(headers["ETag"], f'"{md5_hex(data)}"', "ETag header of the POST")
    head = s3.head_object(Bucket=bucket, Key=key)
    check_eq((head["ContentLength"], head["ETag"]), (len(data), f'"{md5_hex(data)}"'), "head_object of the posted object")
    check_eq(head["Metadata"], {}, "metadata of the posted object (a field after the file is ignored)")
    check_eq(md5_hex(s3.get_object(Bucket=bucket, Key=key)["Body"].read()), md5_hex(data), "md5 of the posted object")

    # Outside content-length-range: refused, nothing stored.
    too_big = os.urandom(1048577)
    body, content_type = multipart_form(post["fields"], "too big.bin", too_big)
    status, _, answer = http("POST", post["url"], data=body, headers={"Content-Type": content_type})
    print(status, answer.decode(errors="replace"))
    check_eq((status, error_code(answer)), (400, "EntityTooLarge"), "a file over content-length-range")
    check_eq(client_error(s3.head_object, Bucket=bucket, Key="uploads/too big.bin")[0], 404, "head_object of the refused file")
    body, content_type = multipart_form(post["fields"], "empty.bin", b"")
    status, _, answer = http("POST", post["url"], data=body, headers={"Content-Type": content_type})
    check_eq((status, error_code(answer)), (400, "EntityTooSmall"), "an empty file under content-length-range 1..")

    # A key outside the policy's starts-with condition is refused.
    fields = dict(post["fields"], key="elsewhere/${filename}")
    body, content_type = multipart_form(fields, "x.txt", b"data")
    status, _, answer = http("POST", post["url"], data=body, headers={"Content-Type": content_type})
    check_eq((status, error_code(answer)), (403, "AccessDenied"), "a key the policy does not allow")
    # So is a form whose policy was altered after signing.
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    fields = dict(post["fields"], policy=base64.b64encode(json.dumps(policy).encode()).decode())
    body, content_type = multipart_form(fields, "x.txt", b"data")
    status, _, answer = http("POST", post["url"], data=body, headers={"Content-Type": content_type})
    check_eq((status, error_code(answer)), (403, "SignatureDoesNotMatch"), "a tampered POST policy")


def bucket_cors():
    bucket = settings_bucket("cors")
    origin = "https://app.example.com"
    check_eq(client_error(s3.get_bucket_cors, Bucket=bucket)[:2], (404, "NoSuchCORSConfiguration"), "get_bucket_cors before any")
    rules = [
        {
            "ID": "app",
            "AllowedOrigins": [origin],
            "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag", "x-amz-meta-from"],
            "MaxAgeSeconds": 3000,
        },
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    print(got)
    check_eq(got, rules, "get_bucket_cors")
    s3.put_object(Bucket=bucket, Key="page.txt", Body=b"cors")

    url = f"{ENDPOINT}/{bucket}/page.txt"
    status, headers, _ = http(
        "OPTIONS", url,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type, x-amz-meta-from",
        },
    )
    print(status, dict(headers))
    check_eq(status, 200, "status of the preflight")
    check_eq(headers["Access-Control-Allow-Origin"], origin, "Access-Control-Allow-Origin of the preflight")
    allowed_methods = [m.strip() for m in (headers["Access-Control-Allow-Methods"] or "").split(",")]
    check("PUT" in allowed_methods, f"Access-Control-Allow-Methods: {allowed_methods}")
    allowed_headers = (headers["Access-Control-Allow-Headers"] or "").lower()
    check("content-type" in allowed_headers and "x-amz-meta-from" in allowed_headers,
          f"Access-Control-Allow-Headers: {allowed_headers}")
    check_eq(headers["Access-Control-Max-Age"], "3000", "Access-Control-Max-Age")

    # No rule allows DELETE, nor PUT from another origin.
    status, _, body = http("OPTIONS", url, headers={"Origin": origin, "Access-Control-Request-Method": "DELETE"})
    check_eq((status, error_code(body)), (403, "CORSResponse"), "a preflight for a method no rule allows")
    status, _, body = http("OPTIONS", url, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"})
    check_eq((status, error_code(body)), (403, "CORSResponse"), "a preflight from an origin no PUT rule allows")

    # An actual request with Origin gets the headers of the matching rule.
    got = s3.get_object(Bucket=bucket, Key="page.txt")  # sanity: the object is there
    check_eq(got["Body"].read(), b"cors", "body")
    status, headers, _ = http("GET", url, headers={"Origin": origin})
    check_eq(status, 403, "an anonymous GET stays refused (CORS allows nothing by itself)")
    check_eq(headers["Access-Control-Allow-Origin"], origin, "Access-Control-Allow-Origin of a refused GET")
    signed = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "page.txt"}, ExpiresIn=300)
    status, headers, body = http("GET", signed, headers={"Origin": origin})
    check_eq((status, body), (200, b"cors"), "a presigned GET with Origin")
    check_eq(headers["Access-Control-Allow-Origin"], origin, "Access-Control-Allow-Origin of the GET")
    exposed = headers["Access-Control-Expose-Headers"] or ""
    check("etag" in exposed.lower(), f"Access-Control-Expose-Headers: {exposed}")
    status, headers, _ = http("GET", signed, headers={"Origin": "https://other.example"})
    check_eq((status, headers["Access-Control-Allow-Origin"]), (200, "*"), "the wildcard rule for another origin")

    s3.delete_bucket_cors(Bucket=bucket)
    check_eq(client_error(s3.get_bucket_cors, Bucket=bucket)[:2], (404, "NoSuchCORSConfiguration"), "get_bucket_cors after delete")
    status, _, _ = http("OPTIONS", url, headers={"Origin": origin, "Access-Control-Request-Method": "GET"})
    check_eq(status, 403, "a preflight after delete_bucket_cors")


def public_access_block():
    bucket = settings_bucket("public-access-block")
    config = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    check_eq(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"], config, "get_public_access_block")
    status, code, _ = client_error(s3.put_bucket_policy, Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    check_eq((status, code), (403, "AccessDenied"), "put_bucket_policy of a public policy under BlockPublicPolicy")
    check_eq(client_error(s3.get_bucket_policy, Bucket=bucket)[1], "NoSuchBucketPolicy", "policy stored after the refusal")
    # A policy for the account only is not public: accepted.
    private = public_read_policy(bucket)
    private["Statement"][0]["Principal"] = {"AWS": "arn:aws:iam::000000000000:root"}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(private))
    status = s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]
    check_eq(status, {"IsPublic": False}, "policy status of an account-only policy")
    # Without the block, the public policy goes in.
    s3.delete_public_access_block(Bucket=bucket)
    refused = client_error(s3.get_public_access_block, Bucket=bucket)[:2]
    check_eq(refused, (404, "NoSuchPublicAccessBlockConfiguration"), "get_public_access_block after delete")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    check_eq(s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"], {"IsPublic": True}, "policy status after the block is lifted")


def ownership_controls():
    bucket = settings_bucket("ownership")
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=controls)
    check_eq(s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"], controls, "get_bucket_ownership_controls")
    status, code, _ = client_error(s3.put_object, Bucket=bucket, Key="acl.txt", Body=b"x", ACL="public-read")
    check_eq((status, code), (400, "AccessControlListNotSupported"), "put_object with ACL public-read under BucketOwnerEnforced")
    check_eq(client_error(s3.head_object, Bucket=bucket, Key="acl.txt")[0], 404, "head_object of the refused object")
    status, code, _ = client_error(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")
    check_eq((status, code), (400, "AccessControlListNotSupported"), "put_bucket_acl public-read under BucketOwnerEnforced")
    # Without an ACL, or with bucket-owner-full-control, writes go on.
    s3.put_object(Bucket=bucket, Key="plain.txt", Body=b"plain")
    s3.put_object(Bucket=bucket, Key="owner.txt", Body=b"owner", ACL="bucket-owner-full-control")
    check_eq(s3.get_object(Bucket=bucket, Key="owner.txt")["Body"].read(), b"owner", "body written with bucket-owner-full-control")
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    refused = client_error(s3.get_bucket_ownership_controls, Bucket=bucket)[:2]
    check_eq(refused, (404, "OwnershipControlsNotFoundError"), "get_bucket_ownership_controls after delete")


def bucket_lifecycle():
    bucket = settings_bucket("lifecycle")
    check_eq(client_error(s3.get_bucket_lifecycle_configuration, Bucket=bucket)[:2], (404, "NoSuchLifecycleConfiguration"), "before any")
    rules = [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}},
        {
            "ID": "history",
            "Filter": {"And": {"Prefix": "docs/", "Tags": [{"Key": "class", "Value": "draft"}], "ObjectSizeGreaterThan": 10}},
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 2},
        },
        {"ID": "uploads", "Filter": {"Prefix": ""}, "Status": "Disabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    check_eq(s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"], rules, "get_bucket_lifecycle_configuration")
    put = s3.put_object(Bucket=bucket, Key="logs/today.log", Body=b"a log line")
    expiration = put.get("Expiration", "")
    check(expiration.startswith('expiry-date="') and expiration.endswith('", rule-id="logs"'), f"Expiration of put_object: {expiration!r}")
    check_eq(s3.head_object(Bucket=bucket, Key="logs/today.log").get("Expiration"), expiration, "Expiration of head_object")
    s3.put_object(Bucket=bucket, Key="other.txt", Body=b"no rule")
    check_eq(s3.head_object(Bucket=bucket, Key="other.txt").get("Expiration"), None, "Expiration of an object no rule expires")
    transition = [{"ID": "cold", "Filter": {}, "Status": "Enabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]
    status, code, _ = client_error(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration={"Rules": transition})
    check_eq((status, code), (400, "InvalidStorageClass"), "a transition (one storage class)")
    check_eq(s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"], rules, "rules after the refused transition")
    s3.delete_bucket_lifecycle(Bucket=bucket)
    check_eq(client_error(s3.get_bucket_lifecycle_configuration, Bucket=bucket)[:2], (404, "NoSuchLifecycleConfiguration"), "after delete")


def object_lock():
    bucket = "boto3-compat-lock"
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    check_eq(s3.get_bucket_versioning(Bucket=bucket).get("Status"), "Enabled", "versioning of a lock bucket")
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    check_eq(s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"], config, "get_object_lock_configuration")
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)
    put = s3.put_object(Bucket=bucket, Key="record.txt", Body=b"kept", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    version = put["VersionId"]
    head = s3.head_object(Bucket=bucket, Key="record.txt")
    check_eq(head.get("ObjectLockMode"), "COMPLIANCE", "ObjectLockMode of head_object")
    status, code, _ = client_error(s3.delete_object, Bucket=bucket, Key="record.txt", VersionId=version, BypassGovernanceRetention=True)
    check_eq((status, code), (403, "AccessDenied"), "delete_object of a COMPLIANCE version")
    s3.put_object_legal_hold(Bucket=bucket, Key="record.txt", VersionId=version, LegalHold={"Status": "ON"})
    check_eq(s3.get_object_legal_hold(Bucket=bucket, Key="record.txt", VersionId=version)["LegalHold"], {"Status": "ON"}, "legal hold")
    retention = s3.get_object_retention(Bucket=bucket, Key="record.txt", VersionId=version)["Retention"]
    check_eq(retention["Mode"], "COMPLIANCE", "get_object_retention")
    check_eq(s3.get_object(Bucket=bucket, Key="record.txt", VersionId=version)["Body"].read(), b"kept", "the locked bytes")
    # The default retention: GOVERNANCE, which the owner may bypass.
    plain = s3.put_object(Bucket=bucket, Key="draft.txt", Body=b"draft")["VersionId"]
    check_eq(s3.get_object_retention(Bucket=bucket, Key="draft.txt")["Retention"]["Mode"], "GOVERNANCE", "the default retention")
    status, code, _ = client_error(s3.delete_object, Bucket=bucket, Key="draft.txt", VersionId=plain)
    check_eq((status, code), (403, "AccessDenied"), "delete_object of a GOVERNANCE version without bypass")
    s3.delete_object(Bucket=bucket, Key="draft.txt", VersionId=plain, BypassGovernanceRetention=True)
    # The COMPLIANCE version outlives the run: the bucket stays (each run uses a fresh data dir).


def bucket_logging():
    source = settings_bucket("logged")
    target = settings_bucket("access-logs")
    check_eq(s3.get_bucket_logging(Bucket=source).get("LoggingEnabled"), None, "logging before any")
    status, code, _ = client_error(
        s3.put_bucket_logging, Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "boto3-compat-no-such-bucket", "TargetPrefix": "x/"}}
    )
    check_eq((status, code), (400, "InvalidTargetBucketForLogging"), "a missing target")
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/"}})
    enabled = s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]
    check_eq((enabled["TargetBucket"], enabled["TargetPrefix"]), (target, "logs/"), "get_bucket_logging")
    put = s3.put_object(Bucket=source, Key="logged.txt", Body=b"logged")
    request_id = put["ResponseMetadata"]["RequestId"]
    line = wait_for_log_line(target, request_id)
    check(f" {source} [" in line and " REST.PUT.OBJECT logged.txt " in line and '" 200 - ' in line, f"the log line: {line}")
    off = s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={})
    check_eq(s3.get_bucket_logging(Bucket=source).get("LoggingEnabled"), None, "logging after turning it off")
    # The request that turned logging off is the last one logged: once its line is in,
    # nothing more arrives and the target bucket can be emptied.
    line = wait_for_log_line(target, off["ResponseMetadata"]["RequestId"])
    check(" REST.PUT.LOGGING_STATUS " in line, f"the log line: {line}")


def wait_for_log_line(target, request_id):
    """The line of request_id in the log objects of target, once delivered (10 s at most)."""
    text = ""
    for _ in range(100):
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=target, Prefix="logs/").get("Contents", [])]
        text = "".join(s3.get_object(Bucket=target, Key=k)["Body"].read().decode() for k in keys)
        line = next((l for l in text.splitlines() if request_id in l), None)
        if line is not None:
            return line
        time.sleep(0.1)
    raise AssertionError(f"no log line for request {request_id} in {text!r}")


def delete_settings_buckets():
    for bucket in SETTINGS_BUCKETS:
        keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket) for o in p.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
        s3.delete_bucket(Bucket=bucket)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check_eq([n for n in names if n in SETTINGS_BUCKETS], [], "settings buckets left")


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
    steps.run("bucket policy: public read, get, status, delete", bucket_policy)
    steps.run("malformed bucket policies are MalformedPolicy", malformed_policies)
    steps.run("presigned POST upload (default signature)", presigned_post, None)
    steps.run("presigned POST upload (SigV4)", presigned_post, "s3v4")
    steps.run("bucket CORS and OPTIONS preflight", bucket_cors)
    steps.run("public access block refuses a public policy", public_access_block)
    steps.run("BucketOwnerEnforced refuses ACLs", ownership_controls)
    steps.run("lifecycle rules: put, get, Expiration header, transition refused, delete", bucket_lifecycle)
    steps.run("object lock: COMPLIANCE, legal hold, default GOVERNANCE retention and its bypass", object_lock)
    steps.run("server access logging: put/get, a log line for a PUT", bucket_logging)
    steps.run("delete the settings buckets", delete_settings_buckets)
    steps.finish()


if __name__ == "__main__":
    sys.exit(main())
