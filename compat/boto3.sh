#!/usr/bin/env bash
# boto3 (latest release, default settings) against a fresh Depot server: starts the
# server and runs compat/boto3_compat.py, which holds the workflow (multipart
# upload_file/download_file, every ChecksumAlgorithm with ChecksumMode=ENABLED,
# paginators, special keys, presigned PUT/GET, copy_object and managed copy).
#
# The interpreter is COMPAT_PYTHON (default target/compat-venv/bin/python, which
# ./scripts/test.sh creates with boto3[crt] installed: CRC32C and CRC64NVME need awscrt).
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

COMPAT_PYTHON="${COMPAT_PYTHON:-$REPO_DIR/target/compat-venv/bin/python}"
if ! "$COMPAT_PYTHON" -c 'import boto3, awscrt' 2>/dev/null; then
    echo "no Python with boto3 and awscrt at $COMPAT_PYTHON: run './scripts/test.sh --only setup' first" >&2
    exit 1
fi

compat_init boto3
# Access log objects are delivered every second, so that the logging step sees them.
export DEPOT_ACCESS_LOG_FLUSH_SECS=1
start_server
rc=0
DEPOT_COMPAT_ENDPOINT="$ENDPOINT" DEPOT_COMPAT_WORK="$WORK" "$COMPAT_PYTHON" "$COMPAT_DIR/boto3_compat.py" || rc=$?
if [[ $rc -ne 0 ]]; then
    echo "   server log (last 20 lines):"
    tail -n 20 "$WORK/server.log" | sed 's/^/         | /'
fi
exit "$rc"
