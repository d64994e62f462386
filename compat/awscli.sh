#!/usr/bin/env bash
# aws cli v2 against a fresh Depot server, `s3` and `s3api` commands with default
# settings (path-style, since the endpoint is an IP address):
#   mb; cp up and down of 1 KiB and 100 MiB (multipart above 8 MiB); keys with special
#   characters; sync of a 300-file nested tree, twice (the second run uploads nothing),
#   and back down; ls --recursive; presign + curl; s3api multipart by hand
#   (create, upload-part x2, list-parts, complete with the part ETags, get-object, and
#   abort of a second upload); s3api put-object / head-object / list-objects-v2 /
#   get-object --range; rm --recursive; rb; bucket settings: put/get/delete-bucket-policy
#   (with an anonymous curl GET under a public-read policy) and get-bucket-policy-status,
#   malformed policies refused; put/get/delete-bucket-cors with a curl preflight;
#   put/get/delete-public-access-block refusing a public policy and a public ACL.
# Every download is compared byte for byte (md5) with what was uploaded.
#
# The aws cli v2 binary is taken from AWS_CLI (default /usr/bin/aws, Debian's package):
# a pip-installed aws cli v1 may come first on PATH.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="awscli-compat"

aws() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager "$@"
}

step_version() {
    local version
    version=$("$AWS_CLI" --version 2>&1)
    echo "$version"
    [[ "$version" == aws-cli/2.* ]] || fail "$AWS_CLI is not aws cli v2: $version"
}

step_mb() {
    aws s3 mb "s3://$BUCKET"
    assert_contains "$(aws s3 ls)" "$BUCKET" "aws s3 ls"
}

# cp_round_trip NAME SIZE [PARTS]: upload (in PARTS parts if given), download, compare.
cp_round_trip() {
    make_file "$WORK/up/$1" "$2"
    local mark
    mark=$(server_log_mark)
    aws s3 cp "$WORK/up/$1" "s3://$BUCKET/$1"
    if [[ -n "${3:-}" ]]; then
        assert_eq "$(server_ops_since "$mark" UploadPart)" "$3" "parts uploaded"
    fi
    aws s3 cp "s3://$BUCKET/$1" "$WORK/down/$1"
    assert_same_file "$WORK/up/$1" "$WORK/down/$1"
}

step_special_keys() {
    local key i=0
    for key in "${SPECIAL_KEYS[@]}"; do
        make_file "$WORK/special/$i" "$((100 + i))"
        aws s3 cp "$WORK/special/$i" "s3://$BUCKET/special/$key"
        i=$((i + 1))
    done
    local listing
    listing=$(aws s3 ls --recursive "s3://$BUCKET/special/")
    echo "$listing"
    i=0
    for key in "${SPECIAL_KEYS[@]}"; do
        assert_contains "$listing" "special/$key" "listing of special keys"
        aws s3 cp "s3://$BUCKET/special/$key" "$WORK/special-down/$i"
        assert_same_file "$WORK/special/$i" "$WORK/special-down/$i"
        i=$((i + 1))
    done
}

step_sync_tree() {
    make_tree "$WORK/tree" 300
    local out
    out=$(aws s3 sync --no-progress "$WORK/tree" "s3://$BUCKET/tree")
    local uploads
    uploads=$(grep -c '^upload:' <<<"$out" || true)
    assert_eq "$uploads" 300 "upload lines of the first sync"
    out=$(aws s3 sync --no-progress "$WORK/tree" "s3://$BUCKET/tree")
    echo "second sync printed: [$out]"
    assert_not_contains "$out" "upload:" "second sync"
    aws s3 sync "s3://$BUCKET/tree" "$WORK/tree-down" >/dev/null
    assert_same_tree "$WORK/tree" "$WORK/tree-down"
}

