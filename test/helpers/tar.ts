import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { ImageSource } from '../../core/src/source/index.js';

/** One tar member, written exactly as given (hostile names included). */
export interface TarEntry {
  name: string;
  /** File content (files only). */
  data?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  /** Target of a symlink or hardlink. */
  linkname?: string;
  /** Default 0755 for directories, 0644 otherwise. */
  mode?: number;
}

/** `sha256:<hex>` of some bytes. */
export const sha256 = (data: Buffer | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A tar archive of `entries`, in order, made with tar-stream (mtime 0, so the bytes are reproducible). */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) =>
      type === 'file'
        ? p.entry(header, e.data ?? '', (err) => (err ? reject(err) : resolve()))
        : p.entry(header, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** An in-memory image source over plain tar layers (the walker sniffs "no compression"). */
export async function tarLayerSource(layers: readonly (readonly TarEntry[])[]): Promise<ImageSource> {
  const tars = await Promise.all(layers.map(makeTar));
  const digests = tars.map((_, i) => `sha256:${String(i).repeat(64)}`);
  return {
    meta: {
      ref: 'test',
      configDigest: 'sha256:' + 'c'.repeat(64),
      config: {},
      layers: digests.map((digest) => ({ digest })),
    },
    openLayer: async (layer) => Readable.from([tars[digests.indexOf(layer.digest)]!]),
    close: async () => undefined,
  };
}
