import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PortcullisError } from '../../errors.js';
import { streamRange, type FileStore } from './store.js';
import { toSafeMemberPath } from './tar-index.js';
import { readFileHead } from './tar-store.js';

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
      return readFileHead(full(path), size);
    },
    readHead: (path, length) => readFileHead(full(path), length, (err) => missing(root, path, err)),
    async openFile(path): Promise<Readable> {
      const size = await sizeOf(path);
      if (size === undefined) throw missing(root, path);
      const fh = await open(full(path), 'r').catch((err: unknown) => {
        throw missing(root, path, err);
      });
      return streamRange(fh, 0, size, () => fh.close());
    },
    close: async () => {},
  };
}
