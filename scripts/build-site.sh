#!/usr/bin/env bash
# Builds the release site into target/site: the server and the page's wasm
# bundle split into pieces (cargo-leptos), then the SIMD bundle of the
# sealing and opening workers (`worker/`), which a worker loads where the
# browser runs WebAssembly SIMD. Extra arguments go to `cargo leptos build`
# (e.g. `--lib-features bench`).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

log "cargo leptos build --release --split $*"
cargo leptos build --release --split "$@"

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
log "cargo build -p ots-worker (the workers' SIMD bundle)"
cargo build --locked -p ots-worker --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target web --no-typescript --out-dir "$ROOT/target/site/pkg" \
  --out-name crypt-simd "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/ots_worker.wasm"
# Optimized for speed (the bundle is small); SIMD on, since it is used.
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-mutable-globals --enable-reference-types \
  --enable-multivalue "$ROOT/target/site/pkg/crypt-simd_bg.wasm" \
  -o "$ROOT/target/site/pkg/crypt-simd_bg.wasm"

# The bundle's brotli twins (`pkg/*.br`, best quality), made once here so
# the server starts without compressing them (several CPU-seconds).
log "onetimeshare precompress-site"
OTS_SITE_ROOT="$ROOT/target/site" "$TARGET_DIR/release/onetimeshare" precompress-site
