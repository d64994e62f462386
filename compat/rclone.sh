#!/usr/bin/env bash
# rclone against a fresh Depot server, configured only through the environment
# (remote "depot": type s3, provider Other, path style, which lists with ListObjects v1):
#   mkdir; copy of a 300-file nested tree and `check` (sizes and MD5s from the ETags);
#   lsf -R and md5sum compared with the local files; sync after adding, changing and
#   deleting files (deleted ones disappear remotely); copy up and down of a 200 MiB file
#   (multipart: rclone's upload cutoff is 200 MiB); keys with special characters;
#   deletefile; purge.
# Every download is compared byte for byte (md5) with what was uploaded.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="rclone-compat"

rclone() {
    command rclone --config "$WORK/rclone.conf" --retries 1 --low-level-retries 1 "$@"
}

configure_rclone() {
    : >"$WORK/rclone.conf"
    export RCLONE_CONFIG_DEPOT_TYPE=s3
    export RCLONE_CONFIG_DEPOT_PROVIDER=Other
    export RCLONE_CONFIG_DEPOT_ACCESS_KEY_ID="$ACCESS_KEY"
    export RCLONE_CONFIG_DEPOT_SECRET_ACCESS_KEY="$SECRET_KEY"
    export RCLONE_CONFIG_DEPOT_ENDPOINT="$ENDPOINT"
    export RCLONE_CONFIG_DEPOT_REGION="$REGION"
    export RCLONE_CONFIG_DEPOT_FORCE_PATH_STYLE=true
}

step_version() {
    command rclone version
}

step_mkdir() {
    rclone mkdir "depot:$BUCKET"
    assert_contains "$(rclone lsd depot:)" "$BUCKET" "rclone lsd"
}

step_copy_check() {
    make_tree "$WORK/tree" 300
    rclone copy "$WORK/tree" "depot:$BUCKET/tree"
    rclone check "$WORK/tree" "depot:$BUCKET/tree"
    rclone copy "depot:$BUCKET/tree" "$WORK/tree-down"
    assert_same_tree "$WORK/tree" "$WORK/tree-down"
}

step_lsf_md5sum() {
    local listed expected
    listed=$(rclone lsf -R --files-only "depot:$BUCKET/tree" | sort)
    expected=$(cd "$WORK/tree" && find . -type f -printf '%P\n' | sort)
    assert_eq "$(wc -l <<<"$listed")" 300 "files listed by lsf -R"
    [[ "$listed" == "$expected" ]] || fail "lsf -R differs from the local tree: $(diff <(echo "$expected") <(echo "$listed") | head)"
    # rclone md5sum prints "md5  path", as md5sum does.
    local remote local_sums
    remote=$(rclone md5sum "depot:$BUCKET/tree" | sort -k2)
    local_sums=$(cd "$WORK/tree" && find . -type f -printf '%P\0' | xargs -0 md5sum | sort -k2)
    [[ "$remote" == "$local_sums" ]] || fail "rclone md5sum differs: $(diff <(echo "$local_sums") <(echo "$remote") | head)"
    echo "md5sum matches for $(wc -l <<<"$remote") files"
}

step_sync() {
    # Change the tree: 10 new files, 10 changed, 10 deleted.
    local i
    for i in $(seq 1 10); do
        make_file "$WORK/tree/new/added-$i.bin" "$((i * 1000))"
        make_file "$WORK/tree/d2/e2/file-$((i * 15 + 2)).bin" "$((i * 700 + 3))"
    done
    local deleted=()
    for i in $(seq 0 9); do
        local victim
        victim=$(cd "$WORK/tree" && find d3 -type f | sort | sed -n "$((i + 1))p")
        deleted+=("$victim")
        rm "$WORK/tree/$victim"
    done
    rclone sync "$WORK/tree" "depot:$BUCKET/tree"
    rclone check "$WORK/tree" "depot:$BUCKET/tree"
    local listed
    listed=$(rclone lsf -R --files-only "depot:$BUCKET/tree")
    local d
    for d in "${deleted[@]}"; do
        assert_not_contains "$listed" "$d" "remote tree after sync"
    done
    rclone sync "depot:$BUCKET/tree" "$WORK/tree-down"
    assert_same_tree "$WORK/tree" "$WORK/tree-down"
}

step_big_file() {
    make_file "$WORK/big/big.bin" 200M
    local mark
    mark=$(server_log_mark)
    rclone copy "$WORK/big/big.bin" "depot:$BUCKET/big"
    assert_eq "$(server_ops_since "$mark" CompleteMultipartUpload)" 1 "multipart uploads completed"
    echo "$(server_ops_since "$mark" UploadPart) parts uploaded"
    rclone check "$WORK/big" "depot:$BUCKET/big"
    rclone copy "depot:$BUCKET/big/big.bin" "$WORK/big-down"
    assert_same_file "$WORK/big/big.bin" "$WORK/big-down/big.bin"
    local sum
    sum=$(rclone md5sum "depot:$BUCKET/big/big.bin" | cut -d' ' -f1)
    assert_eq "$sum" "$(md5_of "$WORK/big/big.bin")" "rclone md5sum of the big file"
}

step_special_keys() {
    local key i=0
    for key in "${SPECIAL_KEYS[@]}"; do
        make_file "$WORK/special/$key" "$((100 + i))"
        i=$((i + 1))
    done
    rclone copy "$WORK/special" "depot:$BUCKET/special"
    rclone check "$WORK/special" "depot:$BUCKET/special"
    rclone copy "depot:$BUCKET/special" "$WORK/special-down"
    assert_same_tree "$WORK/special" "$WORK/special-down"
}

step_deletefile() {
    rclone deletefile "depot:$BUCKET/tree/file-0.bin"
    assert_not_contains "$(rclone lsf "depot:$BUCKET/tree")" "file-0.bin" "lsf after deletefile"
    # Its neighbour is still there.
    rclone cat "depot:$BUCKET/tree/file-11.bin" >"$WORK/file-11.bin"
    assert_same_file "$WORK/tree/file-11.bin" "$WORK/file-11.bin"
}

step_purge() {
    rclone purge "depot:$BUCKET"
    assert_not_contains "$(rclone lsd depot:)" "$BUCKET" "buckets after purge"
}

compat_init rclone
start_server
configure_rclone
check "rclone version" step_version
check "mkdir" step_mkdir
check "copy 300 files, check, copy back" step_copy_check
check "lsf -R and md5sum" step_lsf_md5sum
check "sync after add/change/delete, check, sync back" step_sync
check "copy 200 MiB up and down (multipart)" step_big_file
check "copy keys with special characters" step_special_keys
check "deletefile" step_deletefile
check "purge" step_purge
compat_finish
