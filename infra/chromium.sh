#!/usr/bin/env bash
# Installs Debian's `chromium` package when it is missing (used by the GraphiQL browser test,
# shared/cli/tests/graphiql.rs). apt cannot pin beyond the distribution's version: the installed
# version is printed. Run as root (CI) or through sudo. Prints the browser's path on stdout.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    echo "installing Debian's chromium package" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
fi
echo "$(chromium --version 2>/dev/null || echo 'chromium: version unknown')" >&2
command -v chromium
