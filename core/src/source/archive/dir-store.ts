import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PortcullisError } from '../../errors.js';
import type { FileStore } from './store.js';
import { toSafeMemberPath } from './tar-index.js';

function missing(label: string, path: string, cause?: unknown): PortcullisError {
  return new PortcullisError('SOURCE_BLOB_MISSING', `${label}: ${path} is missing`, { cause });
}

/** A FileStore over a directory (an OCI image layout). */
export function createDirStore(root: string): FileStore {
  const full = (path: string): string => join(root, toSafeMemberPath(path, root));
  const sizeOf = async (path: string): Promise<number | undefined> => {
    try {
      const s = await stat(full(path));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    label: root,
    has: async (path) => (await sizeOf(path)) !== undefined,
    sizeOf,
    async readFile(path, max) {
      const size = await sizeOf(path);
      if (size === undefined) throw missing(root, path);
      if (size > max)
        throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${root}: ${path} is larger than ${max} bytes`);
      const fh = await open(full(path), 'r');
      try {
        const buf = Buffer.alloc(size);
        const { bytesRead } = await fh.read(buf, 0, size, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    async readHead(path, length) {
      const fh = await open(full(path), 'r').catch((err: unknown) => {
        throw missing(root, path, err);
      });
      try {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await fh.read(buf, 0, length, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    async openFile(path): Promise<Readable> {
      if ((await sizeOf(path)) === undefined) throw missing(root, path);
      return createReadStream(full(path));
    },
    close: async () => {},
  };
}
