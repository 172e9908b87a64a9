#!/usr/bin/env bash
# The whole test suite with the machine's clock shifted five years ahead (README "Test"): proves
# that no test depends on today's date (pinned dates compared with the wall clock, fixtures that
# expire, tokens or coupons valid "until" a fixed day).
#
#   infra/test-future.sh                 # +1826 days, every unit and integration test
#   OMS_FUTURE_SHIFT=+3650d infra/test-future.sh -p oms-persistence
#
# Uses libfaketime (Debian package `faketime`, installed here when missing, as root). Only the
# wall clock is shifted: FAKETIME_DONT_FAKE_MONOTONIC=1 keeps timers and timeouts real (a faked
# monotonic clock makes rustdoc and tokio timers hang). Doc tests are left out for that reason.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if ! command -v faketime >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing faketime (Debian package)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
    else
        echo "faketime is missing: install Debian's 'faketime' package (apt-get install faketime)" >&2
        exit 1
    fi
fi

SHIFT=${OMS_FUTURE_SHIFT:-+1826d}
if [ $# -eq 0 ]; then set -- --workspace --lib --tests; fi
# Download and build at today's date first (infra/test.sh without its test run): only the
# test run itself sees the shifted clock. Under a clock five years ahead every TLS certificate
# has expired, so a fresh clone's moto venv and Chromium could not be downloaded inside it.
OMS_TEST_PREPARE_ONLY=1 infra/test.sh "$@"
echo "running the tests with the clock shifted by $SHIFT (now: $(FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "$SHIFT" date -u +%F))" >&2
FAKETIME_DONT_FAKE_MONOTONIC=1 exec faketime -f "$SHIFT" infra/test.sh "$@"
