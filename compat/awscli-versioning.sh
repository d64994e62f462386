#!/usr/bin/env bash
# The versioning life cycle through `aws s3api` (aws cli v2), byte-checked:
#   a never-versioned bucket has no status; enable; overwrite three times and list the
#   versions (newest first, one latest); get an old version; delete to a delete marker
#   (GET is a 404 that says so); restore by deleting the marker; delete one version for
#   good; tag a version; suspend, and write the null version twice; delete-objects with
#   version ids; the bucket cannot be deleted while versions remain; then everything is
#   removed version by version and the bucket goes.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="versioned-compat"

# put NAME: uploads $WORK/up/NAME as key "doc" and records its version id in $WORK/NAME.vid
put() {
    s3api put-object --bucket "$BUCKET" --key doc --body "$WORK/up/$1" | jq -r .VersionId >"$WORK/$1.vid"
}

vid() {
    cat "$WORK/$1.vid"
}

step_enable() {
    s3api create-bucket --bucket "$BUCKET"
    # A never-versioned bucket answers with no status at all (the cli prints nothing).
    local before
    before=$(s3api get-bucket-versioning --bucket "$BUCKET")
    assert_eq "$(jq -r '.Status // "none"' <<<"${before:-{\}}")" none "status before"
    s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Enabled
    assert_eq "$(s3api get-bucket-versioning --bucket "$BUCKET" | jq -r .Status)" Enabled "status after"
}

step_overwrite_three_times() {
    local n
    for n in v1 v2 v3; do
        make_file "$WORK/up/$n" "$((3000 + ${n#v} * 1000))"
        put "$n"
        [[ "$(vid "$n")" != null && -n "$(vid "$n")" ]] || fail "no version id for $n"
    done
    s3api list-object-versions --bucket "$BUCKET" >"$WORK/versions.json"
    assert_eq "$(jq -r '[.Versions[].VersionId] | join(" ")' "$WORK/versions.json")" "$(vid v3) $(vid v2) $(vid v1)" "versions, newest first"
    assert_eq "$(jq -r '[.Versions[] | select(.IsLatest)] | length' "$WORK/versions.json")" 1 "latest count"
    assert_eq "$(jq -r '.Versions[0].IsLatest' "$WORK/versions.json")" true "newest is latest"
}

step_get_old_version() {
    s3api get-object --bucket "$BUCKET" --key doc --version-id "$(vid v1)" "$WORK/down/v1" >/dev/null
    assert_same_file "$WORK/up/v1" "$WORK/down/v1"
    s3api get-object --bucket "$BUCKET" --key doc "$WORK/down/latest" >/dev/null
    assert_same_file "$WORK/up/v3" "$WORK/down/latest"
}

step_delete_marker_and_restore() {
    s3api delete-object --bucket "$BUCKET" --key doc >"$WORK/marker.json"
    assert_eq "$(jq -r .DeleteMarker "$WORK/marker.json")" true "delete marker created"
    local marker
    marker=$(jq -r .VersionId "$WORK/marker.json")
    if s3api get-object --bucket "$BUCKET" --key doc "$WORK/down/none" >/dev/null 2>"$WORK/get.err"; then
        fail "GET after the delete marker succeeded"
    fi
    assert_contains "$(cat "$WORK/get.err")" NoSuchKey "GET after delete"
    assert_eq "$(s3api list-object-versions --bucket "$BUCKET" | jq -r '.DeleteMarkers[0].IsLatest')" true "marker is latest"
    assert_eq "$(s3api list-objects-v2 --bucket "$BUCKET" --no-paginate | jq -r '.KeyCount')" 0 "listing hides the key"
    s3api delete-object --bucket "$BUCKET" --key doc --version-id "$marker"
    s3api get-object --bucket "$BUCKET" --key doc "$WORK/down/restored" >/dev/null
    assert_same_file "$WORK/up/v3" "$WORK/down/restored"
}

step_delete_a_version() {
    s3api delete-object --bucket "$BUCKET" --key doc --version-id "$(vid v3)"
    s3api get-object --bucket "$BUCKET" --key doc "$WORK/down/after" >/dev/null
    assert_same_file "$WORK/up/v2" "$WORK/down/after"
    if s3api get-object --bucket "$BUCKET" --key doc --version-id "$(vid v3)" "$WORK/down/gone" >/dev/null 2>"$WORK/gone.err"; then
        fail "a deleted version is still readable"
    fi
    assert_contains "$(cat "$WORK/gone.err")" NoSuchVersion "GET of a deleted version"
}

step_tag_a_version() {
    s3api put-object-tagging --bucket "$BUCKET" --key doc --version-id "$(vid v1)" --tagging 'TagSet=[{Key=stage,Value=draft}]'
    assert_eq "$(s3api get-object-tagging --bucket "$BUCKET" --key doc --version-id "$(vid v1)" | jq -r '.TagSet[0].Value')" draft "tag of v1"
    assert_eq "$(s3api get-object-tagging --bucket "$BUCKET" --key doc | jq -r '.TagSet | length')" 0 "tags of the latest"
}

step_suspend_and_null_versions() {
    s3api put-bucket-versioning --bucket "$BUCKET" --versioning-configuration Status=Suspended
    make_file "$WORK/up/n1" 1500
    make_file "$WORK/up/n2" 1600
    put n1
    assert_eq "$(vid n1)" null "version id while suspended"
    put n2
    assert_eq "$(vid n2)" null "version id of the overwrite"
    s3api get-object --bucket "$BUCKET" --key doc --version-id null "$WORK/down/null" >/dev/null
    assert_same_file "$WORK/up/n2" "$WORK/down/null"
    assert_eq "$(s3api list-object-versions --bucket "$BUCKET" | jq -r '[.Versions[].VersionId] | join(" ")')" "null $(vid v2) $(vid v1)" "one null version"
}

step_delete_objects_with_versions() {
    s3api delete-objects --bucket "$BUCKET" --delete "{\"Objects\":[{\"Key\":\"doc\",\"VersionId\":\"$(vid v2)\"}]}" >"$WORK/multi.json"
    assert_eq "$(jq -r '.Deleted[0].VersionId' "$WORK/multi.json")" "$(vid v2)" "deleted version"
    assert_eq "$(s3api list-object-versions --bucket "$BUCKET" | jq -r '[.Versions[].VersionId] | join(" ")')" "null $(vid v1)" "remaining versions"
}

step_bucket_not_empty_then_cleanup() {
    if s3api delete-bucket --bucket "$BUCKET" 2>"$WORK/rb.err"; then fail "a bucket with versions was deleted"; fi
    assert_contains "$(cat "$WORK/rb.err")" BucketNotEmpty "delete-bucket error"
    local v
    for v in $(s3api list-object-versions --bucket "$BUCKET" | jq -r '(.Versions // [])[], (.DeleteMarkers // [])[] | .VersionId'); do
        s3api delete-object --bucket "$BUCKET" --key doc --version-id "$v"
    done
    s3api delete-bucket --bucket "$BUCKET"
}

compat_init awscli-versioning
mkdir -p "$WORK/up" "$WORK/down"
start_server
check "create a bucket and enable versioning" step_enable
check "overwrite three times, list versions" step_overwrite_three_times
check "get an old version" step_get_old_version
check "delete to a marker, then restore" step_delete_marker_and_restore
check "delete one version for good" step_delete_a_version
check "tag one version" step_tag_a_version
check "suspend and write the null version twice" step_suspend_and_null_versions
check "delete-objects with a version id" step_delete_objects_with_versions
check "delete-bucket refused while versions remain, then emptied and deleted" step_bucket_not_empty_then_cleanup
compat_finish
