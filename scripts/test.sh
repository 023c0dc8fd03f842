#!/usr/bin/env bash
# The one test command. Cheap checks first, so that a slip of style fails in
# minutes, before any tool is installed:
#   rustfmt, then clippy with -D warnings over every feature set we ship
#   (native with `app` on ssr, the server without Redis, the page's bundle
#   and the workers' SIMD bundle on wasm32).
# Then it installs what the tests need and runs every test: the native cargo
# tests of every crate but the wasm-only frontend (with a real redis-server
# the tests start themselves), the crypto crate on wasm32 under node (with
# and without SIMD), and
# Playwright in chromium against a release build.
source "$(dirname "$0")/common.sh"
cd "$ROOT"

ensure_lint_tools
ensure_wasm_target

log "format: cargo fmt --all --check"
cargo fmt --all --check

# `--workspace` alone would build `app` with ssr (for the server) and hydrate
# (for the frontend) at once, which it refuses; the frontend is wasm-only.
log "lints: every native crate (app with ssr), all targets"
cargo clippy --locked --workspace --exclude frontend --all-targets -- -D warnings

log "lints: the server without the redis feature"
cargo clippy --locked -p onetimeshare --no-default-features -- -D warnings

log "lints: the browser bundle on wasm32 (frontend, app with hydrate, crypto, proto)"
cargo clippy --locked --target wasm32-unknown-unknown \
  -p frontend -p app -p ots-crypto -p ots-proto --features app/hydrate -- -D warnings

# On its own: with the page's bundle, `simd` would reach ots-crypto there too.
log "lints: the workers' SIMD bundle on wasm32 (ots-worker, ots-crypto with simd, its tests)"
cargo clippy --locked --target wasm32-unknown-unknown -p ots-worker -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p ots-crypto --features simd --tests -- -D warnings

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/test-deps.sh"

# One cargo run for every native crate: `app`'s unit tests get ssr from the
# server, and the dependencies are built once with one set of features.
log "native tests: cargo test --workspace --exclude frontend"
cargo test --locked --workspace --exclude frontend

log "wasm32 tests: ots-crypto under node (wasm-bindgen-test-runner)"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p ots-crypto --target wasm32-unknown-unknown
log "wasm32 tests: the SIMD ChaCha20 of ots-crypto under node"
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p ots-crypto --target wasm32-unknown-unknown --features simd --test simd

# The cli tests above just built `ots`; the interop specs use that binary
# instead of building it again with other features.
export E2E_OTS_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/ots"
log "browser tests: Playwright in /usr/bin/chromium"
bash "$ROOT/scripts/e2e.sh"

log "API fuzzing: schemathesis against a release server"
OTS_FUZZ_SERVER_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/onetimeshare" \
  bash "$ROOT/scripts/api-fuzz.sh"

log "all checks and test suites passed"
