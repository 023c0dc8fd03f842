#!/usr/bin/env bash
# ots send of a folder of FILES random files (TOTAL_MIB in all) as one ZIP
# archive, and ots get --extract of it, on loopback against a release
# server: time, throughput and peak RSS (/usr/bin/time -v); then the same
# bytes as one file, for comparison. Builds nothing: run
#   cargo build --release -p ots
#   cargo build --release -p onetimeshare --no-default-features
# first. Usage: cli/bench/many-files.sh [FILES] [TOTAL_MIB] [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
FILES="${1:-1000}"
TOTAL_MIB="${2:-1024}"
RUNS="${3:-3}"
WORK="$(mktemp -d -t ots-bench-XXXXXX)"
PORT="$(python3 "$ROOT/scripts/free-port.py")"
SERVER="http://127.0.0.1:$PORT"
cleanup() { [[ -n "${SRV_PID:-}" ]] && kill "$SRV_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Random (incompressible) files, so every entry is STORED after its sample;
# the spooled ciphertext goes to $WORK (TMPDIR), on disk.
mkdir -p "$WORK/src/tree" "$WORK/data" "$WORK/tmp"
each=$((TOTAL_MIB * 1024 * 1024 / FILES))
head -c $((TOTAL_MIB * 1024 * 1024)) /dev/urandom > "$WORK/one.bin"
python3 - "$WORK/one.bin" "$WORK/src/tree" "$FILES" "$each" <<'EOF'
import os, sys
src, dst, n, each = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(src, "rb") as f:
    for i in range(n):
        sub = os.path.join(dst, f"d{i % 10}")
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"f{i:05}.bin"), "wb") as out:
            out.write(f.read(each))
EOF
OTS_RATE_CREATE_PER_MIN=0 OTS_RATE_CLAIM_PER_MIN=0 RUST_LOG=warn \
  "$TARGET/onetimeshare" --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --site-root "$WORK/no-site" > "$WORK/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do curl -sf "$SERVER/healthz" >/dev/null && break; sleep 0.1; done

bytes=$((FILES * each))
measure() { # label, then the command; prints time, MB/s and peak RSS
  local label="$1"; shift
  TMPDIR="$WORK/tmp" /usr/bin/time -v "$@" 2> "$WORK/time.txt" || { cat "$WORK/time.txt" >&2; exit 1; }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  awk -v l="$label" -v b="$bytes" -v s="$secs" -v r="$rss" \
    'BEGIN { printf "%-13s %7.2f s  %7.1f MB/s  peak RSS %6.1f MiB\n", l, s, b/s/1e6, r/1024 }' >&2
}

for run in $(seq "$RUNS"); do
  measure "send files" "$TARGET/ots" send "$WORK/src/tree" --server "$SERVER" > "$WORK/links.txt"
  link="$(head -1 "$WORK/links.txt")"
  rm -rf "$WORK/out"
  measure "get --extract" "$TARGET/ots" get "$link" --extract "$WORK/out"
  diff -r "$WORK/src/tree" "$WORK/out/tree"
  measure "send one" "$TARGET/ots" send "$WORK/one.bin" --server "$SERVER" > "$WORK/links.txt"
  link="$(head -1 "$WORK/links.txt")"
  rm -f "$WORK/one.out"
  measure "get one" "$TARGET/ots" get "$link" -o "$WORK/one.out"
  cmp "$WORK/one.bin" "$WORK/one.out"
done
echo "$FILES files extracted identical (diff -r), the single file too (cmp)" >&2
