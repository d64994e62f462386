# Shared helpers for the compat scripts: each script sources this file, calls
# `compat_init NAME`, `start_server`, runs its workflow as a list of `check` steps and
# ends with `compat_finish`.
#
#   compat_init NAME     work dir, client environment, cleanup trap (stops the server)
#   start_server         a fresh `depot` on a free 127.0.0.1 port with its own data dir;
#                        sets ENDPOINT, PORT, ACCESS_KEY, SECRET_KEY (HTTPS when
#                        TLS_CERT, TLS_KEY and TLS_CA name PEM files: the server serves
#                        them, the health check trusts TLS_CA)
#   check "what" FN ARGS runs one step in a subshell with `set -e`; its output goes to a
#                        log shown only when it fails. The run continues with the next
#                        step; `compat_finish` exits non-zero if any step failed.
#   make_file, make_tree, md5_of, assert_*   data and assertions
#   server_log_mark, server_ops_since        which operations the server answered
#
# A new client workflow is one more compat/NAME.sh of that shape (rclone.sh is the
# shortest example); ./scripts/test.sh runs every compat/*.sh but this file.
#
# Environment: DEPOT_BIN (default target/release/depot), AWS_CLI (default /usr/bin/aws,
# the aws cli v2 the aws scripts and `s3api` use), DEPOT_COMPAT_KEEP=1 keeps the
# work dir, DEPOT_COMPAT_DATABASE_URL runs the server on that (empty) catalog database.

COMPAT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$COMPAT_DIR/.." && pwd)"
DEPOT_BIN="${DEPOT_BIN:-$REPO_DIR/target/release/depot}"
AWS_CLI="${AWS_CLI:-/usr/bin/aws}"

ACCESS_KEY="DPCOMPATROOTKEY00001"
SECRET_KEY="compat-root-secret-key-000000000000000000"
REGION="us-east-1"

COMPAT_NAME=""
WORK=""
SERVER_PID=""
PORT=""
ENDPOINT=""
STEPS_PASSED=0
STEPS_FAILED=0
FAILED_STEPS=()

# ---------------------------------------------------------------------------- set-up

compat_init() {
    COMPAT_NAME="$1"
    WORK="$(mktemp -d -t "depot-compat-$COMPAT_NAME.XXXXXX")"
    mkdir -p "$WORK/logs"
    trap compat_cleanup EXIT
    trap 'exit 130' INT TERM
    client_environment
    echo "== $COMPAT_NAME (work dir $WORK)"
}

# The clients talk only to the local test server: no CA bundles from the environment
# (rclone fails with LoadCustomCABundleError when AWS_CA_BUNDLE is set; https.sh passes
# its own CA explicitly), no proxies, no user configuration or credentials from the
# home directory.
client_environment() {
    unset AWS_CA_BUNDLE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
    export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3
    export AWS_CONFIG_FILE="$WORK/aws-config"
    export AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
    printf '[default]\nregion = %s\n' "$REGION" >"$AWS_CONFIG_FILE"
    : >"$AWS_SHARED_CREDENTIALS_FILE"
    export AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY"
    export AWS_DEFAULT_REGION="$REGION" AWS_REGION="$REGION"
    export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
}

compat_cleanup() {
    local rc=$?
    stop_server
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ "${DEPOT_COMPAT_KEEP:-}" == 1 ]]; then
            echo "   work dir kept: $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

# ---------------------------------------------------------------------------- server

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Starts a fresh server and waits for its health check. Retries on another port if the
# chosen one was taken in the meantime.
start_server() {
    if [[ ! -x "$DEPOT_BIN" ]]; then
        echo "no server binary at $DEPOT_BIN: run 'cargo build --release' first" >&2
        exit 1
    fi
    local attempt
    for attempt in 1 2 3; do
        PORT="$(free_port)"
        local scheme=http curl_tls=()
        if [[ -n "${TLS_CERT:-}" ]]; then
            scheme=https
            curl_tls=(--cacert "$TLS_CA")
        fi
        ENDPOINT="$scheme://127.0.0.1:$PORT"
        rm -rf "$WORK/data"
        (
            if [[ -n "${TLS_CERT:-}" ]]; then
                export DEPOT_TLS_CERT="$TLS_CERT" DEPOT_TLS_KEY="$TLS_KEY"
            fi
            export DEPOT_ADDR="127.0.0.1:$PORT" DEPOT_DATA_DIR="$WORK/data"
            export DEPOT_ROOT_ACCESS_KEY="$ACCESS_KEY" DEPOT_ROOT_SECRET_KEY="$SECRET_KEY"
            export DEPOT_LOG_LEVEL="${DEPOT_LOG_LEVEL:-info}" NO_COLOR=1
            if [[ -n "${DEPOT_COMPAT_DATABASE_URL:-}" ]]; then
                export DEPOT_DATABASE_URL="$DEPOT_COMPAT_DATABASE_URL"
            else
                unset DEPOT_DATABASE_URL
            fi
            exec "$DEPOT_BIN" serve
        ) >"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 1 100); do
            if curl -fsS "${curl_tls[@]}" -o /dev/null "$ENDPOINT/_depot/health" 2>/dev/null; then
                echo "   server pid $SERVER_PID on $ENDPOINT ($("$DEPOT_BIN" --version 2>/dev/null || echo depot))"
                return 0
            fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        echo "   server did not come up on port $PORT (attempt $attempt):" >&2
        tail -n 20 "$WORK/server.log" >&2 || true
        stop_server
    done
    exit 1
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# ---------------------------------------------------------------------------- steps

# check "description" FUNCTION [ARGS...]: runs one step of the workflow.
check() {
    local what="$1"
    shift
    local n=$((STEPS_PASSED + STEPS_FAILED + 1))
    local log
    log="$WORK/logs/$(printf '%02d' "$n").log"
    local server_lines rc
    server_lines=$(wc -l <"$WORK/server.log" 2>/dev/null || echo 0)
    local started=$SECONDS
    set +e
    (
        set -euo pipefail
        "$@"
    ) >"$log" 2>&1
    rc=$?
    set -e
    local took=$((SECONDS - started))
    if [[ $rc -eq 0 ]]; then
        STEPS_PASSED=$((STEPS_PASSED + 1))
        printf '   ok    %s (%ss)\n' "$what" "$took"
    else
        STEPS_FAILED=$((STEPS_FAILED + 1))
        FAILED_STEPS+=("$what")
        printf '   FAIL  %s (exit %s, %ss); its output:\n' "$what" "$rc" "$took"
        tail -n 40 "$log" | sed 's/^/         | /'
        echo "         server log during the step (last 15 lines):"
        server_log_since "$server_lines" | tail -n 15 | cut -c 1-400 | sed 's/^/         | /'
    fi
}

# The server log after its first FROM lines, without colours.
server_log_since() {
    tail -n +"$(($1 + 1))" "$WORK/server.log" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g'
}

# server_log_mark: the server log's current length, for server_ops_since.
server_log_mark() {
    wc -l <"$WORK/server.log"
}

# server_ops_since MARK OPERATION: how many OPERATION requests the server answered with
# a 2xx since MARK (to check that a client really used, say, multipart upload).
server_ops_since() {
    server_log_since "$1" | grep -c "operation=\"$2\" .*status=2[0-9][0-9]" || true
}

# Prints the summary and exits: non-zero if a step failed.
compat_finish() {
    echo "-- $COMPAT_NAME: $STEPS_PASSED passed, $STEPS_FAILED failed"
    local s
    for s in "${FAILED_STEPS[@]+"${FAILED_STEPS[@]}"}"; do
        echo "   failed: $s"
    done
    [[ $STEPS_FAILED -eq 0 ]]
}

# s3api ARGS...: `aws s3api` against the test server, JSON out.
s3api() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" --no-cli-pager --output json s3api "$@"
}

