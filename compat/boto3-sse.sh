#!/usr/bin/env bash
# Server-side encryption through boto3 (latest release, default settings) against a fresh
# Depot server: starts the server (over plain HTTP, so with DEPOT_ALLOW_INSECURE_SSE_C)
# and runs compat/boto3_sse.py, which holds the workflow.
#
# The interpreter is COMPAT_PYTHON (default target/compat-venv/bin/python, which
# ./scripts/test.sh creates with boto3[crt] installed; plain boto3 is enough here).
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

COMPAT_PYTHON="${COMPAT_PYTHON:-$REPO_DIR/target/compat-venv/bin/python}"
if ! "$COMPAT_PYTHON" -c 'import boto3' 2>/dev/null; then
    echo "no Python with boto3 at $COMPAT_PYTHON: run './scripts/test.sh --only setup' first" >&2
    exit 1
fi

compat_init boto3-sse
export DEPOT_ALLOW_INSECURE_SSE_C=true
start_server
rc=0
DEPOT_COMPAT_ENDPOINT="$ENDPOINT" DEPOT_COMPAT_WORK="$WORK" "$COMPAT_PYTHON" "$COMPAT_DIR/boto3_sse.py" || rc=$?
if [[ $rc -ne 0 ]]; then
    echo "   server log (last 20 lines):"
    tail -n 20 "$WORK/server.log" | sed 's/^/         | /'
fi
exit "$rc"
