#!/usr/bin/env bash
# Builds every Lambda function of functions/ with the pinned cargo-lambda (release, x86_64,
# provided.al2023) and prints each bootstrap binary's size; it fails when any is over the 8 MB
# target (docs/deploy.md, "Binary size"; the figures go to docs/benchmarks.md).
#
#   infra/lambda-build.sh            # all functions
#   infra/lambda-build.sh webhooks   # some of them (binary names)
#
# Binaries land in target/lambda/<name>/bootstrap (what `sam build` packages). docs/deploy.md.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
infra/tools.sh install
eval "$(infra/tools.sh env)"

if [ $# -eq 0 ]; then
    set -- $(for d in functions/*/; do [ -f "$d/Cargo.toml" ] && basename "$d"; done)
fi
started=$(date +%s)
# Each function exactly as `sam build` builds it: `cargo lambda build --release --bin <bin>` in
# its own folder. So cargo resolves the features of that one function (building several at once,
# or from the repository root, would unify features across them, or with `oms`'s SQLite and
# GraphiQL), reads functions/.cargo/config.toml (the Lambda builds' size-optimised code
# generation), and leaves in target/ exactly what a later `sam build` reuses.
for name in "$@"; do
    echo "+ (cd functions/$name && cargo lambda build --release --bin $name)" >&2
    (cd "functions/$name" && cargo lambda build --release --bin "$name")
done
echo "built $# functions in $(( $(date +%s) - started )) s"

limit=$((8 * 1024 * 1024))
over=0
printf '%-20s %10s\n' function bytes
for name in "$@"; do
    bin="${CARGO_TARGET_DIR:-target}/lambda/$name/bootstrap"
    size=$(stat -c %s "$bin")
    flag=""
    if [ "$size" -gt "$limit" ]; then flag="  (over the 8 MB target)"; over=$((over + 1)); fi
    printf '%-20s %10d%s\n' "$name" "$size" "$flag"
done
if [ "$over" -gt 0 ]; then
    echo "lambda-build: $over function(s) over $limit bytes" >&2
    exit 1
fi
