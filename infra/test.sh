#!/usr/bin/env bash
# The one command that sets up and runs every test (README "Test"):
#   1. installs the pinned moto server into .venv-aws (first run only) and starts it on loopback,
#      and Debian's chromium package when missing (infra/chromium.sh: the GraphiQL browser test),
#   2. runs the whole workspace test suite (unit, property, conformance on the embedded store AND
#      on DynamoDB/SQS via moto, end-to-end over HTTP),
#   3. stops moto again.
# Integration tests FAIL (never skip) when the endpoint is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Headless Chromium for shared/cli/tests/graphiql.rs (which fails, never skips, without it).
OMS_CHROMIUM=$(infra/chromium.sh)
export OMS_CHROMIUM
# The pinned moto in .venv-aws (the server itself starts below, once the tests are built).
infra/moto.sh install

# Arguments go to cargo test (default: the whole workspace), e.g. `infra/test.sh -p oms-domain`.
if [ $# -eq 0 ]; then set -- --workspace; fi
# Build first, so the test run below is pure test time (cargo's arguments only: what follows
# `--` goes to the test binaries).
build=()
for arg in "$@"; do
    if [ "$arg" = "--" ]; then break; fi
    build+=("$arg")
done
cargo test "${build[@]}" --no-run --quiet
# OMS_TEST_PREPARE_ONLY=1: everything above (downloads, the build), no test run. Used by
# infra/test-future.sh, which must download and build at today's date.
if [ "${OMS_TEST_PREPARE_ONLY:-}" = 1 ]; then exit 0; fi

export MOTO_PORT=${MOTO_PORT:-5005}
started_here=0
if ! infra/moto.sh status >/dev/null 2>&1; then
    infra/moto.sh start >/dev/null
    started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then infra/moto.sh stop >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
cargo test "$@"
