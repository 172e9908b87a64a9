#!/usr/bin/env bash
# Local moto server (DynamoDB, DynamoDB Streams, SQS on one port) for integration tests.
#
#   infra/moto.sh start    create .venv-aws if missing, install the pinned moto, start the server
#                          in the background, wait until healthy, print the client environment
#   infra/moto.sh stop     stop the server started by `start`
#   infra/moto.sh status   exit 0 if it is running and healthy, 3 otherwise
#   infra/moto.sh install  create .venv-aws if missing and install the pinned moto, nothing else
#
# Typical use: eval "$(infra/moto.sh start)" && cargo test -p oms-store
# (only the export line goes to stdout; progress goes to stderr).
#
# MOTO_PORT (default 5005) selects the port. `start` is idempotent. The venv, pid file and log live
# in .venv-aws/ at the repository root (git-ignored). Never uses a globally installed moto.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-aws"
REQ="$ROOT/infra/requirements-moto.txt"
PORT=${MOTO_PORT:-5005}
PID_FILE="$VENV/moto-$PORT.pid"
LOG_FILE="$VENV/moto-$PORT.log"
STAMP="$VENV/.requirements-moto.stamp"
URL="http://127.0.0.1:$PORT"

healthy() {
    "$VENV/bin/python" - "$URL/moto-api/" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=1).read()
PY
}

running_pid() {
    [ -f "$PID_FILE" ] || return 1
    local pid
    pid=$(cat "$PID_FILE")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

install() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating $VENV" >&2
        python3 -m venv "$VENV"
    fi
    # Reinstall only when the pins changed (or were never installed).
    if [ ! -x "$VENV/bin/moto_server" ] || ! cmp -s "$REQ" "$STAMP"; then
        echo "installing $(grep -v '^#' "$REQ" | tr '\n' ' ')" >&2
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
        cp "$REQ" "$STAMP"
    fi
}

print_env() {
    echo "export AWS_ENDPOINT_URL=$URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
}

start() {
    install
    if pid=$(running_pid); then
        if healthy; then
            echo "moto already running (pid $pid) on $URL" >&2
            print_env
            return 0
        fi
    elif healthy; then
        echo "port $PORT already serves /moto-api/ but not from this script; stop it or set MOTO_PORT" >&2
        return 1
    fi
    rm -f "$PID_FILE"
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    for _ in $(seq 100); do
        if healthy; then
            echo "moto started (pid $(cat "$PID_FILE")) on $URL, log $LOG_FILE" >&2
            print_env
            return 0
        fi
        if ! running_pid >/dev/null; then break; fi
        sleep 0.2
    done
    echo "moto did not become healthy on $URL; log follows" >&2
    cat "$LOG_FILE" >&2 || true
    stop || true
    return 1
}

stop() {
    local pid
    if ! pid=$(running_pid); then
        rm -f "$PID_FILE"
        echo "moto not running (port $PORT)" >&2
        return 0
    fi
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$PID_FILE"
    echo "moto stopped (pid $pid)" >&2
}

status() {
    local pid
    if pid=$(running_pid) && healthy; then
        echo "moto running (pid $pid) on $URL"
        return 0
    fi
    echo "moto not running on $URL"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    install) install ;;
    *)
        echo "usage: $0 start|stop|status|install" >&2
        exit 2
        ;;
esac
