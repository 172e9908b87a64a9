#!/usr/bin/env bash
# The pinned deploy and lint toolchain (cargo-lambda + zig, SAM CLI, cfn-lint, and moto), installed
# into the project's own venv .venv-aws (git-ignored, shared with infra/moto.sh).
#
#   infra/tools.sh install   create .venv-aws if missing and install infra/requirements-dev.txt
#                            (only when the pins changed since the last install); progress on stderr
#   infra/tools.sh env       print the environment for the tools, for eval:
#                              eval "$(infra/tools.sh env)"   # puts .venv-aws/bin first on PATH
#   infra/tools.sh lint      install if needed, then `cfn-lint template.yaml` and
#                            `sam validate --lint --region us-east-1`; non-zero on any finding
#
# Always calls the venv's binaries by path: a globally installed cfn-lint, sam or moto (other
# versions) is never used, so a green run cannot hide a missing install step.
# See docs/deploy.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-aws"
REQ="$ROOT/infra/requirements-dev.txt"
MOTO_REQ="$ROOT/infra/requirements-moto.txt"
# tools.sh's own stamp; infra/moto.sh keeps .requirements-moto.stamp for requirements-moto.txt.
STAMP="$VENV/.requirements-dev.stamp"
MOTO_STAMP="$VENV/.requirements-moto.stamp"

# The pins in effect: requirements-dev.txt plus the requirements-moto.txt it includes with -r.
pins() {
    cat "$REQ" "$MOTO_REQ"
}

installed() {
    local tool
    for tool in cfn-lint sam cargo-lambda moto_server; do
        [ -x "$VENV/bin/$tool" ] || return 1
    done
    [ -f "$STAMP" ] && pins | cmp -s - "$STAMP"
}

install() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating $VENV" >&2
        python3 -m venv "$VENV"
    fi
    if installed; then
        echo "tools up to date in $VENV" >&2
        return 0
    fi
    echo "installing $(grep -hv -e '^#' -e '^-r' "$REQ" | tr '\n' ' ')(first run: about a minute)" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
    pins >"$STAMP"
    # requirements-dev.txt includes requirements-moto.txt, so moto's pins are installed too: record
    # that in moto.sh's stamp so `infra/moto.sh start` does not reinstall.
    cp "$MOTO_REQ" "$MOTO_STAMP"
    echo "installed: $("$VENV/bin/cfn-lint" --version), $("$VENV/bin/sam" --version), $("$VENV/bin/cargo-lambda" lambda --version 2>/dev/null || "$VENV/bin/cargo-lambda" --version)" >&2
}

print_env() {
    if ! installed; then
        echo "tools not installed (or pins changed): run infra/tools.sh install" >&2
    fi
    # $PATH stays literal: it is expanded by the caller's eval.
    echo "export PATH=\"$VENV/bin:\$PATH\" SAM_CLI_TELEMETRY=0"
}

lint() {
    install
    cd "$ROOT"
    export SAM_CLI_TELEMETRY=0
    # sam finds cfn-lint (a library) in its own venv; PATH only matters for tools it may spawn.
    export PATH="$VENV/bin:$PATH"
    local rc=0
    echo "+ cfn-lint template.yaml" >&2
    "$VENV/bin/cfn-lint" template.yaml || rc=1
    echo "+ sam validate --lint --region us-east-1" >&2
    "$VENV/bin/sam" validate --lint --region us-east-1 --template-file template.yaml || rc=1
    if [ "$rc" -ne 0 ]; then
        echo "lint failed" >&2
    fi
    return "$rc"
}

case "${1:-}" in
    install) install ;;
    env) print_env ;;
    lint) lint ;;
    *)
        echo "usage: $0 install|env|lint" >&2
        exit 2
        ;;
esac