# ---------------------------------------------------------------------------- data

# make_file PATH SIZE: random bytes; SIZE as head -c takes it (1K, 100M, 12345).
make_file() {
    mkdir -p "$(dirname "$1")"
    head -c "$2" /dev/urandom >"$1"
}

# make_tree DIR COUNT: COUNT small files of varied sizes in nested folders.
make_tree() {
    local dir="$1" count="$2" i sub
    for ((i = 0; i < count; i++)); do
        sub="d$((i % 5))/e$((i % 3))"
        ((i % 7 == 0)) && sub="$sub/deep/er"
        ((i % 11 == 0)) && sub="."
        make_file "$dir/$sub/file-$i.bin" "$(((i * 977) % 20000 + 1))"
    done
}

md5_of() {
    md5sum <"$1" | cut -d' ' -f1
}

# A sorted "md5  relative/path" list of every file under DIR.
tree_manifest() {
    (cd "$1" && find . -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum)
}

# S3's ETag of a multipart object: md5 of the parts' binary md5s, then -<count>.
multipart_etag() {
    python3 - "$@" <<'PY'
import hashlib, sys
digests = b"".join(hashlib.md5(open(p, "rb").read()).digest() for p in sys.argv[1:])
print(f"{hashlib.md5(digests).hexdigest()}-{len(sys.argv) - 1}")
PY
}

# ---------------------------------------------------------------------------- asserts

fail() {
    echo "assertion failed: $*" >&2
    exit 1
}

assert_eq() {
    [[ "$1" == "$2" ]] || fail "${3:-values differ}: got '$1', expected '$2'"
}

assert_same_file() {
    [[ -f "$2" ]] || fail "$2 does not exist"
    local a b
    a=$(md5_of "$1")
    b=$(md5_of "$2")
    [[ "$a" == "$b" ]] || fail "content differs: $1 (md5 $a, $(stat -c %s "$1") bytes) vs $2 (md5 $b, $(stat -c %s "$2") bytes)"
    echo "same bytes: $1 = $2 (md5 $a)"
}

assert_same_tree() {
    local diff
    if ! diff="$(diff <(tree_manifest "$1") <(tree_manifest "$2"))"; then
        fail "trees differ: $1 vs $2"$'\n'"$(head -n 20 <<<"$diff")"
    fi
    echo "same tree: $1 = $2 ($(tree_manifest "$1" | wc -l) files)"
}

assert_contains() {
    grep -qF -- "$2" <<<"$1" || fail "${3:-output} does not contain '$2'"$'\n'"$(head -n 20 <<<"$1")"
}

assert_not_contains() {
    ! grep -qF -- "$2" <<<"$1" || fail "${3:-output} contains '$2'"$'\n'"$(grep -F -- "$2" <<<"$1" | head -n 10)"
}

# assert_fails CMD...: the command must exit non-zero.
assert_fails() {
    if "$@"; then
        fail "expected failure: $*"
    fi
    return 0
}

# Keys that servers get wrong: spaces, +, %, ?, #, ~, unicode, //, quotes, & and friends.
# shellcheck disable=SC2034 # used by the scripts that source this file
SPECIAL_KEYS=(
    "with space.txt"
    "plus+sign.txt"
    "percent%20literal.txt"
    "question?mark.txt"
    "hash#tag.txt"
    "tilde~file.txt"
    "unicodé/ünï/日本.txt"
    "double//slash.txt"
    "quote'and\"dq.txt"
    "semi;colon,comma=eq&amp@at.txt"
)
