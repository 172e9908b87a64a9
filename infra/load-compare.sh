#!/usr/bin/env bash
# Compares builds of `oms serve` under the load generator, alternating them, and prints each
# run and the medians (docs/benchmarks.md, "Local server throughput").
#
#   infra/load-compare.sh [--rounds N] [--seconds S] [--clients C] SPEC [SPEC...]
#
# A SPEC is a binary path, optionally followed by environment settings for it, as one word:
#   infra/load-compare.sh --rounds 5 /tmp/oms-before target/release/oms
#   infra/load-compare.sh "target/release/oms TOKIO_WORKER_THREADS=1" target/release/oms
#
# Why alternate and take medians: on a shared 2-core machine consecutive runs of one binary
# differ by up to a quarter; builds compared in the same minutes, many times, show what a
# single run cannot. Each run gets a fresh data dir and a fresh server on a free port.
# Needs the generator's release build: cargo build --release -p oms-e2e --example load
set -euo pipefail

rounds=5 seconds=10 clients=8 warmup=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { sed -n 2,14p "$0" >&2; exit 2; }
specs=("$@")

root=$(cd "$(dirname "$0")/.." && pwd)
load=${LOAD:-$root/target/release/examples/load}
[[ -x $load ]] || { echo "no $load: cargo build --release -p oms-e2e --example load" >&2; exit 1; }
work=$(mktemp -d /tmp/oms-compare-XXXXXX)
server=
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One run: writes "flows/s cpu_ms_per_flow cpu_ms_with_drain p50_ms failed_flows peak_rss_mb"
# to $work/line. Not called in a command substitution: a subshell's `server` would be invisible to
# the EXIT trap, and an interrupted comparison would leave its server running.
run_one() {
  local bin=$1; shift
  local dir=$work/run port
  rm -rf "$dir"; mkdir -p "$dir"
  port=$(free_port)
  env "$@" "$bin" serve --demo --data-dir "$dir" --addr "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.1
  done
  "$load" --url "http://127.0.0.1:$port" --pid "$server" --data-dir "$dir" --clients "$clients" \
    --seconds "$seconds" --warmup "$warmup" >"$dir/load.out" 2>&1 || true
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; server=
  local out=$dir/load.out
  local flows cpu drain p50 failed rss
  flows=$(grep -oP '^flows: .*-> \K[0-9.]+' "$out" || echo "?")
  failed=$(grep -oP '^flows: [0-9]+ ok, \K[0-9]+' "$out" || echo "?")
  cpu=$(grep -oP '^server: \K[0-9.]+' "$out" || echo "?")
  drain=$(grep -oP 'with them: \K[0-9.]+' "$out" || echo "$cpu")
  p50=$(awk '/^all mutations/ {print $4}' "$out")
  rss=$(grep -oP 'peak RSS \K[0-9.]+' "$out" || echo "?")
  echo "$flows $cpu $drain ${p50:-?} $failed $rss" >"$work/line"
}

results=$work/results
: >"$results"
printf '%-5s %-4s %9s %10s %12s %8s %7s %8s  %s\n' round spec 'flows/s' 'CPU/flow' 'w/ drain' 'p50 ms' failed 'RSS MB' build
for r in $(seq 1 "$rounds"); do
  for i in "${!specs[@]}"; do
    read -r -a parts <<<"${specs[$i]}"
    run_one "${parts[@]:0:1}" "${parts[@]:1}"
    line=$(<"$work/line")
    echo "$i $line" >>"$results"
    read -r f c d p x m <<<"$line"
    printf '%-5s %-4s %9s %10s %12s %8s %7s %8s  %s\n' "$r" "$i" "$f" "$c" "$d" "$p" "$x" "$m" "${specs[$i]}"
  done
done

# The middle run; of an even number, the lower of the two middle ones.
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "?"}'; }
echo
echo "medians over $rounds rounds ($clients clients, $seconds s each after $warmup s warm-up):"
for i in "${!specs[@]}"; do
  col() { awk -v k="$i" -v c="$1" '$1==k {print $c}' "$results" | median; }
  printf '  %s: %s flows/s, %s ms CPU per flow (%s with the drain), p50 %s ms  [%s]\n' \
    "$i" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "${specs[$i]}"
done
