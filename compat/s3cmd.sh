#!/usr/bin/env bash
# s3cmd against a fresh Depot server, with a config file in the work dir (path style:
# host_bucket without %(bucket)s; plain http). The whole workflow runs twice: signed
# with SigV4 (signature_v2 = False) and with SigV2 (signature_v2 = True):
#   mb; put of a small file and of a 40 MiB file in 15 MiB multipart chunks; get and
#   compare; ls; la; info (size and MD5); keys with special characters; sync of a
#   nested tree up (twice: the second run uploads nothing) and back down; del; del
#   --recursive; rb.
# Every download is compared byte for byte (md5) with what was uploaded.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

S3CMD_CONFIG=""

s3cmd() {
    command s3cmd -c "$S3CMD_CONFIG" --no-progress "$@"
}

# write_config FILE SIGNATURE_V2(True|False)
write_config() {
    cat >"$1" <<EOF
[default]
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
bucket_location = $REGION
use_https = False
check_ssl_certificate = False
signature_v2 = $2
multipart_chunk_size_mb = 15
EOF
}

step_version() {
    command s3cmd --version
}

step_mb() {
    s3cmd mb "s3://$BUCKET"
    assert_contains "$(s3cmd ls)" "s3://$BUCKET" "s3cmd ls"
}

step_put_get() {
    make_file "$WORK/$SIG/small.bin" 1K
    s3cmd put "$WORK/$SIG/small.bin" "s3://$BUCKET/small.bin"
    s3cmd get "s3://$BUCKET/small.bin" "$WORK/$SIG/small-down.bin"
    assert_same_file "$WORK/$SIG/small.bin" "$WORK/$SIG/small-down.bin"
}

step_put_get_multipart() {
    make_file "$WORK/$SIG/big.bin" 40M
    local mark
    mark=$(server_log_mark)
    s3cmd put --multipart-chunk-size-mb=15 "$WORK/$SIG/big.bin" "s3://$BUCKET/big/big.bin"
    assert_eq "$(server_ops_since "$mark" UploadPart)" 3 "parts uploaded (40 MiB in 15 MiB chunks)"
    assert_eq "$(server_ops_since "$mark" CompleteMultipartUpload)" 1 "completed uploads"
    s3cmd get "s3://$BUCKET/big/big.bin" "$WORK/$SIG/big-down.bin"
    assert_same_file "$WORK/$SIG/big.bin" "$WORK/$SIG/big-down.bin"
}

step_ls_la_info() {
    make_file "$WORK/$SIG/nested.bin" 2K
    s3cmd put "$WORK/$SIG/nested.bin" "s3://$BUCKET/dir/sub/nested.bin"
    local out
    out=$(s3cmd ls "s3://$BUCKET")
    echo "$out"
    assert_contains "$out" "DIR  s3://$BUCKET/dir/" "s3cmd ls"
    assert_contains "$out" "1024  s3://$BUCKET/small.bin" "s3cmd ls"
    out=$(s3cmd la)
    echo "$out"
    assert_contains "$out" "s3://$BUCKET/small.bin" "s3cmd la"
    assert_contains "$out" "DIR  s3://$BUCKET/dir/" "s3cmd la"
    out=$(s3cmd ls --recursive "s3://$BUCKET")
    assert_contains "$out" "2048  s3://$BUCKET/dir/sub/nested.bin" "s3cmd ls --recursive"
    out=$(s3cmd info "s3://$BUCKET/small.bin")
    echo "$out"
    assert_contains "$out" "File size: 1024" "s3cmd info"
    assert_contains "$out" "MD5 sum:   $(md5_of "$WORK/$SIG/small.bin")" "s3cmd info"
    out=$(s3cmd info "s3://$BUCKET")
    echo "$out"
    assert_contains "$out" "Location:" "s3cmd info of the bucket"
}

step_special_keys() {
    local key i=0
    for key in "${SPECIAL_KEYS[@]}"; do
        make_file "$WORK/$SIG/special/$i" "$((100 + i))"
        s3cmd put "$WORK/$SIG/special/$i" "s3://$BUCKET/special/$key"
        s3cmd get "s3://$BUCKET/special/$key" "$WORK/$SIG/special-down-$i"
        assert_same_file "$WORK/$SIG/special/$i" "$WORK/$SIG/special-down-$i"
        i=$((i + 1))
    done
    local listing
    listing=$(s3cmd ls --recursive "s3://$BUCKET/special/")
    echo "$listing"
    for key in "${SPECIAL_KEYS[@]}"; do
        assert_contains "$listing" "s3://$BUCKET/special/$key" "listing of special keys"
    done
}

step_sync() {
    make_tree "$WORK/$SIG/tree" 120
    local out
    out=$(s3cmd sync "$WORK/$SIG/tree/" "s3://$BUCKET/tree/")
    assert_eq "$(grep -c "^upload:" <<<"$out" || true)" 120 "uploads of the first sync"
    out=$(s3cmd sync "$WORK/$SIG/tree/" "s3://$BUCKET/tree/")
    echo "second sync printed: [$out]"
    assert_not_contains "$out" "upload:" "second sync"
    mkdir -p "$WORK/$SIG/tree-down"
    s3cmd sync "s3://$BUCKET/tree/" "$WORK/$SIG/tree-down/" >/dev/null
    assert_same_tree "$WORK/$SIG/tree" "$WORK/$SIG/tree-down"
}

step_del() {
    s3cmd del "s3://$BUCKET/small.bin"
    assert_not_contains "$(s3cmd ls "s3://$BUCKET")" "s3://$BUCKET/small.bin" "listing after del"
    s3cmd del --recursive --force "s3://$BUCKET"
    assert_eq "$(s3cmd ls --recursive "s3://$BUCKET" | wc -l)" 0 "objects left after del --recursive"
}

step_rb() {
    s3cmd rb "s3://$BUCKET"
    assert_not_contains "$(s3cmd ls)" "s3://$BUCKET" "buckets after rb"
}

# workflow sigv4|sigv2
workflow() {
    SIG="$1"
    BUCKET="s3cmd-compat-$SIG"
    S3CMD_CONFIG="$WORK/s3cmd-$SIG.cfg"
    write_config "$S3CMD_CONFIG" "$([[ $SIG == sigv2 ]] && echo True || echo False)"
    check "[$SIG] mb" step_mb
    check "[$SIG] put and get 1 KiB" step_put_get
    check "[$SIG] put and get 40 MiB in 15 MiB parts (multipart)" step_put_get_multipart
    check "[$SIG] ls, la, info" step_ls_la_info
    check "[$SIG] put and get keys with special characters" step_special_keys
    check "[$SIG] sync up twice, then down" step_sync
    check "[$SIG] del and del --recursive" step_del
    check "[$SIG] rb" step_rb
}

compat_init s3cmd
start_server
check "s3cmd --version" step_version
workflow sigv4
workflow sigv2
compat_finish
