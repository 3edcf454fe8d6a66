#!/usr/bin/env bash
# Rebuilds examples/python-requests.tar.gz, the demo's second sample image: a `docker save`-format archive with
# one layer holding the files of two real Debian 12 packages, python3-requests 2.28.1+dfsg-1 and
# python3-urllib3 1.26.12-1+deb12u4 (their PKG-INFO says requests 2.28.1 and urllib3 1.26.12, which real
# PyPI advisories in examples/osv-pypi-sample.zip affect). Input: the two .deb files (from deb.debian.org, or
# the cache scripts/test-images.sh fills). Deterministic: fixed mtimes and owners, so the digests do not move.
set -euo pipefail
cd "$(dirname "$0")/.."
debs=$(realpath "${DEBS:-/tmp/portcullis-images/debcache}")
out=examples/python-requests.tar.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root"
for p in python3-requests_2.28.1+dfsg-1_all python3-urllib3_1.26.12-1+deb12u4_all; do
  (cd "$work" && ar x "$debs/$p.deb" data.tar.xz)
  tar -xJf "$work/data.tar.xz" -C "$work/root"
  rm "$work/data.tar.xz"
done
tar --sort=name --mtime='2023-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -C "$work/root" -cf "$work/layer.tar" .
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"2023-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["python3"]},"rootfs":{"type":"layers","diff_ids":["$diff_id"]},"history":[{"created":"2023-01-01T00:00:00Z","created_by":"COPY python3-requests python3-urllib3 (Debian 12 packages) /"}]}
JSON
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mkdir -p "$work/img/${diff_id#sha256:}"
mv "$work/layer.tar" "$work/img/${diff_id#sha256:}/layer.tar"
mv "$work/config.json" "$work/img/$config.json"
printf '[{"Config":"%s.json","RepoTags":["portcullis-example/python-requests:debian12"],"Layers":["%s/layer.tar"]}]\n' \
  "$config" "${diff_id#sha256:}" > "$work/img/manifest.json"
tar --sort=name --mtime='2023-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -C "$work/img" -cf - . | gzip -n -9 > "$out"
echo "wrote $out ($(du -h "$out" | cut -f1))"
