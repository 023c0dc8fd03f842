#!/usr/bin/env bash
# Builds the release site and runs the Playwright suite against a freshly
# started `onetimeshare` on a free port with an empty data dir.
# Extra arguments go to `playwright test` (e.g. a spec file).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bash "$ROOT/scripts/build-site.sh"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# scripts/test.sh passes the `ots` its cli tests just built.
if [ -z "${E2E_OTS_BIN:-}" ]; then
  log "cargo build -p ots (the ots binary for the interop specs)"
  cargo build --locked -p ots
  E2E_OTS_BIN="$TARGET_DIR/debug/ots"
fi
if [ ! -x "$E2E_OTS_BIN" ]; then
  log "no ots binary at $E2E_OTS_BIN"
  exit 1
fi
export E2E_OTS_BIN
export E2E_SERVER_BIN="$TARGET_DIR/release/onetimeshare"
export E2E_SITE_ROOT="$ROOT/target/site"
export E2E_PORT="$(python3 "$ROOT/scripts/free-port.py")"
export OTS_DATA_DIR="$(mktemp -d -t ots-e2e-XXXXXX)"
trap 'rm -rf "$OTS_DATA_DIR"' EXIT

log "playwright against http://127.0.0.1:$E2E_PORT (data in $OTS_DATA_DIR)"
cd "$ROOT/end2end"
npx playwright test "$@"
