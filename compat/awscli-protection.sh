#!/usr/bin/env bash
# Data protection through `aws s3api` (aws cli v2, which sends Content-MD5 where AWS
# requires it): lifecycle rules (put, get, x-amz-expiration on put and head, a transition
# refused, delete); object lock (a bucket created with it, a default retention, a
# COMPLIANCE version that neither a delete nor a bypass removes, a legal hold, a
# GOVERNANCE version removed only with the bypass, delete-objects refused per key);
# server access logging (put, get, the line of a put delivered, turned off).
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"


# An ISO 8601 time DAYS days from now.
in_days() {
    date -u -d "+$1 days" +%Y-%m-%dT%H:%M:%SZ
}

step_lifecycle() {
    s3api create-bucket --bucket rules-compat >/dev/null
    assert_fails s3api get-bucket-lifecycle-configuration --bucket rules-compat
    cat >"$WORK/rules.json" <<'JSON'
{"Rules": [
  {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled", "Expiration": {"Days": 30}},
  {"ID": "history", "Filter": {"Prefix": ""}, "Status": "Enabled",
   "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}
]}
JSON
    s3api put-bucket-lifecycle-configuration --bucket rules-compat --lifecycle-configuration "file://$WORK/rules.json"
    local got
    got=$(s3api get-bucket-lifecycle-configuration --bucket rules-compat)
    assert_eq "$(jq -r '[.Rules[].ID] | join(",")' <<<"$got")" "logs,history" "rule ids"
    assert_eq "$(jq -r '.Rules[0].Expiration.Days' <<<"$got")" 30 "expiration days"
    make_file "$WORK/log.txt" 1K
    local put
    put=$(s3api put-object --bucket rules-compat --key logs/today.log --body "$WORK/log.txt")
    assert_contains "$(jq -r .Expiration <<<"$put")" 'rule-id="logs"' "Expiration of put-object"
    assert_contains "$(s3api head-object --bucket rules-compat --key logs/today.log | jq -r .Expiration)" 'rule-id="logs"' "Expiration of head-object"
    echo '{"Rules": [{"ID": "cold", "Filter": {}, "Status": "Enabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]}' >"$WORK/cold.json"
    local refused
    refused=$(s3api put-bucket-lifecycle-configuration --bucket rules-compat --lifecycle-configuration "file://$WORK/cold.json" 2>&1 || true)
    assert_contains "$refused" "InvalidStorageClass" "a transition"
    assert_eq "$(s3api get-bucket-lifecycle-configuration --bucket rules-compat | jq -r '.Rules | length')" 2 "rules after the refusal"
    s3api delete-bucket-lifecycle --bucket rules-compat
    assert_fails s3api get-bucket-lifecycle-configuration --bucket rules-compat
}

step_object_lock() {
    s3api create-bucket --bucket vault-compat --object-lock-enabled-for-bucket >/dev/null
    assert_eq "$(s3api get-bucket-versioning --bucket vault-compat | jq -r .Status)" Enabled "versioning of a lock bucket"
    s3api put-object-lock-configuration --bucket vault-compat \
        --object-lock-configuration '{"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}'
    assert_eq "$(s3api get-object-lock-configuration --bucket vault-compat | jq -r .ObjectLockConfiguration.Rule.DefaultRetention.Mode)" GOVERNANCE "default mode"

    make_file "$WORK/record.bin" 100K
    local v1
    v1=$(s3api put-object --bucket vault-compat --key record.bin --body "$WORK/record.bin" \
        --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$(in_days 30)" | jq -r .VersionId)
    assert_eq "$(s3api head-object --bucket vault-compat --key record.bin | jq -r .ObjectLockMode)" COMPLIANCE "ObjectLockMode"
    local refused
    refused=$(s3api delete-object --bucket vault-compat --key record.bin --version-id "$v1" --bypass-governance-retention 2>&1 || true)
    assert_contains "$refused" "AccessDenied" "deleting a COMPLIANCE version"
    refused=$(s3api delete-objects --bucket vault-compat --delete "{\"Objects\": [{\"Key\": \"record.bin\", \"VersionId\": \"$v1\"}]}")
    assert_eq "$(jq -r '.Errors[0].Code' <<<"$refused")" AccessDenied "delete-objects of a COMPLIANCE version"
    s3api put-object-legal-hold --bucket vault-compat --key record.bin --version-id "$v1" --legal-hold Status=ON
    assert_eq "$(s3api get-object-legal-hold --bucket vault-compat --key record.bin --version-id "$v1" | jq -r .LegalHold.Status)" ON "legal hold"
    s3api get-object --bucket vault-compat --key record.bin --version-id "$v1" "$WORK/record.down" >/dev/null
    assert_same_file "$WORK/record.bin" "$WORK/record.down"

    # The default retention (GOVERNANCE): refused without the bypass, removed with it.
    local v2
    v2=$(s3api put-object --bucket vault-compat --key draft.bin --body "$WORK/record.bin" | jq -r .VersionId)
    assert_eq "$(s3api get-object-retention --bucket vault-compat --key draft.bin | jq -r .Retention.Mode)" GOVERNANCE "default retention"
    refused=$(s3api delete-object --bucket vault-compat --key draft.bin --version-id "$v2" 2>&1 || true)
    assert_contains "$refused" "AccessDenied" "deleting a GOVERNANCE version without bypass"
    s3api delete-object --bucket vault-compat --key draft.bin --version-id "$v2" --bypass-governance-retention >/dev/null
    # The cli prints nothing for an answer with no fields.
    local left
    left=$(s3api list-object-versions --bucket vault-compat --prefix draft.bin)
    assert_eq "$(jq -r '(.Versions // []) | length' <<<"${left:-{\}}")" 0 "draft versions after the bypass"
}

step_logging() {
    s3api create-bucket --bucket logged-compat >/dev/null
    s3api create-bucket --bucket access-logs-compat >/dev/null
    s3api put-bucket-logging --bucket logged-compat \
        --bucket-logging-status '{"LoggingEnabled": {"TargetBucket": "access-logs-compat", "TargetPrefix": "logs/"}}'
    assert_eq "$(s3api get-bucket-logging --bucket logged-compat | jq -r .LoggingEnabled.TargetBucket)" access-logs-compat "target"
    make_file "$WORK/logged.txt" 2K
    s3api put-object --bucket logged-compat --key logged.txt --body "$WORK/logged.txt" >/dev/null
    local text="" key
    for _ in $(seq 1 100); do
        text=""
        for key in $(s3api list-objects-v2 --bucket access-logs-compat --prefix logs/ | jq -r '(.Contents // [])[].Key'); do
            s3api get-object --bucket access-logs-compat --key "$key" "$WORK/log.part" >/dev/null
            text+=$(cat "$WORK/log.part")
        done
        grep -q "REST.PUT.OBJECT logged.txt" <<<"$text" && break
        sleep 0.1
    done
    assert_contains "$text" "REST.PUT.OBJECT logged.txt" "the access log"
    s3api put-bucket-logging --bucket logged-compat --bucket-logging-status '{}'
    local status
    status=$(s3api get-bucket-logging --bucket logged-compat)
    assert_eq "$(jq -r '.LoggingEnabled // "off"' <<<"${status:-{\}}")" off "logging after turning it off"
}

compat_init awscli-protection
# Access log objects are delivered every second, so that the logging step sees them.
export DEPOT_ACCESS_LOG_FLUSH_SECS=1
start_server
check "lifecycle rules: put, get, Expiration, a transition refused, delete" step_lifecycle
check "object lock: COMPLIANCE, delete-objects, legal hold, default GOVERNANCE and its bypass" step_object_lock
check "server access logging: put, get, a delivered line, off" step_logging
compat_finish