step_ls_recursive() {
    local listing count
    listing=$(aws s3 ls --recursive "s3://$BUCKET/tree/")
    count=$(grep -c 'tree/' <<<"$listing" || true)
    assert_eq "$count" 300 "objects listed under tree/"
    assert_contains "$listing" "tree/d2/e1/deep/er/file-7.bin" "aws s3 ls --recursive"
    # Sizes as the cli prints them match the local files.
    local size
    size=$(awk '$4 == "tree/d2/e1/deep/er/file-7.bin" {print $3}' <<<"$listing")
    assert_eq "$size" "$(stat -c %s "$WORK/tree/d2/e1/deep/er/file-7.bin")" "listed size"
    # Without --recursive: common prefixes.
    listing=$(aws s3 ls "s3://$BUCKET/tree/")
    echo "$listing"
    assert_contains "$listing" "PRE d0/" "aws s3 ls of a prefix"
}

step_presign() {
    make_file "$WORK/presign.bin" 4K
    aws s3 cp "$WORK/presign.bin" "s3://$BUCKET/presigned/object.bin"
    local url
    url=$(aws s3 presign "s3://$BUCKET/presigned/object.bin" --expires-in 300)
    echo "$url"
    curl -fsS -o "$WORK/presign-down.bin" "$url"
    assert_same_file "$WORK/presign.bin" "$WORK/presign-down.bin"
    # A tampered URL is refused.
    local status
    status=$(curl -s -o /dev/null -w '%{http_code}' "${url/object.bin/other.bin}")
    assert_eq "$status" 403 "status of a presigned URL used for another key"
}

