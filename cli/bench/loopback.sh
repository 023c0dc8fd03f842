#!/usr/bin/env bash
# ots send / ots get of a 1 GiB random file on loopback against a release
# server: throughput and peak RSS (/usr/bin/time -v). Builds nothing: run
#   cargo build --release -p ots
#   cargo build --release -p onetimeshare --no-default-features
# first. Usage: cli/bench/loopback.sh [SIZE_MIB] [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
SIZE_MIB="${1:-1024}"
RUNS="${2:-3}"
WORK="$(mktemp -d -t ots-bench-XXXXXX)"
PORT="$(python3 "$ROOT/scripts/free-port.py")"
SERVER="http://127.0.0.1:$PORT"
cleanup() { [[ -n "${SRV_PID:-}" ]] && kill "$SRV_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/in.bin"
mkdir "$WORK/data"
OTS_RATE_CREATE_PER_MIN=0 OTS_RATE_CLAIM_PER_MIN=0 RUST_LOG=warn \
  "$TARGET/onetimeshare" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --site-root "$WORK/no-site" > "$WORK/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do curl -sf "$SERVER/healthz" >/dev/null && break; sleep 0.1; done

bytes=$((SIZE_MIB * 1024 * 1024))
measure() { # label, then the command; prints MB/s and peak RSS
  local label="$1"; shift
  /usr/bin/time -v "$@" 2> "$WORK/time.txt"
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  awk -v l="$label" -v b="$bytes" -v s="$secs" -v r="$rss" \
    'BEGIN { printf "%-5s %7.2f s  %7.1f MB/s  %6.1f MiB/s  peak RSS %6.1f MiB\n", l, s, b/s/1e6, b/s/1048576, r/1024 }' >&2
}

for run in $(seq "$RUNS"); do
  measure send "$TARGET/ots" send "$WORK/in.bin" --server "$SERVER" > "$WORK/links.txt"
  link="$(head -1 "$WORK/links.txt")"
  rm -f "$WORK/out.bin"
  measure get "$TARGET/ots" get "$link" -o "$WORK/out.bin"
  cmp "$WORK/in.bin" "$WORK/out.bin"
  rm -f "$WORK/out.bin"
done
echo "round trips byte-identical (cmp)" >&2
