#!/usr/bin/env bash
# Installs what building and serving needs; every step is skipped when its
# tool is already there at the right version.
source "$(dirname "$0")/common.sh"

ensure_wasm_target

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "cargo install cargo-leptos@$CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores)"
  cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked
fi

WB_VERSION="$(locked_wasm_bindgen_version)"
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  log "installing wasm-bindgen-cli $WB_VERSION (must equal Cargo.lock's wasm-bindgen)"
  if ! cargo install "wasm-bindgen-cli@$WB_VERSION" --locked; then
    # Some published lockfiles (0.2.130's) want a webpki-roots the index does
    # not have; build it from its own source with that one pin moved back.
    work="$(mktemp -d)"
    mkdir -p "$work/fetch/src"
    printf '[package]\nname = "fetch-wasm-bindgen-cli"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nwasm-bindgen-cli = "=%s"\n' \
      "$WB_VERSION" > "$work/fetch/Cargo.toml"
    touch "$work/fetch/src/lib.rs"
    (cd "$work/fetch" && cargo fetch -q)
    src="$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"wasm-bindgen-cli-$WB_VERSION" | head -n1)"
    cp -r "$src" "$work/cli"
    (cd "$work/cli" && cargo update -p webpki-roots --precise 1.0.10 && cargo install --path . --locked)
    rm -rf "$work"
  fi
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "npm install binaryen@$BINARYEN_VERSION (wasm-opt; never Debian's binaryen 108)"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi
log "tools ready: $(cargo leptos --version), $(wasm-bindgen --version), $(wasm-opt --version)"
