#!/usr/bin/env bash
# A whole aws cli v2 session on temporary credentials:
#   register + login (curl, JSON API) -> a login token (JWT);
#   `aws sts assume-role-with-web-identity` -> AccessKeyId, SecretAccessKey, SessionToken;
#   then with AWS_SESSION_TOKEN set: mb, cp up (1 KiB and 20 MiB, the latter multipart),
#   ls, cp down (md5-checked), rm, rb. Also checks that the session key is refused
#   without its token, and that a tampered login token buys nothing.
#
# Self-contained: starts its own server on a free 127.0.0.1 port with a fresh data dir
# and always kills it on exit.
#
# Environment: DEPOT_BIN (default: target/release/depot, else target/debug/depot, built
# if missing), AWS_CLI (default /usr/bin/aws, Debian's aws cli v2 — a pip aws cli v1 may
# come first on PATH), DEPOT_COMPAT_KEEP=1 keeps the work dir.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AWS_CLI="${AWS_CLI:-/usr/bin/aws}"
if [[ -z "${DEPOT_BIN:-}" ]]; then
    if [[ -x "$REPO_DIR/target/release/depot" ]]; then
        DEPOT_BIN="$REPO_DIR/target/release/depot"
    else
        DEPOT_BIN="$REPO_DIR/target/debug/depot"
        [[ -x "$DEPOT_BIN" ]] || (cd "$REPO_DIR" && cargo build --bin depot)
    fi
fi
REGION="us-east-1"
BUCKET="sts-session"
USERNAME="sts-user"
PASSWORD="compat password 123"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/depot-compat-sts.XXXXXX")"
SERVER_PID=""

cleanup() {
    local rc=$?
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${DEPOT_COMPAT_KEEP:-}" == 1 ]]; then
        echo "work dir kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    if [[ $rc -eq 0 ]]; then echo "PASS awscli-sts"; else echo "FAIL awscli-sts (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Clients talk only to the local server: no CA bundles, proxies or home-dir settings.
unset AWS_CA_BUNDLE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_STS
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
printf '[default]\nregion = %s\n' "$REGION" >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
export AWS_DEFAULT_REGION="$REGION" AWS_REGION="$REGION" AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""

version=$("$AWS_CLI" --version 2>&1)
[[ "$version" == aws-cli/2.* ]] || fail "$AWS_CLI is not aws cli v2 ($version); install Debian's awscli or set AWS_CLI"
echo "client: $version"

# ------------------------------------------------------------------ the server
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
ENDPOINT="http://127.0.0.1:$PORT"
DEPOT_ADDR="127.0.0.1:$PORT" DEPOT_DATA_DIR="$WORK/data" DEPOT_LOG_LEVEL=warn \
    DEPOT_ROOT_ACCESS_KEY=DPCOMPATSTSROOT00001 DEPOT_ROOT_SECRET_KEY=compat-sts-root-secret-00000000000000000 \
    "$DEPOT_BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -sf "$ENDPOINT/_depot/health" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; fail "the server exited"; }
    sleep 0.1
done
curl -sf "$ENDPOINT/_depot/health" >/dev/null || fail "the server did not come up"
echo "server: $ENDPOINT"

# ------------------------------------------------------------------ account and token
json() { curl -sS --noproxy '*' -H 'content-type: application/json' "$@"; }
status=$(json -o "$WORK/register.json" -w '%{http_code}' -X POST "$ENDPOINT/_depot/auth/register" \
    -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}")
[[ "$status" == 201 ]] || fail "register answered $status: $(cat "$WORK/register.json")"
USER_ID=$(jq -r .id "$WORK/register.json")
TOKEN=$(json -X POST "$ENDPOINT/_depot/auth/login" -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}" | jq -r .token)
[[ -n "$TOKEN" && "$TOKEN" != null ]] || fail "login gave no token"
echo "ok   register + login ($USER_ID)"

# ------------------------------------------------------------------ STS
sts() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager --output json sts assume-role-with-web-identity \
        --role-arn arn:aws:iam::000000000000:role/depot --role-session-name compat-session \
        --duration-seconds 900 --web-identity-token "$1"
}
sts "$TOKEN" >"$WORK/sts.json" || fail "assume-role-with-web-identity failed"
ACCESS_KEY=$(jq -r .Credentials.AccessKeyId "$WORK/sts.json")
SECRET_KEY=$(jq -r .Credentials.SecretAccessKey "$WORK/sts.json")
SESSION_TOKEN=$(jq -r .Credentials.SessionToken "$WORK/sts.json")
[[ "$(jq -r .SubjectFromWebIdentityToken "$WORK/sts.json")" == "$USER_ID" ]] || fail "wrong subject: $(cat "$WORK/sts.json")"
[[ -n "$(jq -r .Credentials.Expiration "$WORK/sts.json")" ]] || fail "no expiration"
echo "ok   sts assume-role-with-web-identity ($ACCESS_KEY, expires $(jq -r .Credentials.Expiration "$WORK/sts.json"))"

TAMPERED="${TOKEN%?}$([[ "${TOKEN: -1}" == A ]] && echo B || echo A)"
if sts "$TAMPERED" >"$WORK/sts-bad.json" 2>"$WORK/sts-bad.err"; then fail "a tampered token bought credentials"; fi
grep -q InvalidIdentityToken "$WORK/sts-bad.err" || fail "tampered token: $(cat "$WORK/sts-bad.err")"
echo "ok   tampered token refused (InvalidIdentityToken)"

# ------------------------------------------------------------------ the session
export AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY" AWS_SESSION_TOKEN="$SESSION_TOKEN"
aws() { "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager "$@"; }

aws s3 mb "s3://$BUCKET" >/dev/null
aws s3 ls | grep -q "$BUCKET" || fail "the new bucket is not listed"
echo "ok   mb + ls"

mkdir -p "$WORK/up" "$WORK/down"
head -c 1024 /dev/urandom >"$WORK/up/small.bin"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$WORK/up/large.bin"
for f in small.bin large.bin; do
    aws s3 cp "$WORK/up/$f" "s3://$BUCKET/dir/$f" >/dev/null
done
listing=$(aws s3 ls "s3://$BUCKET/dir/")
for f in small.bin large.bin; do
    grep -q "$f" <<<"$listing" || fail "$f not listed: $listing"
    aws s3 cp "s3://$BUCKET/dir/$f" "$WORK/down/$f" >/dev/null
    up=$(md5sum <"$WORK/up/$f"); down=$(md5sum <"$WORK/down/$f")
    [[ "$up" == "$down" ]] || fail "$f differs after the round trip"
done
echo "ok   cp up/down, 1 KiB and 20 MiB (multipart), md5 equal"

owner=$(aws s3api list-objects-v2 --bucket "$BUCKET" --fetch-owner --output json | jq -r '.Contents[0].Owner.ID')
[[ "$owner" == "$USER_ID" ]] || fail "objects should belong to the user, not to '$owner'"
echo "ok   objects owned by the user"

# The session key alone is not enough.
if env -u AWS_SESSION_TOKEN "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager s3 ls "s3://$BUCKET" >/dev/null 2>"$WORK/notoken.err"; then
    fail "the session key worked without its token"
fi
grep -q InvalidToken "$WORK/notoken.err" || fail "without token: $(cat "$WORK/notoken.err")"
echo "ok   session key without its token refused (InvalidToken)"

aws s3 rm --recursive "s3://$BUCKET" >/dev/null
aws s3 rb "s3://$BUCKET" >/dev/null
if aws s3 ls | grep -q "$BUCKET"; then fail "the bucket is still listed"; fi
echo "ok   rm + rb"
