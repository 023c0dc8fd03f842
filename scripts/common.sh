# Shared by the scripts: where tools live and how to put them on PATH.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${OTS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/onetimeshare-tools}"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$TOOLS_DIR/bin:$TOOLS_DIR/node_modules/.bin:$CARGO_BIN:$PATH"

CARGO_LEPTOS_VERSION="0.3.5"
BINARYEN_VERSION="132.0.0"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The wasm32 target of the browser bundle.
ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
}

# rustfmt and clippy, the style checks of `make test` (a minimal rustup
# profile has neither).
ensure_lint_tools() {
  local installed
  installed="$(rustup component list --installed)"
  for component in rustfmt clippy; do
    if ! grep -q "^$component-" <<<"$installed"; then
      log "rustup component add $component"
      rustup component add "$component"
    fi
  done
}

# Runs apt-get as root, or through sudo when there is one.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

# Installs the Debian packages that are not there yet.
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# The wasm-bindgen version pinned by Cargo.lock.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}
