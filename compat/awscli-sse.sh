#!/usr/bin/env bash
# Server-side encryption through the aws cli v2: bucket default encryption (put, get, an
# upload that gets it, delete); SSE-S3 and SSE-KMS uploads (`aws s3 cp` of a 20 MiB file
# goes multipart) read back whole and by range; an unknown KMS key refused; SSE-C
# uploads read only with their key (none: 400, another: 403); copies between settings;
# no file of the data dir holds an uploaded plaintext; and the server's log (at debug
# level) never holds the customer key, raw or base64.
#
# The server runs over plain HTTP, so it is started with DEPOT_ALLOW_INSECURE_SSE_C.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="sse-compat"
# A customer key: 32 ASCII bytes, as `aws s3 cp --sse-c-key` takes it.
CUSTOMER_KEY="depot-compat-customer-key-32byte"
OTHER_KEY="another-customer-key-of-32-bytes"
# What the uploads carry, to look for on disk.
MARKER="depot-sse-compat-plaintext-marker"

aws_s3() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" s3 "$@"
}

step_bucket_default() {
    s3api create-bucket --bucket "$BUCKET" >/dev/null
    assert_fails s3api get-bucket-encryption --bucket "$BUCKET"
    s3api put-bucket-encryption --bucket "$BUCKET" \
        --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
    assert_eq "$(s3api get-bucket-encryption --bucket "$BUCKET" | jq -r '.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm')" AES256 "default"
    make_marked "$WORK/default.txt" 2000
    local put
    put=$(s3api put-object --bucket "$BUCKET" --key default.txt --body "$WORK/default.txt")
    assert_eq "$(jq -r .ServerSideEncryption <<<"$put")" AES256 "put-object under the default"
    s3api delete-bucket-encryption --bucket "$BUCKET"
    assert_fails s3api get-bucket-encryption --bucket "$BUCKET"
    assert_eq "$(s3api head-object --bucket "$BUCKET" --key default.txt | jq -r .ServerSideEncryption)" AES256 "an object keeps its encryption"
}

# A file of COUNT lines, each with the marker.
make_marked() {
    local i
    for i in $(seq 1 "$2"); do echo "$MARKER line $i"; done >"$1"
}

step_sse_s3_and_kms() {
    make_file "$WORK/big.bin" 20M
    aws_s3 cp "$WORK/big.bin" "s3://$BUCKET/big.bin" --sse AES256 >/dev/null
    assert_eq "$(s3api head-object --bucket "$BUCKET" --key big.bin | jq -r .ServerSideEncryption)" AES256 "SSE of the multipart upload"
    aws_s3 cp "s3://$BUCKET/big.bin" "$WORK/big.back" >/dev/null
    assert_same_file "$WORK/big.bin" "$WORK/big.back"
    s3api get-object --bucket "$BUCKET" --key big.bin --range bytes=8388600-8388700 "$WORK/range.out" >/dev/null
    dd if="$WORK/big.bin" bs=1 skip=8388600 count=101 status=none >"$WORK/range.want"
    assert_same_file "$WORK/range.want" "$WORK/range.out"

    make_marked "$WORK/kms.txt" 500
    aws_s3 cp "$WORK/kms.txt" "s3://$BUCKET/kms.txt" --sse aws:kms >/dev/null
    local head
    head=$(s3api head-object --bucket "$BUCKET" --key kms.txt)
    assert_eq "$(jq -r .ServerSideEncryption <<<"$head")" aws:kms "SSE-KMS"
    [[ "$(jq -r .SSEKMSKeyId <<<"$head")" != null ]] || fail "no KMS key id in $head"
    local refused
    refused=$(aws_s3 cp "$WORK/kms.txt" "s3://$BUCKET/unknown-key.txt" --sse aws:kms --sse-kms-key-id no-such-key 2>&1 || true)
    assert_contains "$refused" "KMS.NotFoundException" "an unknown KMS key"
    assert_fails s3api head-object --bucket "$BUCKET" --key unknown-key.txt
}

