/**
 * The Node inflate floor: `node bench/inflate-floor.mjs ARCHIVE [--chunk-size BYTES]` finds every gzip
 * layer blob inside a docker-save or OCI archive (by reading the outer tar's headers, no extraction) and
 * runs all of them through `zlib.createGunzip` at once, output discarded. When the archive has a
 * `manifest.json`, its image's layers are taken in its order, a blob named twice inflated twice (as a scan
 * reads it twice). Prints one JSON line like scan-child.mjs.
 *
 * Without `--chunk-size` this is issue 17's floor exactly (`createGunzip()` with Node's defaults: 16 KiB
 * output chunks, 1 MiB reads), the one the goals are judged against. With it, reads and output chunks are
 * that size — `--chunk-size 1048576` is what the scan's own reader uses, and inflates the same bytes in
 * about half the time: no scan can be faster than that one.
 */
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/** Members of a plain tar file: name, data offset and size (ustar and GNU long names). */
function listMembers(path) {
  const fd = openSync(path, 'r');
  const header = Buffer.alloc(512);
  const members = [];
  let offset = 0;
  let longName;
  try {
    for (;;) {
      if (readSync(fd, header, 0, 512, offset) < 512 || header.every((b) => b === 0)) break;
      const size = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/, '').trim() || '0', 8);
      const type = String.fromCharCode(header[156] || 48);
      const prefix = header.toString('utf8', 345, 500).replace(/\0.*$/s, '');
      const base = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const data = offset + 512;
      if (type === 'L') {
        const buf = Buffer.alloc(size);
        readSync(fd, buf, 0, size, data);
        longName = buf.toString('utf8').replace(/\0.*$/s, '');
      } else {
        if (type === '0' || type === '\0')
          members.push({ name: longName ?? (prefix ? `${prefix}/${base}` : base), data, size });
        longName = undefined;
      }
      offset = data + Math.ceil(size / 512) * 512;
    }
  } finally {
    closeSync(fd);
  }
  return members;
}

function isGzip(path, member) {
  const fd = openSync(path, 'r');
  const magic = Buffer.alloc(2);
  try {
    readSync(fd, magic, 0, 2, member.data);
  } finally {
    closeSync(fd);
  }
  return member.size > 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

/** The gzip layers to inflate: manifest.json's first image's layers when there is one, else every gzip member. */
function layersOf(path) {
  const members = listMembers(path);
  const manifest = members.find((m) => m.name === 'manifest.json');
  if (!manifest) return members.filter((m) => isGzip(path, m));
  const fd = openSync(path, 'r');
  const text = Buffer.alloc(manifest.size);
  try {
    readSync(fd, text, 0, manifest.size, manifest.data);
  } finally {
    closeSync(fd);
  }
  const byName = new Map(members.map((m) => [m.name, m]));
  return JSON.parse(text.toString('utf8'))[0]
    .Layers.map((name) => byName.get(name))
    .filter((m) => m && isGzip(path, m));
}

const archive = process.argv[2];
const chunkFlag = process.argv.indexOf('--chunk-size');
const chunkSize = chunkFlag > 0 ? Number(process.argv[chunkFlag + 1]) : undefined;
if (!archive || (chunkSize !== undefined && !(chunkSize >= 64))) {
  console.error('usage: node bench/inflate-floor.mjs ARCHIVE [--chunk-size BYTES]');
  process.exitCode = 2;
} else {
  const layers = layersOf(archive);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let bytes = 0;
  await Promise.all(
    layers.map((m) =>
      pipeline(
        createReadStream(archive, {
          start: m.data,
          end: m.data + m.size - 1,
          highWaterMark: chunkSize ?? 1 << 20,
        }),
        chunkSize ? createGunzip({ chunkSize }) : createGunzip(),
        new Writable({
          write(chunk, _enc, cb) {
            bytes += chunk.length;
            cb();
          },
        }),
      ),
    ),
  );
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      layers: layers.length,
      uncompressedBytes: bytes,
    }),
  );
}
