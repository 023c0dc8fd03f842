#!/usr/bin/env bash
# Installs what is missing, builds the release site and serves it on the
# embedded store (./data) at http://127.0.0.1:3000 (override with OTS_LISTEN).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build-site.sh"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
log "serving; stop with Ctrl-C"
exec "$TARGET_DIR/release/onetimeshare" --site-root "$ROOT/target/site" "$@"
