#!/usr/bin/env bash
# restic (Debian's) against a fresh Depot server, on a bucket with versioning on and
# SSE-S3 default encryption, as a backup setup has it: init; two backups of a changing tree (a 300-file nested tree and a
# 24 MiB file, then files changed, deleted and added); snapshots; forget --keep-last 1
# --prune (restic deletes and rewrites pack files); check --read-data (every pack is
# downloaded and verified); restore of the latest snapshot, compared file by file (md5)
# with the tree as it was backed up; the bucket's old versions are still there. Every
# stored object answers `x-amz-server-side-encryption: AES256`, and no blob file on disk
# holds the repository's plaintext config object.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="restic-compat"

# Each command is bounded: restic retries a failing backend for minutes, which would
# stall the suite instead of failing it.
restic() {
    timeout 300 restic --no-cache --quiet "$@"
}

configure_restic() {
    export RESTIC_REPOSITORY="s3:$ENDPOINT/$BUCKET/repo"
    export RESTIC_PASSWORD="depot compat repository password"
}

step_version() {
    command restic version
}

step_versioned_bucket() {
    s3api create-bucket --bucket "$BUCKET" >/dev/null
    s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
    assert_contains "$(s3api get-bucket-versioning --bucket "$BUCKET")" '"Enabled"' "versioning"
    s3api put-bucket-encryption --bucket "$BUCKET" \
        --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
    assert_contains "$(s3api get-bucket-encryption --bucket "$BUCKET")" '"AES256"' "default encryption"
}

# What restic stored is encrypted at rest: HEAD says so (of up to 25 objects: each is an
# aws cli run), and the bytes restic sent as its config object are in no file of the
# data dir (blobs, catalog, WAL).
step_encrypted_at_rest() {
    local key
    for key in $(s3api list-objects-v2 --bucket "$BUCKET" --prefix repo/ --query 'Contents[].Key' --output text | tr '\t' '\n' | head -25); do
        assert_eq "$(s3api head-object --bucket "$BUCKET" --key "$key" --query ServerSideEncryption --output text)" AES256 "SSE of $key"
    done
    s3api get-object --bucket "$BUCKET" --key repo/config "$WORK/config.plain" >/dev/null
    python3 - "$WORK/config.plain" "$WORK/data" <<'PY'
import os, sys
needle = open(sys.argv[1], "rb").read()[:64]
assert len(needle) >= 32, "the config object is too short to look for"
for root, _, files in os.walk(sys.argv[2]):
    for name in files:
        with open(os.path.join(root, name), "rb") as f:
            if needle in f.read():
                sys.exit(f"the config object's bytes are stored in the clear in {name}")
PY
}

step_init() {
    restic init
    assert_contains "$(s3api list-objects-v2 --bucket "$BUCKET" --prefix repo/)" "repo/config" "the repository's objects"
}

step_backups() {
    make_tree "$WORK/backup/tree" 300
    make_file "$WORK/backup/big.bin" 24M
    (cd "$WORK" && restic backup backup)
    # Change some files, delete some, add some; back up again.
    local i
    for i in 3 14 15 92; do
        find "$WORK/backup/tree" -name "file-$i.bin" -exec sh -c 'head -c 777 /dev/urandom >"$1"' _ {} \;
    done
    find "$WORK/backup/tree" -name 'file-2*.bin' -delete
    make_tree "$WORK/backup/added" 40
    (cd "$WORK" && restic backup backup)
    assert_eq "$(restic snapshots --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" 2 "snapshots"
}

step_forget_prune() {
    local before after
    before=$(s3api list-objects-v2 --bucket "$BUCKET" --prefix repo/data/ --query 'length(Contents)')
    restic forget --keep-last 1 --prune
    assert_eq "$(restic snapshots --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" 1 "snapshots after forget --prune"
    after=$(s3api list-objects-v2 --bucket "$BUCKET" --prefix repo/ --query 'length(Contents)')
    echo "data objects before prune: $before; repository objects after: $after"
    # Pruning deleted objects: in a versioned bucket they became delete markers.
    local markers
    markers=$(s3api list-object-versions --bucket "$BUCKET" --prefix repo/ --query 'length(DeleteMarkers || `[]`)')
    [[ "$markers" -gt 0 ]] || fail "prune deleted nothing (no delete markers in the versioned bucket)"
    echo "delete markers left by prune: $markers"
}

step_check_read_data() {
    restic check --read-data
}

step_restore() {
    rm -rf "$WORK/restored"
    restic restore latest --target "$WORK/restored"
    assert_same_tree "$WORK/backup" "$WORK/restored/backup"
}

compat_init restic
start_server
configure_restic
check "restic version" step_version
check "a bucket with versioning and SSE-S3 default encryption (aws cli)" step_versioned_bucket
check "init" step_init
check "two backups of a changing tree (300 files and 24 MiB)" step_backups
check "forget --keep-last 1 --prune" step_forget_prune
check "check --read-data" step_check_read_data
check "restore latest, md5 of every file" step_restore
check "stored encrypted (HEAD and on disk)" step_encrypted_at_rest
compat_finish
