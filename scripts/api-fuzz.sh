#!/usr/bin/env bash
# Fuzzes the REST API from its own description: installs schemathesis (into
# a venv under the tools cache) if missing, starts a release `onetimeshare`
# on a free port with an empty data dir, runs every operation of
# /api/v1/openapi.json with all checks, a fixed seed and a bounded number of
# examples, then stops the server. Fails on any 5xx, any answer that breaks
# the description, or a crash.
#
#   scripts/api-fuzz.sh            # seed 20261130, 40 examples per operation
#   OTS_FUZZ_SEED=7 OTS_FUZZ_EXAMPLES=100 scripts/api-fuzz.sh
source "$(dirname "$0")/common.sh"
cd "$ROOT"

SCHEMATHESIS_VERSION="4.32.5"
VENV="$TOOLS_DIR/venv"
SEED="${OTS_FUZZ_SEED:-20261130}"
EXAMPLES="${OTS_FUZZ_EXAMPLES:-40}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  log "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

# scripts/test.sh passes the release server its Playwright run just built.
SERVER_BIN="${OTS_FUZZ_SERVER_BIN:-}"
if [ -z "$SERVER_BIN" ]; then
  log "release build of the server"
  cargo build --locked --release -p onetimeshare --bin onetimeshare
  SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/onetimeshare"
fi

PORT="$(python3 "$ROOT/scripts/free-port.py")"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Rate limits off: the fuzzer sends far more than a person would, and a 429
# would hide the answers it is looking at. A quota of its own (16 GiB): the
# default (keep 10% of the disk free) would depend on the host's free space.
"$SERVER_BIN" \
  --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --site-root "$WORK/site" \
  --rate-create-per-min 0 --rate-claim-per-min 0 --max-stored-bytes 17179869184 \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
python3 - "$PORT" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
PY

log "schemathesis: every operation, all checks, seed $SEED, $EXAMPLES examples each"
# One worker: with two, its generator calls ast.parse on two threads at once,
# which Python 3.11 can fail with a spurious "AST constructor recursion depth
# mismatch" (CPython gh-106905), a crash of the tool rather than a finding.
start=$(date +%s)
status=0
"$VENV/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" \
  run "$BASE/api/v1/openapi.json" \
  --checks all \
  --seed "$SEED" \
  --max-examples "$EXAMPLES" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --max-time 140 \
  --report ndjson --report-ndjson-path "$WORK/events.ndjson" \
  --no-color || status=$?
requests=$(grep -o '"status_code": *[0-9]*' "$WORK/events.ndjson" 2>/dev/null | wc -l || true)
log "schemathesis sent $requests requests in $(( $(date +%s) - start )) s (exit $status)"
if grep -q 'panicked' "$WORK/server.log"; then
  log "the server panicked:"; grep -A5 panicked "$WORK/server.log" >&2; exit 1
fi
exit "$status"
