#!/usr/bin/env bash
# The one command that runs Depot's whole test suite, doing its own set-up.
#
#   ./scripts/test.sh                    everything: set-up, build, tests, browser, compat
#   ./scripts/test.sh --quick            everything but the compat scripts (browser tests run)
#   ./scripts/test.sh --only STAGE       one stage: setup, lint, build, sqlite, postgres,
#                                        browser, compat
#   ./scripts/test.sh --only compat rclone s3cmd   some compat scripts only
#   ./scripts/test.sh --only browser shell        some tests/browser/test_*.py files only
#
# Set-up installs what is missing and reuses what is there (fast on a second run):
#   PostgreSQL  answering on 127.0.0.1:5432 with trust auth for user postgres and a
#               `test` database: started, or installed with apt (Debian bookworm);
#               the sqlite3 CLI, rsync and pg_dump for the backup test
#   tansu       a Kafka-protocol broker, `cargo install`ed once (scripts/kafka-broker.sh
#               starts one for the tests that need it)
#   clients     aws cli v2, rclone, s3cmd, restic, kcat and docker-compose (to validate
#               docker-compose.yml) from apt; boto3 (latest, with awscrt)
#               in a virtualenv under target/compat-venv
#   browser     chromium and chromium-driver from apt; selenium and pytest in that same
#               virtualenv
# Then: `cargo fmt --check` and `cargo clippy --all-targets -- -D warnings` (the
# layer-order check runs with the unit tests), `cargo build --release` (the server the
# compat scripts and browser tests run), `cargo test` of the workspace against SQLite,
# the integration and fault tests again against PostgreSQL, the browser tests (pytest
# and Selenium driving headless Chromium through the web console of that release
# server, tests/browser), and every compat/*.sh script. Exits non-zero if anything
# failed.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"

PG_URL="postgres://postgres@127.0.0.1:5432/test"
AWS_CLI_V2="/usr/bin/aws"
VENV="$REPO_DIR/target/compat-venv"
export PATH="$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

RESULTS=()
FAILURES=0

if [[ -t 1 ]]; then
    log() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
    log() { printf '\n==> %s\n' "$*"; }
fi
die() {
    echo "test.sh: $*" >&2
    exit 1
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

APT_UPDATED=0
# apt_install PACKAGE...: installs with apt, updating the lists once per run first.
apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        as_root apt-get update -qq
        APT_UPDATED=1
    fi
    as_root apt-get install -y -qq --no-install-recommends "$@"
}

port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ------------------------------------------------------------------------- set-up

ensure_postgres() {
    log "PostgreSQL on 127.0.0.1:5432"
    local created_here=0
    if ! port_answers 5432; then
        if [[ -z "$(find /etc/postgresql -mindepth 1 -maxdepth 1 2>/dev/null)" ]]; then
            echo "installing PostgreSQL"
            apt_install postgresql postgresql-client
            created_here=1
        fi
        local version
        version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
        if [[ -z "$version" ]]; then
            # Installed, but the package created no cluster.
            version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
            as_root pg_createcluster "$version" main
            created_here=1
        fi
        echo "starting cluster $version/main"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        wait_for_postgres
        if [[ $created_here -eq 1 ]]; then
            configure_trust "$version"
        fi
    fi
    command -v psql >/dev/null || apt_install postgresql-client
    if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc 'select 1' >/dev/null 2>&1; then
        die "PostgreSQL answers on 127.0.0.1:5432 but user postgres cannot log in without a password (trust auth for 127.0.0.1 is expected)"
    fi
    if [[ "$(psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc "select 1 from pg_database where datname = 'test'")" != 1 ]]; then
        echo "creating database test"
        psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'create database test'
    fi
    echo "ok: $(psql "$PG_URL" -tAc 'show server_version')"
}

wait_for_postgres() {
    for _ in $(seq 1 60); do
        port_answers 5432 && return 0
        sleep 0.5
    done
    die "PostgreSQL did not start on 127.0.0.1:5432"
}

# Only for a cluster this script installed: local TCP logins without a password.
configure_trust() {
    local hba="/etc/postgresql/$1/main/pg_hba.conf"
    echo "configuring trust auth for 127.0.0.1 and ::1 in $hba"
    as_root sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$1" main reload
}

