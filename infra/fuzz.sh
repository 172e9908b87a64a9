#!/usr/bin/env bash
# Schemathesis against the real `oms serve --demo` (issue 13 §4; docs/development.md "Fuzzing"):
#   1. installs the pinned Schemathesis (infra/requirements-fuzz.txt) into .venv-fuzz (git-ignored;
#      only when the pins changed since the last install),
#   2. builds oms (debug) and starts `oms serve --demo` on a free loopback port with a temporary
#      data dir, reading the demo's customer and vendor tokens from its banner,
#   3. runs `st run` against /graphql once per token for FUZZ_SECONDS (default 60) each, with the
#      check of infra/fuzz_checks.py (no 5xx, a well-formed GraphQL JSON response, every error
#      typed, none INTERNAL),
#   4. fails if the server logged a panic or is no longer serving (GET /healthz) at the end,
#   5. stops the server and removes the data dir (kept, with the logs, on failure).
# Exits non-zero on any failure. Reproduce one: FUZZ_SEED=<seed printed> infra/fuzz.sh, or the
# curl command schemathesis prints against `cargo run -p oms -- serve --demo`.
#
#   infra/fuzz.sh install   only install the pinned Schemathesis
#   FUZZ_SECONDS=30 FUZZ_SEED=1 infra/fuzz.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-fuzz"
REQ="$ROOT/infra/requirements-fuzz.txt"
STAMP="$VENV/.requirements-fuzz.stamp"
SECONDS_PER_TOKEN=${FUZZ_SECONDS:-60}

install() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating $VENV" >&2
        python3 -m venv "$VENV"
    fi
    if [ -x "$VENV/bin/st" ] && [ -f "$STAMP" ] && cmp -s "$REQ" "$STAMP"; then
        return 0
    fi
    echo "installing $(grep -i '^schemathesis==' "$REQ") into $VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
    cp "$REQ" "$STAMP"
}

install
if [ "${1:-}" = install ]; then
    exit 0
fi

cd "$ROOT"
cargo build -q -p oms
# cargo's target directory: CARGO_TARGET_DIR when set (relative to the root, as cargo reads it).
target_dir=${CARGO_TARGET_DIR:-target}
case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
OMS_BIN="$target_dir/debug/oms"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oms-fuzz.XXXXXX")
SERVER_PID=
ok=0
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$ok" = 1 ]; then
        rm -rf "$WORK"
    else
        echo "fuzz: FAILED; server log and reports kept in $WORK" >&2
    fi
}
trap cleanup EXIT

# Port 0: the kernel picks a free port, the banner names it.
"$OMS_BIN" serve --demo --addr 127.0.0.1:0 --data-dir "$WORK/data" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!

CUSTOMER_TOKEN= VENDOR_TOKEN= OMS=
for _ in $(seq 1 300); do
    if grep -q '^export OMS=' "$WORK/server.out" 2>/dev/null; then
        CUSTOMER_TOKEN=$(sed -n 's/^export CUSTOMER_TOKEN=//p' "$WORK/server.out")
        VENDOR_TOKEN=$(sed -n 's/^export VENDOR_TOKEN=//p' "$WORK/server.out")
        OMS=$(sed -n 's/^export OMS=//p' "$WORK/server.out")
        break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$OMS" ] || [ -z "$CUSTOMER_TOKEN" ] || [ -z "$VENDOR_TOKEN" ]; then
    echo "fuzz: oms serve --demo printed no tokens" >&2
    cat "$WORK/server.out" "$WORK/server.log" >&2
    exit 1
fi
BASE=${OMS%/graphql}
echo "fuzz: oms serve --demo on $BASE (pid $SERVER_PID), ${SECONDS_PER_TOKEN}s per token" >&2

export SCHEMATHESIS_HOOKS=fuzz_checks
export PYTHONPATH="$ROOT/infra${PYTHONPATH:+:$PYTHONPATH}"
rc=0
# st keeps its cache (.schemathesis/) in the working directory: keep it out of the tree.
cd "$WORK"
for who in customer vendor; do
    if [ "$who" = customer ]; then token=$CUSTOMER_TOKEN; else token=$VENDOR_TOKEN; fi
    seed_args=()
    if [ -n "${FUZZ_SEED:-}" ]; then seed_args=(--seed "$FUZZ_SEED"); fi
    echo "+ st run $OMS as the demo $who (${SECONDS_PER_TOKEN}s)" >&2
    # The built-in not_a_server_error also fails on every typed top-level GraphQL error (ST113),
    # which our API answers on purpose; oms_graphql_response checks 5xx and INTERNAL instead.
    "$VENV/bin/st" run "$OMS" \
        -H "Authorization: Bearer $token" \
        --checks oms_graphql_response \
        --exclude-checks not_a_server_error \
        --max-time "$SECONDS_PER_TOKEN" \
        --request-timeout 10 \
        --workers 2 \
        --no-color \
        --report junit --report-dir "$WORK/report-$who" \
        "${seed_args[@]}" || rc=1
done

if grep -n 'panicked' "$WORK/server.log" "$WORK/server.out" >&2; then
    echo "fuzz: the server panicked (log above)" >&2
    rc=1
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "fuzz: the server is no longer running" >&2
    rc=1
elif ! "$VENV/bin/python" - "$BASE/healthz" <<'PY' >/dev/null 2>&1; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5).read()
PY
    echo "fuzz: the server no longer answers GET /healthz" >&2
    rc=1
fi

if [ "$rc" = 0 ]; then
    ok=1
    echo "fuzz: passed (customer and vendor, ${SECONDS_PER_TOKEN}s each; no 5xx, no panic)" >&2
fi
exit "$rc"
