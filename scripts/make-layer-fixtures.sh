#!/usr/bin/env bash
# Regenerates test/fixtures/layers: two tiny real layers (tar, tar+gzip, tar+zstd) with a whiteout and an
# opaque directory, made with GNU tar, gzip and zstd. Run from the repository root.
set -euo pipefail
out=test/fixtures/layers; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/l1/etc" "$tmp/l1/var/log/apt" "$tmp/l1/usr/bin" "$tmp/l2/etc" "$tmp/l2/var/log"
echo 'welcome' > "$tmp/l1/etc/motd"; echo 'ID=debian' > "$tmp/l1/etc/os-release"
echo 'log' > "$tmp/l1/var/log/apt/history.log"; echo 'dpkg log' > "$tmp/l1/var/log/dpkg.log"
printf '#!/bin/sh\necho hi\n' > "$tmp/l1/usr/bin/hello"; chmod 755 "$tmp/l1/usr/bin/hello"
ln -s hello "$tmp/l1/usr/bin/hi"; ln -s ../../etc/os-release "$tmp/l1/usr/bin/rel"
echo 'AKIA secret planted in layer 1' > "$tmp/l1/etc/secret.txt"
: > "$tmp/l2/etc/.wh.motd"; : > "$tmp/l2/etc/.wh.secret.txt"; : > "$tmp/l2/var/log/.wh..wh..opq"
echo 'new log' > "$tmp/l2/var/log/new.log"; echo 'ID=debian2' > "$tmp/l2/etc/os-release"
for l in l1 l2; do
  tar -C "$tmp/$l" --numeric-owner --owner=0 --group=0 --sort=name --mtime='2024-01-01 00:00Z' -cf "$out/$l.tar" .
  gzip -9n < "$out/$l.tar" > "$out/$l.tar.gz"; zstd -q -19 -f "$out/$l.tar" -o "$out/$l.tar.zst"
done