ensure_kafka() {
    log "tansu (Kafka-protocol broker)"
    if ! command -v tansu >/dev/null; then
        echo "installing tansu with cargo (a long build, once per machine)"
        cargo install tansu --locked --features dynostore,postgres
    fi
    echo "ok: $(command -v tansu)"
}

ensure_clients() {
    log "S3 clients"
    local missing=()
    [[ "$("$AWS_CLI_V2" --version 2>/dev/null)" == aws-cli/2.* ]] || missing+=(awscli)
    command -v rclone >/dev/null || missing+=(rclone)
    command -v s3cmd >/dev/null || missing+=(s3cmd)
    command -v restic >/dev/null || missing+=(restic)
    command -v kcat >/dev/null || missing+=(kcat)
    command -v curl >/dev/null || missing+=(curl ca-certificates)
    command -v jq >/dev/null || missing+=(jq)
    command -v python3 >/dev/null || missing+=(python3 python3-venv)
    # Validates docker-compose.yml (tests/api/compose.rs); needs no Docker engine.
    docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing+=(docker-compose)
    if [[ ${#missing[@]} -gt 0 ]]; then
        echo "installing: ${missing[*]}"
        apt_install "${missing[@]}"
    fi
    local version
    version=$("$AWS_CLI_V2" --version 2>&1)
    [[ "$version" == aws-cli/2.* ]] || die "$AWS_CLI_V2 is not aws cli v2: $version"
    echo "ok: $version"
    echo "ok: $(rclone version | head -n 1), $(s3cmd --version), $(restic version | cut -d' ' -f1-2), kcat $(kcat -V 2>&1 | grep -o 'Version [^ ]*' | head -n 1)"
    ensure_boto3
}

# boto3 in a virtualenv of the project (the system Python stays as it is). A fresh
# venv gets the latest release; an existing one is reused as it is.
ensure_boto3() {
    if ! "$VENV/bin/python" -c 'import boto3, awscrt' 2>/dev/null; then
        echo "creating $VENV with the latest boto3[crt]"
        rm -rf "$VENV"
        if ! python3 -m venv "$VENV" 2>/dev/null; then
            apt_install python3-venv
            rm -rf "$VENV"
            /usr/bin/python3 -m venv "$VENV"
        fi
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade 'boto3[crt]'
    fi
    echo "ok: $("$VENV/bin/python" -c 'import boto3, awscrt; print(f"boto3 {boto3.__version__}, awscrt {awscrt.__version__}")')"
}

# What the browser tests need: Debian's Chromium and chromedriver (Selenium is told to
# use them and never downloads a driver), and selenium and pytest in the virtualenv of
# ensure_boto3, which must come first (it recreates a venv that lacks boto3).
ensure_browser() {
    log "Chromium, chromedriver, selenium"
    if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
        echo "installing: chromium chromium-driver"
        apt_install chromium chromium-driver
    fi
    if ! "$VENV/bin/python" -c 'import selenium, pytest' 2>/dev/null; then
        echo "installing selenium and pytest into $VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade selenium pytest
    fi
    echo "ok: $(/usr/bin/chromium --version 2>/dev/null), $(/usr/bin/chromedriver --version | cut -d' ' -f1-2)"
    echo "ok: $("$VENV/bin/python" -c 'import selenium, pytest; print(f"selenium {selenium.__version__}, pytest {pytest.__version__}")')"
}

# The sqlite3 CLI and rsync, for the backup test (it backs up the SQLite catalog and
# copies the drives as the README says); pg_dump and pg_restore come with
# postgresql-client.
ensure_backup_tools() {
    local missing=()
    command -v sqlite3 >/dev/null || missing+=(sqlite3)
    command -v rsync >/dev/null || missing+=(rsync)
    [[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
}

setup() {
    ensure_postgres
    ensure_backup_tools
    ensure_kafka
    ensure_clients
    ensure_browser
}

# ------------------------------------------------------------------------- stages

# stage NAME COMMAND...: runs a stage, records its result and time, goes on on failure.
stage() {
    local name="$1"
    shift
    log "$name"
    local started=$SECONDS rc=0
    "$@" || rc=$?
    local took=$((SECONDS - started))
    if [[ $rc -eq 0 ]]; then
        RESULTS+=("$(printf 'ok    %-52s %4ss' "$name" "$took")")
    else
        RESULTS+=("$(printf 'FAIL  %-52s %4ss (exit %s)' "$name" "$took" "$rc")")
        FAILURES=$((FAILURES + 1))
    fi
    return 0
}

lint() {
    cargo fmt --all --check && cargo clippy --workspace --all-targets --quiet -- -D warnings
}

test_sqlite() {
    env -u DEPOT_TEST_DATABASE_URL cargo test --workspace
}

test_postgres() {
    DEPOT_TEST_DATABASE_URL="$PG_URL" cargo test --test api --test faults
}

# compat_scripts [NAME...]: the compat scripts to run, all by default.
compat_scripts() {
    if [[ $# -eq 0 ]]; then
        local script
        for script in "$REPO_DIR"/compat/*.sh; do
            [[ "$(basename "$script")" == lib.sh ]] || echo "$script"
        done
    else
        local name
        for name in "$@"; do
            [[ -f "$REPO_DIR/compat/${name%.sh}.sh" ]] || die "no compat script compat/${name%.sh}.sh"
            echo "$REPO_DIR/compat/${name%.sh}.sh"
        done
    fi
}

BUILD_OK=""
build_release() {
    BUILD_OK=0
    cargo build --release --bin depot || return
    BUILD_OK=1
}

run_compat() {
    if [[ "$BUILD_OK" != 1 ]]; then
        RESULTS+=("$(printf 'SKIP  %-52s (the release build failed)' "compat/*.sh")")
        FAILURES=$((FAILURES + 1))
        return 0
    fi
    local script
    for script in $(compat_scripts "$@"); do
        stage "compat/$(basename "$script")" env AWS_CLI="$AWS_CLI_V2" bash "$script"
    done
}

# run_browser [NAME...]: the browser tests against the release build, all of them or
# tests/browser/test_NAME.py only.
run_browser() {
    if [[ "$BUILD_OK" != 1 ]]; then
        RESULTS+=("$(printf 'SKIP  %-52s (the release build failed)' "browser tests")")
        FAILURES=$((FAILURES + 1))
        return 0
    fi
    local files=() name
    for name in "$@"; do
        name="${name%.py}"
        name="${name#test_}"
        [[ -f "$REPO_DIR/tests/browser/test_$name.py" ]] || die "no browser test file tests/browser/test_$name.py"
        files+=("tests/browser/test_$name.py")
    done
    [[ ${#files[@]} -gt 0 ]] || files=(tests/browser)
    stage "browser tests: pytest ${files[*]}" \
        env DEPOT_BIN="$REPO_DIR/target/release/depot" SE_OFFLINE=true \
        "$VENV/bin/python" -m pytest -q "${files[@]}"
}

summary() {
    log "summary"
    local line
    for line in "${RESULTS[@]}"; do
        echo "  $line"
    done
    local total=${#RESULTS[@]}
    echo "stages: $((total - FAILURES)) passed, $FAILURES failed"
    [[ $FAILURES -eq 0 ]]
}

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

main() {
    local only="" quick=0
    local names=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --quick) quick=1 ;;
            --only)
                [[ $# -ge 2 ]] || usage 2
                only="$2"
                shift
                ;;
            -h | --help) usage ;;
            -*) usage 2 ;;
            *) names+=("$1") ;;
        esac
        shift
    done

    case "$only" in
        "")
            setup
            stage "cargo fmt --check, cargo clippy -D warnings" lint
            stage "cargo build --release" build_release
            stage "cargo test --workspace (SQLite)" test_sqlite
            stage "cargo test --test api --test faults (PostgreSQL)" test_postgres
            run_browser
            [[ $quick -eq 1 ]] || run_compat "${names[@]+"${names[@]}"}"
            ;;
        setup) setup; return 0 ;;
        lint) stage "cargo fmt --check, cargo clippy -D warnings" lint ;;
        build) stage "cargo build --release" build_release ;;
        sqlite) ensure_backup_tools; stage "cargo test --workspace (SQLite)" test_sqlite ;;
        postgres) ensure_postgres; ensure_backup_tools; stage "cargo test --test api --test faults (PostgreSQL)" test_postgres ;;
        browser)
            ensure_boto3
            ensure_browser
            stage "cargo build --release" build_release
            run_browser "${names[@]+"${names[@]}"}"
            ;;
        compat)
            ensure_clients
            stage "cargo build --release" build_release
            run_compat "${names[@]+"${names[@]}"}"
            ;;
        *) usage 2 ;;
    esac
    summary
}

main "$@"
