/** Builds small real images (layer tars, configs, OCI layouts, docker-save archives) for source tests. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { makeTar, sha256, type TarEntry } from '../helpers/tar.js';

export { makeTar, sha256 };
export type { TarEntry };

/** Drains a stream; resolves with its bytes' digest and size, rejects with the stream's error. */
export async function drain(stream: Readable): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, bytes };
}

/** One synthetic image: an uncompressed layer, its gzip form, and a config naming its diff_id. */
export interface SyntheticImage {
  layer: Buffer;
  layerGz: Buffer;
  diffId: string;
  config: Buffer;
  configDigest: string;
}

export async function makeImage(arch = 'amd64', marker = 'hello'): Promise<SyntheticImage> {
  const layer = await makeTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/marker', data: `${marker} ${arch}\n` },
  ]);
  const diffId = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: arch,
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [
        { created_by: 'ENV A=1', empty_layer: true },
        { created_by: 'ADD marker /etc/' },
        { created_by: 'CMD ["/bin/sh"]', empty_layer: true },
      ],
    }),
  );
  return { layer, layerGz: gzipSync(layer), diffId, config, configDigest: sha256(config) };
}

/** A blob map (path → bytes) of an OCI layout holding `images`, keyed by descriptors. */
export interface LayoutFiles {
  files: Map<string, Buffer>;
  manifestDigests: string[];
}

export const blobPath = (digest: string): string => `blobs/sha256/${digest.slice('sha256:'.length)}`;

export function ociManifest(img: SyntheticImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: img.configDigest,
        size: img.config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
          digest: sha256(img.layerGz),
          size: img.layerGz.length,
        },
      ],
    }),
  );
}

/** Adds an image's blobs to `files` and returns its manifest descriptor fields. */
export function addImageBlobs(
  files: Map<string, Buffer>,
  img: SyntheticImage,
): { digest: string; size: number } {
  const manifest = ociManifest(img);
  files.set(blobPath(img.configDigest), img.config);
  files.set(blobPath(sha256(img.layerGz)), img.layerGz);
  files.set(blobPath(sha256(manifest)), manifest);
  return { digest: sha256(manifest), size: manifest.length };
}

/** Writes `files` under `dir`. */
export async function writeTree(dir: string, files: Map<string, Buffer>): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), data);
  }
}

/** Tar entries of `files` (for oci-archive / docker-archive variants). */
export function toEntries(files: Map<string, Buffer>): TarEntry[] {
  return [...files].map(([name, data]) => ({ name, data }));
}