step_multipart_by_hand() {
    local key="manual/multipart.bin"
    make_file "$WORK/part1" 6M
    make_file "$WORK/part2" 3M
    cat "$WORK/part1" "$WORK/part2" >"$WORK/whole"
    local upload_id
    upload_id=$(aws s3api create-multipart-upload --bucket "$BUCKET" --key "$key" --query UploadId --output text)
    echo "upload id: $upload_id"
    [[ -n "$upload_id" && "$upload_id" != None ]] || fail "no upload id"
    local etag1 etag2
    etag1=$(aws s3api upload-part --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" --part-number 1 --body "$WORK/part1" --query ETag --output text)
    etag2=$(aws s3api upload-part --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" --part-number 2 --body "$WORK/part2" --query ETag --output text)
    assert_eq "$etag1" "\"$(md5_of "$WORK/part1")\"" "ETag of part 1"
    assert_eq "$etag2" "\"$(md5_of "$WORK/part2")\"" "ETag of part 2"
    local parts
    parts=$(aws s3api list-parts --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" --query 'Parts[].[PartNumber,Size,ETag]' --output text)
    echo "$parts"
    assert_eq "$(wc -l <<<"$parts")" 2 "parts listed"
    assert_eq "$(awk 'NR == 1 {print $1, $2}' <<<"$parts")" "1 $((6 * 1024 * 1024))" "part 1 in list-parts"
    assert_eq "$(awk 'NR == 2 {print $1, $2}' <<<"$parts")" "2 $((3 * 1024 * 1024))" "part 2 in list-parts"
    local uploads
    uploads=$(aws s3api list-multipart-uploads --bucket "$BUCKET" --query 'Uploads[].UploadId' --output text)
    assert_contains "$uploads" "$upload_id" "list-multipart-uploads"
    printf '{"Parts":[{"ETag":%s,"PartNumber":1},{"ETag":%s,"PartNumber":2}]}' \
        "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$etag1")" \
        "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$etag2")" >"$WORK/parts.json"
    local etag
    etag=$(aws s3api complete-multipart-upload --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" \
        --multipart-upload "file://$WORK/parts.json" --query ETag --output text)
    assert_eq "$etag" "\"$(multipart_etag "$WORK/part1" "$WORK/part2")\"" "ETag of the completed upload"
    aws s3api get-object --bucket "$BUCKET" --key "$key" "$WORK/whole-down" >/dev/null
    assert_same_file "$WORK/whole" "$WORK/whole-down"
    # Each part can be read back on its own.
    aws s3api get-object --bucket "$BUCKET" --key "$key" --part-number 2 "$WORK/part2-down" >/dev/null
    assert_same_file "$WORK/part2" "$WORK/part2-down"
}

step_abort_multipart() {
    local key="manual/aborted.bin" upload_id
    make_file "$WORK/abort-part" 5M
    upload_id=$(aws s3api create-multipart-upload --bucket "$BUCKET" --key "$key" --query UploadId --output text)
    aws s3api upload-part --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" --part-number 1 --body "$WORK/abort-part" >/dev/null
    aws s3api abort-multipart-upload --bucket "$BUCKET" --key "$key" --upload-id "$upload_id"
    local out
    if out=$(aws s3api list-parts --bucket "$BUCKET" --key "$key" --upload-id "$upload_id" 2>&1); then
        fail "list-parts of an aborted upload succeeded: $out"
    fi
    assert_contains "$out" "NoSuchUpload" "list-parts after abort"
    assert_not_contains "$(aws s3api list-multipart-uploads --bucket "$BUCKET" --output text)" "$upload_id" "uploads after abort"
    assert_fails aws s3api head-object --bucket "$BUCKET" --key "$key"
}

step_s3api_objects() {
    make_file "$WORK/api.bin" 12345
    local etag
    etag=$(aws s3api put-object --bucket "$BUCKET" --key "api/one.bin" --body "$WORK/api.bin" \
        --content-type "application/x-compat" --metadata "colour=blue,owner=compat" --query ETag --output text)
    assert_eq "$etag" "\"$(md5_of "$WORK/api.bin")\"" "ETag of put-object"
    aws s3api put-object --bucket "$BUCKET" --key "api/two.bin" --body "$WORK/api.bin" >/dev/null
    local head
    head=$(aws s3api head-object --bucket "$BUCKET" --key "api/one.bin" --output json)
    echo "$head"
    local fields
    fields=$(python3 -c '
import json, sys
h = json.load(sys.stdin)
print(h["ContentLength"], h["ETag"], h["ContentType"], h["Metadata"].get("colour"), h["Metadata"].get("owner"))' <<<"$head")
    assert_eq "$fields" "12345 \"$(md5_of "$WORK/api.bin")\" application/x-compat blue compat" "head-object"
    local listed
    listed=$(aws s3api list-objects-v2 --no-paginate --bucket "$BUCKET" --prefix "api/" --query '[KeyCount, Contents[].Key]' --output text)
    echo "$listed"
    assert_eq "$(head -n 1 <<<"$listed")" 2 "KeyCount of list-objects-v2"
    assert_contains "$listed" "api/one.bin" "list-objects-v2"
    # Paging by hand: one key per page.
    listed=$(aws s3api list-objects-v2 --bucket "$BUCKET" --prefix "api/" --max-items 1 --page-size 1 --query 'Contents[].Key' --output text)
    assert_eq "$(head -n 1 <<<"$listed")" "api/one.bin" "first page of one key"
    aws s3api get-object --bucket "$BUCKET" --key "api/one.bin" --range "bytes=100-1099" "$WORK/range-down" >/dev/null
    head -c 1100 "$WORK/api.bin" | tail -c 1000 >"$WORK/range-expected"
    assert_same_file "$WORK/range-expected" "$WORK/range-down"
    assert_fails aws s3api head-object --bucket "$BUCKET" --key "api/missing.bin"
}

step_rm_rb() {
    aws s3 rm --recursive "s3://$BUCKET" >"$WORK/rm.out"
    echo "$(wc -l <"$WORK/rm.out") delete lines"
    assert_eq "$(aws s3api list-objects-v2 --no-paginate --bucket "$BUCKET" --query KeyCount --output text)" 0 "objects left after rm --recursive"
    aws s3 rb "s3://$BUCKET"
    assert_not_contains "$(aws s3 ls)" "$BUCKET" "bucket list after rb"
    assert_fails aws s3api head-bucket --bucket "$BUCKET"
}

# ---------------------------------------------------------------- bucket settings

SETTINGS_BUCKET="awscli-compat-settings"

# The bucket of the settings steps, created by whichever step runs first.
settings_bucket() {
    aws s3api head-bucket --bucket "$SETTINGS_BUCKET" 2>/dev/null || aws s3api create-bucket --bucket "$SETTINGS_BUCKET" >/dev/null
}

# json_equal A_JSON B_FILE: the two JSON documents are equal (key order aside).
json_equal() {
    python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
if a != b:
    sys.exit(f"JSON differs:\n  got      {json.dumps(a, sort_keys=True)}\n  expected {json.dumps(b, sort_keys=True)}")' "$1" "$2"
}

# expect_error CODE CMD...: the aws command fails and its message names CODE.
expect_error() {
    local code="$1" out
    shift
    if out=$("$@" 2>&1); then
        fail "expected $code, the command succeeded: $*"$'\n'"$out"
    fi
    echo "$out"
    assert_contains "$out" "($code)" "error of $*"
}

# Writes $WORK/policy.json: anyone may read the objects under public/ of the bucket.
write_public_policy() {
    cat >"$WORK/policy.json" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublicRead",
      "Effect": "Allow",
      "Principal": "*",
      "Action": ["s3:GetObject"],
      "Resource": ["arn:aws:s3:::$SETTINGS_BUCKET/public/*"]
    }
  ]
}
JSON
}

step_bucket_policy() {
    settings_bucket
    printf 'open to everyone' >"$WORK/public.txt"
    aws s3api put-object --bucket "$SETTINGS_BUCKET" --key public/hello.txt --body "$WORK/public.txt" >/dev/null
    local url="$ENDPOINT/$SETTINGS_BUCKET/public/hello.txt"
    assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url")" 403 "anonymous GET before the policy"
    write_public_policy
    aws s3api put-bucket-policy --bucket "$SETTINGS_BUCKET" --policy "file://$WORK/policy.json"
    assert_eq "$(curl -fsS "$url")" "open to everyone" "anonymous GET under the policy"
    local got
    got=$(aws s3api get-bucket-policy --bucket "$SETTINGS_BUCKET" --query Policy --output text)
    echo "$got"
    json_equal "$got" "$WORK/policy.json"
    assert_eq "$(aws s3api get-bucket-policy-status --bucket "$SETTINGS_BUCKET" --query PolicyStatus.IsPublic --output text)" True "IsPublic"
    aws s3api delete-bucket-policy --bucket "$SETTINGS_BUCKET"
    expect_error NoSuchBucketPolicy aws s3api get-bucket-policy --bucket "$SETTINGS_BUCKET"
    assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$url")" 403 "anonymous GET after delete-bucket-policy"
    # A policy for another bucket's objects, and one that is not JSON, are refused.
    sed "s/$SETTINGS_BUCKET/some-other-bucket/" "$WORK/policy.json" >"$WORK/policy-other.json"
    expect_error MalformedPolicy aws s3api put-bucket-policy --bucket "$SETTINGS_BUCKET" --policy "file://$WORK/policy-other.json"
    expect_error MalformedPolicy aws s3api put-bucket-policy --bucket "$SETTINGS_BUCKET" --policy '{"Version": "2012-10-17", "Statement": ['
}

step_bucket_cors() {
    settings_bucket
    expect_error NoSuchCORSConfiguration aws s3api get-bucket-cors --bucket "$SETTINGS_BUCKET"
    cat >"$WORK/cors.json" <<'JSON'
{
  "CORSRules": [
    {
      "ID": "app",
      "AllowedOrigins": ["https://app.example.com"],
      "AllowedMethods": ["GET", "PUT"],
      "AllowedHeaders": ["*"],
      "ExposeHeaders": ["ETag"],
      "MaxAgeSeconds": 600
    }
  ]
}
JSON
    aws s3api put-bucket-cors --bucket "$SETTINGS_BUCKET" --cors-configuration "file://$WORK/cors.json"
    local got
    got=$(aws s3api get-bucket-cors --bucket "$SETTINGS_BUCKET" --output json)
    echo "$got"
    json_equal "$got" "$WORK/cors.json"
    # A browser's preflight for a PUT from the allowed origin, then from another one.
    local headers
    headers=$(curl -sS -o /dev/null -D - -X OPTIONS "$ENDPOINT/$SETTINGS_BUCKET/upload.txt" \
        -H "Origin: https://app.example.com" -H "Access-Control-Request-Method: PUT" \
        -H "Access-Control-Request-Headers: content-type" | tr -d '\r')
    echo "$headers"
    assert_contains "$headers" " 200" "preflight status"
    assert_contains "$(tr 'A-Z' 'a-z' <<<"$headers")" "access-control-allow-origin: https://app.example.com" "preflight headers"
    assert_contains "$(tr 'A-Z' 'a-z' <<<"$headers")" "access-control-max-age: 600" "preflight headers"
    assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS "$ENDPOINT/$SETTINGS_BUCKET/upload.txt" \
        -H "Origin: https://elsewhere.example.com" -H "Access-Control-Request-Method: PUT")" 403 "preflight from an origin no rule allows"
    aws s3api delete-bucket-cors --bucket "$SETTINGS_BUCKET"
    expect_error NoSuchCORSConfiguration aws s3api get-bucket-cors --bucket "$SETTINGS_BUCKET"
}

