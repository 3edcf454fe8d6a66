import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { POOL_CHUNK, takeChunk } from '../../chunk-pool.js';

/**
 * Read-only files of an image container (an OCI layout directory, or a tar archive read in place), so
 * that one OCI-layout reader and one docker-save reader serve every on-disk form.
 */
export interface FileStore {
  /** For messages: the path the user gave. */
  readonly label: string;
  /** True when a regular file exists at `path` (links resolved). */
  has(path: string): Promise<boolean>;
  /** Size in bytes of the file at `path`, or undefined when missing. */
  sizeOf(path: string): Promise<number | undefined>;
  /** Whole file; SOURCE_LIMIT_EXCEEDED past `max`, SOURCE_BLOB_MISSING when absent. */
  readFile(path: string, max: number): Promise<Buffer>;
  /** First `length` bytes (for sniffing compression). */
  readHead(path: string, length: number): Promise<Buffer>;
  /**
   * Streams the file; SOURCE_BLOB_MISSING when absent. Chunks come from the chunk pool (`releaseRead`
   * gives one back once its last reader is done; a chunk never given back is simply collected).
   */
  openFile(path: string): Promise<Readable>;
  close(): Promise<void>;
}

/**
 * Bytes `start` to `start + length` of an open file as a stream of reads into pooled buffers (`POOL_CHUNK`
 * bytes each: large reads are fewer trips through the main thread), one read ahead. A file that ends early
 * ends the stream early (the digest verifier names the shortfall).
 * `onClose` runs once when the stream ends or is destroyed, after any read in flight.
 */
export function streamRange(
  handle: FileHandle,
  start: number,
  length: number,
  onClose?: () => Promise<void>,
): Readable {
  let pos = start;
  const stop = start + length;
  let reading: Promise<unknown> | undefined;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (reading ?? Promise.resolve())
      .then(() => onClose?.())
      .then(
        () => undefined,
        () => undefined,
      ));
  return new Readable({
    read() {
      const n = Math.min(POOL_CHUNK, stop - pos);
      if (n <= 0) {
        this.push(null);
        return;
      }
      const buf = takeChunk();
      reading = handle.read(buf, 0, n, pos).then(
        ({ bytesRead }) => {
          reading = undefined;
          if (this.destroyed) return;
          if (bytesRead === 0) {
            this.push(null);
            return;
          }
          pos += bytesRead;
          this.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
        },
        (err: unknown) => {
          reading = undefined;
          this.destroy(err as Error);
        },
      );
    },
    destroy(err, cb) {
      close().then(() => cb(err), cb);
    },
  });
}
