#!/usr/bin/env bash
# A throw-away Kafka-protocol broker (tansu, in-memory storage) on 127.0.0.1, for the
# tests that need Kafka. ./scripts/test.sh installs tansu; this only runs it.
#
#   scripts/kafka-broker.sh start PORT    start in the background, wait until the port
#                                         answers (no-op if this script's broker runs)
#   scripts/kafka-broker.sh stop PORT     stop it and remove its pid file
#   scripts/kafka-broker.sh status PORT   exit 0 if it runs
#
# The pid file and log live in target/kafka/ (KAFKA_RUN_DIR overrides). Topics are not
# auto-created: create them with `tansu topic create NAME --broker tcp://127.0.0.1:PORT
# --partitions 3` or the Kafka admin API.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="${KAFKA_RUN_DIR:-$REPO_DIR/target/kafka}"
export PATH="$HOME/.cargo/bin:$PATH"

usage() {
    echo "usage: $0 start|stop|status PORT" >&2
    exit 2
}

[[ $# -eq 2 && "$2" =~ ^[0-9]+$ ]] || usage
ACTION="$1"
PORT="$2"
PID_FILE="$RUN_DIR/broker-$PORT.pid"
LOG_FILE="$RUN_DIR/broker-$PORT.log"

port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

running_pid() {
    local pid
    [[ -f "$PID_FILE" ]] || return 1
    pid=$(cat "$PID_FILE")
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
    if running_pid >/dev/null; then
        echo "broker already running on 127.0.0.1:$PORT (pid $(running_pid))"
        return 0
    fi
    command -v tansu >/dev/null || {
        echo "tansu is not installed: run ./scripts/test.sh --only setup" >&2
        exit 1
    }
    if port_answers; then
        echo "port $PORT is already taken by another process" >&2
        exit 1
    fi
    mkdir -p "$RUN_DIR"
    nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$PORT" \
        --storage-engine "memory://tansu/" \
        >"$LOG_FILE" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PID_FILE"
    for _ in $(seq 1 100); do
        if port_answers; then
            echo "broker running on 127.0.0.1:$PORT (pid $pid, log $LOG_FILE)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "broker exited before it listened; its log:" >&2
            tail -n 30 "$LOG_FILE" >&2
            rm -f "$PID_FILE"
            exit 1
        fi
        sleep 0.1
    done
    echo "broker did not answer on 127.0.0.1:$PORT within 10 s; stopping it" >&2
    stop
    exit 1
}

stop() {
    local pid
    if pid=$(running_pid); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        echo "broker on 127.0.0.1:$PORT stopped (pid $pid)"
    fi
    rm -f "$PID_FILE"
}

case "$ACTION" in
    start) start ;;
    stop) stop ;;
    status) running_pid >/dev/null ;;
    *) usage ;;
esac
