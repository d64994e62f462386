#!/usr/bin/env bash
# A whole aws cli v2 session on temporary credentials:
#   register + login (curl, JSON API) -> a login token (JWT);
#   `aws sts assume-role-with-web-identity` -> AccessKeyId, SecretAccessKey, SessionToken;
#   then with AWS_SESSION_TOKEN set: mb, cp up (1 KiB and 20 MiB, the latter multipart),
#   ls, cp down (md5-checked), fetch-owner, rm, rb. Also: the session key is refused
#   without its token, and a tampered login token buys nothing.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

BUCKET="sts-session"
USERNAME="sts-user"
PASSWORD="compat password 123"

aws() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager "$@"
}

json() {
    curl -sS --noproxy '*' -H 'content-type: application/json' "$@"
}

sts() {
    aws --output json sts assume-role-with-web-identity \
        --role-arn arn:aws:iam::000000000000:role/depot --role-session-name compat-session \
        --duration-seconds 900 --web-identity-token "$1"
}

step_account() {
    local status
    status=$(json -o "$WORK/register.json" -w '%{http_code}' -X POST "$ENDPOINT/_depot/auth/register" \
        -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}")
    assert_eq "$status" 201 "register status"
    jq -r .id "$WORK/register.json" >"$WORK/user-id"
    json -X POST "$ENDPOINT/_depot/auth/login" -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}" | jq -r .token >"$WORK/token"
    [[ -s "$WORK/token" && "$(cat "$WORK/token")" != null ]] || fail "login gave no token"
}

step_assume_role() {
    sts "$(cat "$WORK/token")" >"$WORK/sts.json"
    assert_eq "$(jq -r .SubjectFromWebIdentityToken "$WORK/sts.json")" "$(cat "$WORK/user-id")" "subject"
    [[ -n "$(jq -r .Credentials.Expiration "$WORK/sts.json")" ]] || fail "no expiration"
    [[ -n "$(jq -r .Credentials.SessionToken "$WORK/sts.json")" ]] || fail "no session token"
}

step_tampered_token() {
    local token tampered
    token=$(cat "$WORK/token")
    tampered="${token%?}$([[ "${token: -1}" == A ]] && echo B || echo A)"
    if sts "$tampered" >/dev/null 2>"$WORK/sts-bad.err"; then fail "a tampered token bought credentials"; fi
    assert_contains "$(cat "$WORK/sts-bad.err")" InvalidIdentityToken "tampered token error"
}

# Runs the rest with the temporary credentials only.
use_session() {
    export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    AWS_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId "$WORK/sts.json")
    AWS_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey "$WORK/sts.json")
    AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken "$WORK/sts.json")
}

step_session_objects() {
    use_session
    aws s3 mb "s3://$BUCKET"
    assert_contains "$(aws s3 ls)" "$BUCKET" "bucket list"
    make_file "$WORK/up/small.bin" 1K
    make_file "$WORK/up/large.bin" 20M
    local f
    for f in small.bin large.bin; do
        aws s3 cp "$WORK/up/$f" "s3://$BUCKET/dir/$f"
    done
    for f in small.bin large.bin; do
        aws s3 cp "s3://$BUCKET/dir/$f" "$WORK/down/$f"
        assert_same_file "$WORK/up/$f" "$WORK/down/$f"
    done
    local owner
    owner=$(aws s3api list-objects-v2 --bucket "$BUCKET" --fetch-owner --output json | jq -r '.Contents[0].Owner.ID')
    assert_eq "$owner" "$(cat "$WORK/user-id")" "object owner"
}

step_key_without_token() {
    use_session
    if env -u AWS_SESSION_TOKEN "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager s3 ls "s3://$BUCKET" >/dev/null 2>"$WORK/notoken.err"; then
        fail "the session key worked without its token"
    fi
    assert_contains "$(cat "$WORK/notoken.err")" InvalidToken "error without the token"
}

step_cleanup() {
    use_session
    aws s3 rm --recursive "s3://$BUCKET"
    aws s3 rb "s3://$BUCKET"
    assert_not_contains "$(aws s3 ls)" "$BUCKET" "bucket list after rb"
}

compat_init awscli-sts
start_server
check "register and log in" step_account
check "sts assume-role-with-web-identity" step_assume_role
check "a tampered login token is refused" step_tampered_token
check "mb, cp up and down (1 KiB, 20 MiB multipart), fetch-owner on temporary credentials" step_session_objects
check "the session key without its token is refused" step_key_without_token
check "rm --recursive and rb" step_cleanup
compat_finish
