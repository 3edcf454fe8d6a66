import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { ProgressEvent, SourceLimits } from '../types.js';
import { streamRange, type FileStore } from './store.js';
import { readTarIndex, resolveTarMember, type TarMember } from './tar-index.js';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

/** True when the first bytes are a gzip header. */
export function isGzip(head: Buffer): boolean {
  return head.subarray(0, 2).equals(GZIP_MAGIC);
}

/** Reads the first `length` bytes of a file (fewer when it is shorter); `onOpenError` maps a failed open. */
export async function readFileHead(
  path: string,
  length: number,
  onOpenError?: (err: unknown) => Error,
): Promise<Buffer> {
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw onOpenError ? onOpenError(err) : err;
  });
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Options for opening an archive. */
export interface TarStoreOptions {
  limits: SourceLimits;
  tmpDir?: string | undefined;
  onProgress?: ((e: ProgressEvent) => void) | undefined;
}

/**
 * Decompresses a gzip archive once into a private temp dir, so its members can be read by byte range
 * like a plain tar. Bounded as it streams by `maxArchiveBytes` and by the decompression ratio (past
 * `archiveRatioFloorBytes`), so a bomb stops after writing at most the floor or ratio × its size.
 */
async function gunzipToTemp(file: string, opts: TarStoreOptions): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'portcullis-archive-'));
  const path = join(dir, 'archive.tar');
  const { maxArchiveBytes: max, maxArchiveRatio, archiveRatioFloorBytes } = opts.limits;
  let compressed = 0;
  let bytes = 0;
  const input = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      compressed += chunk.length;
      cb(null, chunk);
    },
  });
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > max) {
        cb(new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${file}: decompresses to more than ${max} bytes`));
        return;
      }
      if (bytes > archiveRatioFloorBytes && bytes / Math.max(1, compressed) > maxArchiveRatio) {
        cb(
          new PortcullisError(
            'SOURCE_LIMIT_EXCEEDED',
            `${file}: decompression ratio above ${maxArchiveRatio}:1 (possible decompression bomb)`,
          ),
        );
        return;
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      createReadStream(file),
      input,
      createGunzip(),
      counter,
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    if (isPortcullisError(err)) throw err;
    throw new PortcullisError(
      'SOURCE_ARCHIVE_INVALID',
      `${file}: cannot decompress: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  opts.onProgress?.({ kind: 'decompress', path: file, bytes });
  return { dir, path };
}

/** A FileStore over a tar archive (plain, or gzip-compressed), read in place by member offsets. */
export async function openTarStore(file: string, opts: TarStoreOptions): Promise<FileStore> {
  let tempDir: string | undefined;
  let tarPath = file;
  if (isGzip(await readFileHead(file, 2))) {
    const t = await gunzipToTemp(file, opts);
    tempDir = t.dir;
    tarPath = t.path;
  }
  let fh: FileHandle | undefined;
  let members: Map<string, TarMember>;
  try {
    fh = await open(tarPath, 'r');
    members = await readTarIndex(fh, file, opts.limits);
  } catch (err) {
    await fh?.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  const handle = fh;
  let closed = false;
  const find = (path: string): TarMember | undefined => resolveTarMember(members, path, file);
  const need = (path: string): TarMember => {
    const m = find(path);
    if (!m) throw new PortcullisError('SOURCE_BLOB_MISSING', `${file}: member ${path} is missing`);
    return m;
  };
  const readRange = async (m: TarMember, length: number): Promise<Buffer> => {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, m.offset);
    return buf.subarray(0, bytesRead);
  };
  return {
    label: file,
    has: async (path) => find(path) !== undefined,
    sizeOf: async (path) => find(path)?.size,
    async readFile(path, max) {
      const m = need(path);
      if (m.size > max) {
        throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${file}: ${path} is larger than ${max} bytes`);
      }
      return readRange(m, m.size);
    },
    async readHead(path, length) {
      const m = need(path);
      return readRange(m, Math.min(length, m.size));
    },
    async openFile(path) {
      const m = need(path);
      if (m.size === 0) return Readable.from([]);
      // large reads into pooled buffers: each read is a trip through the main thread, each new buffer
      // external memory that V8 counts towards its next full collection (see chunk-pool.ts)
      return streamRange(handle, m.offset, m.size);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}
