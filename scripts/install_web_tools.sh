#!/usr/bin/env bash
# Installs the Node packages the browser runs need (LiteRT.js, playwright-core),
# pinned by package.json and package-lock.json, into node_modules with `npm ci`.
# The browser is Debian's chromium (scripts/install_swiftshader.sh installs it);
# playwright-core drives it and downloads none of its own. Node >= 20 must be
# there already (Debian 12's nodejs is 18: take it from NodeSource or Debian 13).
set -euo pipefail
cd "$(dirname "$0")/.."
need_node() {
  echo "$1" >&2
  echo "      Install Node.js >= 20 with npm (e.g. https://github.com/nodesource/distributions)," >&2
  echo "      then run make again." >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  echo "note: the browser tests will skip." >&2
  exit 0
}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  need_node "error: the browser runs need node and npm, which are not installed."
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  need_node "error: the browser runs need Node.js >= 20; this is $(node --version)."
fi
echo "== npm ci (LiteRT.js, playwright-core; package-lock.json)"
npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
touch node_modules/.installed
