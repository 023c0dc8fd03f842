#!/usr/bin/env bash
# Installs what the tests need on top of scripts/setup.sh: a real redis-server,
# Debian's chromium (Playwright can never download its own browsers here) and
# the locked npm packages of end2end/, Python for the API fuzzer, moto_server for the S3 tests.
source "$(dirname "$0")/common.sh"

# python3-venv: the venv of schemathesis (scripts/api-fuzz.sh); python3: zipfile checks in the cli tests.
apt_install redis-server chromium python3 python3-venv
if [ ! -x "$ROOT/end2end/node_modules/.bin/playwright" ] \
   || ! cmp -s "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.package-lock.json.ci" ; then
  log "npm ci in end2end/"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  cp "$ROOT/end2end/package-lock.json" "$ROOT/end2end/node_modules/.package-lock.json.ci"
fi

# moto_server, the S3-compatible server the S3 blob tests start on a free port
# (server/tests/common/moto.rs looks for it here), in its own venv.
MOTO_VERSION="5.2.5"
MOTO_VENV="$TOOLS_DIR/moto"
if ! "$MOTO_VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null \
   || [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
  log "installing moto[server] $MOTO_VERSION into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION"
fi
