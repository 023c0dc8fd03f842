#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test:
# native cargo tests of crypto, server, cli, bench and app (with a real
# redis-server the tests start themselves),
# the crypto crate on wasm32 under node, and Playwright in chromium against
# a release build.
source "$(dirname "$0")/common.sh"
cd "$ROOT"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/test-deps.sh"

log "native tests: cargo test --locked"
cargo test --locked

log "app unit tests (server-side rendering build)"
cargo test --locked -p app --features ssr

log "wasm32 tests: ots-crypto under node (wasm-bindgen-test-runner)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p ots-crypto --target wasm32-unknown-unknown

log "browser tests: Playwright in /usr/bin/chromium"
bash "$ROOT/scripts/e2e.sh"

bash "$ROOT/scripts/api-fuzz.sh"
log "all test suites passed"
