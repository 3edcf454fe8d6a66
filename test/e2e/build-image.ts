/**
 * Builds small images for end-to-end tests: tar files with tar-stream, and OCI layouts written blob by
 * blob (oci-layout, index.json, manifest, config, layers), so hostile and layered cases need no Docker.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';

import { makeTar, sha256, type TarEntry } from '../helpers/tar.js';

export { makeTar, sha256 };
export type { TarEntry };

/**
 * A gzip layer whose tar holds one file of `zeroBytes` zeros: about 1000:1, a decompression bomb.
 * Streams, so the big side never sits in memory; returns the compressed blob and the tar's diffId.
 */
export async function makeGzipBombLayer(zeroBytes: number): Promise<{ blob: Buffer; diffId: string }> {
  const p = pack();
  const hash = createHash('sha256');
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const tee = new PassThrough();
  tee.on('data', (c: Buffer) => hash.update(c));
  const piping = pipeline(p, tee, gz);
  const entry = p.entry({ name: 'zeros.bin', size: zeroBytes, mode: 0o644 });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = zeroBytes; left > 0; left -= chunk.length) {
    const ok = entry.write(left >= chunk.length ? chunk : chunk.subarray(0, left));
    if (!ok) await new Promise<void>((r) => entry.once('drain', () => r()));
  }
  entry.end(() => undefined);
  p.finalize();
  await piping;
  return { blob: Buffer.concat(out), diffId: `sha256:${hash.digest('hex')}` };
}

/** A ustar header (512 bytes) for one regular file of `size` bytes (up to 8 GiB - 1: octal size field). */
export function makeTarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const field = (at: number, length: number, value: string): void => {
    h.write(value, at, length, 'ascii');
  };
  const octal = (n: number, width: number): string => n.toString(8).padStart(width - 1, '0') + '\0';
  field(0, 100, name);
  field(100, 8, octal(0o644, 8));
  field(108, 8, octal(0, 8));
  field(116, 8, octal(0, 8));
  field(124, 12, octal(size, 12));
  field(136, 12, octal(0, 12));
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const b of h) sum += b;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/**
 * A zstd layer that is a decompression bomb, written frame by frame (no zstd encoder needed): a raw block
 * holding the tar header of one file of `zeroBytes` zeros, then RLE blocks of 128 KiB zeros, 4 bytes each
 * (32,768:1). `windowLog` sets the frame's Window_Descriptor (the window the decoder must allocate). The tar
 * is cut after the zeros: the limit must fire long before its end.
 */
export function makeZstdBombLayer(zeroBytes: number, windowLog = 20): Buffer {
  const BLOCK = 128 * 1024;
  const blocks = Math.ceil(zeroBytes / BLOCK);
  const header = makeTarHeader('zeros.bin', blocks * BLOCK);
  const out = Buffer.alloc(4 + 2 + 3 + header.length + blocks * 4);
  let at = out.writeUInt32LE(0xfd2fb528, 0);
  at = out.writeUInt8(0x00, at); // frame header descriptor: no content size, no checksum, no dictionary
  at = out.writeUInt8((windowLog - 10) << 3, at); // Window_Descriptor: 2^windowLog bytes
  at = out.writeUIntLE((header.length << 3) | (0 << 1), at, 3); // raw block
  at += header.copy(out, at);
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    at = out.writeUIntLE((BLOCK << 3) | (1 << 1) | last, at, 3); // RLE block of BLOCK bytes
    at = out.writeUInt8(0, at);
  }
  return out;
}

/** sha256 of a file, streamed. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path) as Readable, hash);
  return `sha256:${hash.digest('hex')}`;
}

/** A layer of an OCI layout being written: its blob is already in `blobs/` under `digest`. */
export interface LayoutLayer {
  digest: string;
  size: number;
  diffId: string;
  mediaType: string;
  createdBy: string;
}

/** Writes one blob into `dir/blobs/sha256/` and returns its descriptor fields. */
export async function writeBlob(
  dir: string,
  data: Buffer | string,
): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
  return { digest, size: Buffer.byteLength(data) };
}

/**
 * Finishes an OCI layout in `dir` whose layer blobs are written: config (linux/amd64, history from
 * `createdBy`), manifest, index.json with tag `tag`, and oci-layout. Returns the manifest digest.
 */
export async function writeOciLayout(
  dir: string,
  tag: string,
  layers: LayoutLayer[],
  config: Record<string, unknown> = {},
): Promise<string> {
  const cfg = await writeBlob(
    dir,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created: '2024-01-01T00:00:00Z', created_by: l.createdBy })),
    }),
  );
  const manifest = await writeBlob(
    dir,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return manifest.digest;
}

/**
 * A `docker save` tarball (manifest.json + config + one plain layer.tar) with `extra` members appended,
 * for hostile-member cases.
 */
export async function makeDockerArchive(layerEntries: TarEntry[], extra: TarEntry[] = []): Promise<Buffer> {
  const layer = await makeTar(layerEntries);
  const diffId = sha256(layer);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs /' }],
  });
  const configName = `${sha256(config).slice('sha256:'.length)}.json`;
  const layerName = `${diffId.slice('sha256:'.length)}/layer.tar`;
  return makeTar([
    {
      name: 'manifest.json',
      data: JSON.stringify([{ Config: configName, RepoTags: ['e2e/hostile:1'], Layers: [layerName] }]),
    },
    { name: configName, data: config },
    { name: layerName, data: layer },
    ...extra,
  ]);
}
