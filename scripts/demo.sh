#!/usr/bin/env bash
# The README's first command runs this: a real scan of the sample image shipped in examples/, against a
# vulnerability DB built from the sample OSV data shipped beside it. No network, no ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${PORTCULLIS_DB:-.tmp/demo-db.sqlite}
mkdir -p "$(dirname "$db")"
node bin/portcullis.js db import examples/osv-alpine-v3.11.zip examples/osv-pypi-sample.zip --db "$db"
node bin/portcullis.js db status --db "$db"

# Two real images: Alpine 3.11.5 (every package already fixed in this secdb snapshot: baseline risks only) and
# the Debian 12 python3-requests/urllib3 packages, which real PyPI advisories affect (vulnerabilities found).
for image in examples/alpine-311.tar.gz examples/python-requests.tar.gz; do
  echo
  echo "== portcullis scan docker-archive:$image"
  set +e
  node bin/portcullis.js scan "docker-archive:$image" --db "$db" "$@"
  rc=$?
  set -e
  case $rc in
    0) echo "exit 0: the policy allows this image (or only warns)" ;;
    1) echo "exit 1: the default policy denies this image (see the reasons above)" ;;
    *) echo "exit $rc: the scan failed" >&2; exit "$rc" ;;
  esac
done
