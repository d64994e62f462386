"""Server-side encryption through boto3 (latest release, default settings) against a
running Depot server started with DEPOT_ALLOW_INSECURE_SSE_C (it is plain HTTP).

Run by compat/boto3-sse.sh. Covers: put/get/delete_bucket_encryption and an upload
under the default; upload_file / download_file of 20 MiB (multipart) with SSE-S3 and
with SSE-C (ExtraArgs); SSE-KMS with the ring's default key and an unknown key refused
(KMS.NotFoundException); SSE-C reads without the key (400) and with another (403);
copy_object from SSE-C to SSE-S3; the managed copy of a 20 MiB SSE-C object to SSE-KMS
(UploadPartCopy decrypting its source). Every download is compared (md5) with what was
uploaded.
"""

import os
import sys

import botocore.exceptions

from compat_helper import WORK, Steps, check, check_eq, client, make_file, md5_file, md5_hex

BUCKET = "boto3-sse"
s3 = client()
BIG = 20 * 1024 * 1024
KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
SSE_C = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": KEY}


def error_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{fn.__name__} succeeded")


def bucket_default():
    s3.create_bucket(Bucket=BUCKET)
    check_eq(error_of(s3.get_bucket_encryption, Bucket=BUCKET), (404, "ServerSideEncryptionConfigurationNotFoundError"), "before any default")
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
    s3.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [rule]})
    got = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    check_eq(got["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms", "default algorithm")
    check_eq(got.get("BucketKeyEnabled"), True, "BucketKeyEnabled")
    out = s3.put_object(Bucket=BUCKET, Key="default.txt", Body=b"under the default")
    check_eq(out["ServerSideEncryption"], "aws:kms", "put_object under the default")
    check_eq(out.get("BucketKeyEnabled"), True, "bucket key of the upload")
    s3.delete_bucket_encryption(Bucket=BUCKET)
    check_eq(error_of(s3.get_bucket_encryption, Bucket=BUCKET)[0], 404, "after delete")
    head = s3.head_object(Bucket=BUCKET, Key="default.txt")
    check_eq(head["ServerSideEncryption"], "aws:kms", "the object keeps its encryption")


def sse_s3_multipart():
    src, dst = os.path.join(WORK, "sse-s3.bin"), os.path.join(WORK, "sse-s3.back")
    make_file(src, BIG)
    s3.upload_file(src, BUCKET, "sse-s3.bin", ExtraArgs={"ServerSideEncryption": "AES256"})
    check_eq(s3.head_object(Bucket=BUCKET, Key="sse-s3.bin")["ServerSideEncryption"], "AES256", "SSE of the multipart upload")
    s3.download_file(BUCKET, "sse-s3.bin", dst)
    check_eq(md5_file(dst), md5_file(src), "md5 of the SSE-S3 download")
    part = s3.get_object(Bucket=BUCKET, Key="sse-s3.bin", PartNumber=2)
    check_eq(part["ResponseMetadata"]["HTTPStatusCode"], 206, "partNumber=2")
    with open(src, "rb") as f:
        f.seek(8 * 1024 * 1024)
        check_eq(md5_hex(part["Body"].read()), md5_hex(f.read(8 * 1024 * 1024)), "md5 of part 2")


def sse_kms():
    out = s3.put_object(Bucket=BUCKET, Key="kms.txt", Body=b"kms", ServerSideEncryption="aws:kms")
    check_eq(out["ServerSideEncryption"], "aws:kms", "SSE-KMS")
    check("SSEKMSKeyId" in out, f"a key id in {out}")
    check_eq(s3.get_object(Bucket=BUCKET, Key="kms.txt")["Body"].read(), b"kms", "body of the SSE-KMS object")
    refused = error_of(s3.put_object, Bucket=BUCKET, Key="nope.txt", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="no-such-key")
    check_eq(refused, (400, "KMS.NotFoundException"), "an unknown KMS key")
    check_eq(error_of(s3.head_object, Bucket=BUCKET, Key="nope.txt")[0], 404, "nothing stored for the unknown key")


def sse_c():
    data = os.urandom(100 * 1024)
    out = s3.put_object(Bucket=BUCKET, Key="secret.bin", Body=data, **SSE_C)
    check_eq(out["SSECustomerAlgorithm"], "AES256", "algorithm echoed")
    check(out["ETag"] != f'"{md5_hex(data)}"', "an SSE-C ETag is not the plaintext's MD5")
    head = s3.head_object(Bucket=BUCKET, Key="secret.bin", **SSE_C)
    check_eq(head["ETag"], out["ETag"], "the ETag of HEAD")
    sse_s3 = s3.put_object(Bucket=BUCKET, Key="etag-sse-s3.bin", Body=data, ServerSideEncryption="AES256")
    check_eq(sse_s3["ETag"], f'"{md5_hex(data)}"', "an SSE-S3 ETag: the plaintext's MD5")
    check_eq(md5_hex(s3.get_object(Bucket=BUCKET, Key="secret.bin", **SSE_C)["Body"].read()), md5_hex(data), "read with the key")
    check_eq(error_of(s3.get_object, Bucket=BUCKET, Key="secret.bin")[0], 400, "read without the key")
    wrong = error_of(s3.get_object, Bucket=BUCKET, Key="secret.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=OTHER_KEY)
    check_eq(wrong, (403, "AccessDenied"), "read with another key")
    ranged = s3.get_object(Bucket=BUCKET, Key="secret.bin", Range="bytes=65530-65545", **SSE_C)["Body"].read()
    check_eq(ranged, data[65530:65546], "a range across a chunk boundary")
    src, dst = os.path.join(WORK, "sse-c.bin"), os.path.join(WORK, "sse-c.back")
    make_file(src, BIG)
    s3.upload_file(src, BUCKET, "sse-c.bin", ExtraArgs=SSE_C)
    s3.download_file(BUCKET, "sse-c.bin", dst, ExtraArgs=SSE_C)
    check_eq(md5_file(dst), md5_file(src), "md5 of the SSE-C multipart download")


def copies():
    copy_source = {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": KEY}
    s3.copy_object(Bucket=BUCKET, Key="opened.bin", CopySource={"Bucket": BUCKET, "Key": "secret.bin"}, ServerSideEncryption="AES256", **copy_source)
    head = s3.head_object(Bucket=BUCKET, Key="opened.bin")
    check_eq(head["ServerSideEncryption"], "AES256", "SSE-C copied to SSE-S3")
    plain = s3.get_object(Bucket=BUCKET, Key="secret.bin", **SSE_C)["Body"].read()
    check_eq(md5_hex(s3.get_object(Bucket=BUCKET, Key="opened.bin")["Body"].read()), md5_hex(plain), "md5 of the copy")
    refused = error_of(s3.copy_object, Bucket=BUCKET, Key="x.bin", CopySource={"Bucket": BUCKET, "Key": "secret.bin"})
    check_eq(refused[0], 400, "a copy of an SSE-C source without its key")
    # The managed copy of 20 MiB: UploadPartCopy reads the SSE-C source, writes SSE-KMS.
    s3.copy({"Bucket": BUCKET, "Key": "sse-c.bin"}, BUCKET, "kms-copy.bin", ExtraArgs={**copy_source, "ServerSideEncryption": "aws:kms"})
    check_eq(s3.head_object(Bucket=BUCKET, Key="kms-copy.bin")["ServerSideEncryption"], "aws:kms", "SSE of the managed copy")
    dst = os.path.join(WORK, "kms-copy.back")
    s3.download_file(BUCKET, "kms-copy.bin", dst)
    check_eq(md5_file(dst), md5_file(os.path.join(WORK, "sse-c.bin")), "md5 of the managed copy")


def main():
    steps = Steps("boto3-sse")
    steps.run("bucket default encryption: put, get, an upload under it, delete", bucket_default)
    steps.run("upload_file / download_file 20 MiB with SSE-S3, partNumber read", sse_s3_multipart)
    steps.run("SSE-KMS: the default key, an unknown key refused", sse_kms)
    steps.run("SSE-C: put/get, no key 400, another key 403, range, 20 MiB multipart", sse_c)
    steps.run("copy_object SSE-C to SSE-S3, managed copy SSE-C to SSE-KMS", copies)
    steps.finish()


if __name__ == "__main__":
    sys.exit(main())