step_public_access_block() {
    settings_bucket
    aws s3api put-public-access-block --bucket "$SETTINGS_BUCKET" \
        --public-access-block-configuration "BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false"
    local got
    got=$(aws s3api get-public-access-block --bucket "$SETTINGS_BUCKET" --query PublicAccessBlockConfiguration --output json)
    echo "$got"
    printf '{"BlockPublicAcls": true, "IgnorePublicAcls": false, "BlockPublicPolicy": true, "RestrictPublicBuckets": false}' >"$WORK/pab.json"
    json_equal "$got" "$WORK/pab.json"
    # A public policy and a public ACL are refused while the block is on.
    write_public_policy
    expect_error AccessDenied aws s3api put-bucket-policy --bucket "$SETTINGS_BUCKET" --policy "file://$WORK/policy.json"
    printf 'x' >"$WORK/acl.txt"
    expect_error AccessDenied aws s3api put-object --bucket "$SETTINGS_BUCKET" --key acl.txt --body "$WORK/acl.txt" --acl public-read
    aws s3api delete-public-access-block --bucket "$SETTINGS_BUCKET"
    expect_error NoSuchPublicAccessBlockConfiguration aws s3api get-public-access-block --bucket "$SETTINGS_BUCKET"
    aws s3api put-bucket-policy --bucket "$SETTINGS_BUCKET" --policy "file://$WORK/policy.json"
    assert_eq "$(aws s3api get-bucket-policy-status --bucket "$SETTINGS_BUCKET" --query PolicyStatus.IsPublic --output text)" True "IsPublic once the block is lifted"
}

step_settings_rb() {
    aws s3 rb --force "s3://$SETTINGS_BUCKET"
    assert_fails aws s3api head-bucket --bucket "$SETTINGS_BUCKET"
}

compat_init awscli
start_server
check "aws --version is v2" step_version
check "mb" step_mb
check "cp 1 KiB up and down" cp_round_trip small.bin 1K
check "cp 100 MiB up and down (multipart, 13 parts of 8 MiB)" cp_round_trip big.bin 100M 13
check "cp keys with special characters" step_special_keys
check "sync 300 files twice, then back down" step_sync_tree
check "ls --recursive" step_ls_recursive
check "presign + curl" step_presign
check "s3api multipart upload by hand" step_multipart_by_hand
check "s3api abort-multipart-upload" step_abort_multipart
check "s3api put-object / head-object / list-objects-v2 / range get" step_s3api_objects
check "rm --recursive and rb" step_rm_rb
check "s3api put/get/delete-bucket-policy, get-bucket-policy-status" step_bucket_policy
check "s3api put/get/delete-bucket-cors and a preflight" step_bucket_cors
check "s3api put/get/delete-public-access-block" step_public_access_block
check "rb of the settings bucket" step_settings_rb
compat_finish
