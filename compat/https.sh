#!/usr/bin/env bash
# The clients over HTTPS: a CA made here with openssl signs the server's certificate,
# Depot serves it (--tls-cert/--tls-key), and aws cli (--ca-bundle), boto3
# (verify=CA), rclone (--ca-cert) and s3cmd (ca_certs_file) each write, list and read
# back byte for byte. Plain HTTP on the TLS port gets no answer; a certificate from
# another CA is refused; a new certificate written over the files and announced with
# SIGHUP is served to the next connection.
set -euo pipefail
# shellcheck source=compat/lib.sh
source "$(dirname "$0")/lib.sh"

COMPAT_PYTHON="${COMPAT_PYTHON:-$REPO_DIR/target/compat-venv/bin/python}"
BUCKET="https-compat"

# make_ca DIR: a CA key and certificate in DIR, and a server certificate for 127.0.0.1
# and localhost signed by it.
make_ca() {
    local dir="$1"
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=Depot compat CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/ext.cnf"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
        -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
}

aws() {
    "$AWS_CLI" --endpoint-url "$ENDPOINT" --ca-bundle "$TLS_CA" --no-cli-pager "$@"
}

rclone() {
    command rclone --config "$WORK/rclone.conf" --ca-cert "$TLS_CA" --retries 1 --low-level-retries 1 "$@"
}

s3cmd() {
    command s3cmd -c "$WORK/s3cmd.conf" --no-progress "$@"
}

step_aws_cli() {
    make_file "$WORK/aws.bin" $((9 * 1024 * 1024))
    aws s3 mb "s3://$BUCKET"
    aws s3 cp "$WORK/aws.bin" "s3://$BUCKET/aws.bin"
    assert_contains "$(aws s3 ls "s3://$BUCKET/")" "aws.bin" "aws s3 ls"
    aws s3 cp "s3://$BUCKET/aws.bin" "$WORK/aws.down"
    assert_same_file "$WORK/aws.bin" "$WORK/aws.down"
}

step_boto3() {
    DEPOT_COMPAT_ENDPOINT="$ENDPOINT" CA="$TLS_CA" BUCKET="$BUCKET" "$COMPAT_PYTHON" - <<'PY'
import os, ssl, urllib.request
import boto3
from botocore.config import Config
s3 = boto3.client("s3", endpoint_url=os.environ["DEPOT_COMPAT_ENDPOINT"], verify=os.environ["CA"],
                  config=Config(s3={"addressing_style": "path"}))
bucket = os.environ["BUCKET"]
body = os.urandom(3 * 1024 * 1024)
s3.put_object(Bucket=bucket, Key="boto3.bin", Body=body)
assert s3.get_object(Bucket=bucket, Key="boto3.bin")["Body"].read() == body
keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
assert "boto3.bin" in keys, keys
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto3.bin"}, ExpiresIn=300)
assert url.startswith("https://"), url
context = ssl.create_default_context(cafile=os.environ["CA"])
assert urllib.request.urlopen(url, context=context).read() == body
print("boto3 over https: put, get, list, presigned GET")
PY
}

step_rclone() {
    : >"$WORK/rclone.conf"
    export RCLONE_CONFIG_DEPOT_TYPE=s3 RCLONE_CONFIG_DEPOT_PROVIDER=Other
    export RCLONE_CONFIG_DEPOT_ACCESS_KEY_ID="$ACCESS_KEY" RCLONE_CONFIG_DEPOT_SECRET_ACCESS_KEY="$SECRET_KEY"
    export RCLONE_CONFIG_DEPOT_ENDPOINT="$ENDPOINT" RCLONE_CONFIG_DEPOT_REGION="$REGION" RCLONE_CONFIG_DEPOT_FORCE_PATH_STYLE=true
    make_tree "$WORK/tree" 20
    rclone copy "$WORK/tree" "depot:$BUCKET/tree"
    rclone check "$WORK/tree" "depot:$BUCKET/tree"
}

step_s3cmd() {
    cat >"$WORK/s3cmd.conf" <<EOF
[default]
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
bucket_location = $REGION
use_https = True
check_ssl_certificate = True
ca_certs_file = $TLS_CA
signature_v2 = False
EOF
    make_file "$WORK/s3cmd.bin" $((2 * 1024 * 1024))
    s3cmd put "$WORK/s3cmd.bin" "s3://$BUCKET/s3cmd.bin"
    s3cmd get "s3://$BUCKET/s3cmd.bin" "$WORK/s3cmd.down"
    assert_same_file "$WORK/s3cmd.bin" "$WORK/s3cmd.down"
}

step_refusals() {
    assert_fails curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/_depot/health"
    make_ca "$WORK/other"
    assert_fails curl -fsS -o /dev/null --max-time 5 --cacert "$WORK/other/ca.crt" "$ENDPOINT/_depot/health"
    echo "plain HTTP and a foreign CA are refused"
}

step_reload() {
    make_ca "$WORK/next"
    cp "$WORK/next/server.key" "$TLS_KEY.new" && mv "$TLS_KEY.new" "$TLS_KEY"
    cp "$WORK/next/server.crt" "$TLS_CERT.new" && mv "$TLS_CERT.new" "$TLS_CERT"
    kill -HUP "$SERVER_PID"
    local i
    for i in $(seq 1 50); do
        if curl -fsS -o /dev/null --max-time 5 --cacert "$WORK/next/ca.crt" "$ENDPOINT/_depot/health"; then
            echo "the new certificate is served after $i tries"
            assert_fails curl -fsS -o /dev/null --max-time 5 --cacert "$TLS_CA" "$ENDPOINT/_depot/health"
            kill -0 "$SERVER_PID" || fail "the server stopped"
            return 0
        fi
        sleep 0.2
    done
    fail "the new certificate was not served after SIGHUP"
}

compat_init https
# Reloads on SIGHUP only, so that the reload step shows the signal works.
export DEPOT_TLS_RELOAD_POLL_SECS=0
make_ca "$WORK/tls"
TLS_CERT="$WORK/tls/server.crt" TLS_KEY="$WORK/tls/server.key" TLS_CA="$WORK/tls/ca.crt"
start_server
check "aws cli: mb, cp up (multipart) and down, ls" step_aws_cli
check "boto3 (verify=CA): put, get, list, presigned GET" step_boto3
check "rclone --ca-cert: copy and check a tree" step_rclone
check "s3cmd (ca_certs_file): put and get" step_s3cmd
check "plain HTTP and an untrusted CA are refused" step_refusals
check "a new certificate after SIGHUP" step_reload
compat_finish