step_sse_c() {
    make_marked "$WORK/secret.txt" 3000
    aws_s3 cp "$WORK/secret.txt" "s3://$BUCKET/secret.txt" --sse-c AES256 --sse-c-key "$CUSTOMER_KEY" >/dev/null
    aws_s3 cp "s3://$BUCKET/secret.txt" "$WORK/secret.back" --sse-c AES256 --sse-c-key "$CUSTOMER_KEY" >/dev/null
    assert_same_file "$WORK/secret.txt" "$WORK/secret.back"
    assert_contains "$(s3api head-object --bucket "$BUCKET" --key secret.txt 2>&1 || true)" "400" "HEAD without the key"
    assert_contains "$(s3api head-object --bucket "$BUCKET" --key secret.txt --sse-customer-algorithm AES256 --sse-customer-key "$OTHER_KEY" 2>&1 || true)" "403" "HEAD with another key"
    make_file "$WORK/secret-big.bin" 12M
    aws_s3 cp "$WORK/secret-big.bin" "s3://$BUCKET/secret-big.bin" --sse-c AES256 --sse-c-key "$CUSTOMER_KEY" >/dev/null
    aws_s3 cp "s3://$BUCKET/secret-big.bin" "$WORK/secret-big.back" --sse-c AES256 --sse-c-key "$CUSTOMER_KEY" >/dev/null
    assert_same_file "$WORK/secret-big.bin" "$WORK/secret-big.back"
}

step_copies() {
    # SSE-C to SSE-S3: readable without a key afterwards.
    aws_s3 cp "s3://$BUCKET/secret.txt" "s3://$BUCKET/unsealed.txt" --sse-c-copy-source AES256 --sse-c-copy-source-key "$CUSTOMER_KEY" --sse AES256 >/dev/null
    aws_s3 cp "s3://$BUCKET/unsealed.txt" "$WORK/unsealed.back" >/dev/null
    assert_same_file "$WORK/secret.txt" "$WORK/unsealed.back"
    # SSE-S3 to none, and a copy onto itself that only changes the encryption (of bytes
    # without the marker: a copy in the clear stores them in the clear).
    make_file "$WORK/unmarked.bin" 100K
    aws_s3 cp "$WORK/unmarked.bin" "s3://$BUCKET/unmarked.bin" --sse AES256 >/dev/null
    aws_s3 cp "s3://$BUCKET/unmarked.bin" "s3://$BUCKET/plain.txt" >/dev/null
    assert_eq "$(s3api head-object --bucket "$BUCKET" --key plain.txt | jq -r '.ServerSideEncryption // "none"')" none "a copy without encryption"
    s3api copy-object --bucket "$BUCKET" --key plain.txt --copy-source "$BUCKET/plain.txt" --server-side-encryption AES256 >/dev/null
    assert_eq "$(s3api head-object --bucket "$BUCKET" --key plain.txt | jq -r .ServerSideEncryption)" AES256 "re-encrypted in place"
    aws_s3 cp "s3://$BUCKET/plain.txt" "$WORK/plain.back" >/dev/null
    assert_same_file "$WORK/unmarked.bin" "$WORK/plain.back"
}

# Every upload of the marker was encrypted: no file of the data dir (blobs, catalog and
# its WAL) holds it.
step_nothing_in_the_clear() {
    python3 - "$WORK/data" "$MARKER" <<'PY'
import os, sys
root, marker = sys.argv[1], sys.argv[2].encode()
for dirpath, _, files in os.walk(root):
    for name in files:
        path = os.path.join(dirpath, name)
        with open(path, "rb") as f:
            if marker in f.read():
                sys.exit(f"plaintext found in {path}")
PY
}

step_no_key_in_the_log() {
    local b64
    b64=$(printf '%s' "$CUSTOMER_KEY" | base64)
    assert_not_contains "$(cat "$WORK/server.log")" "$CUSTOMER_KEY" "the raw customer key in the server log"
    assert_not_contains "$(cat "$WORK/server.log")" "$b64" "the base64 customer key in the server log"
    # The log did record the requests, at debug level.
    [[ -s "$WORK/server.log" ]] || fail "the server log is empty"
}

compat_init awscli-sse
export DEPOT_ALLOW_INSECURE_SSE_C=true DEPOT_LOG_LEVEL=debug
start_server
check "bucket default encryption (put, get, an upload under it, delete)" step_bucket_default
check "SSE-S3 multipart and SSE-KMS uploads, whole and ranged reads, an unknown key" step_sse_s3_and_kms
check "SSE-C: read only with the key" step_sse_c
check "copies between encryption settings" step_copies
check "no upload's plaintext in any file of the data dir" step_nothing_in_the_clear
check "no customer key in the server's log" step_no_key_in_the_log
compat_finish
