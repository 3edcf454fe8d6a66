import type { Readable } from 'node:stream';

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
  /** Streams the file; SOURCE_BLOB_MISSING when absent. */
  openFile(path: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Read size for blobs in archives and layout directories (large reads: fewer trips through the main thread). */
export const READ_CHUNK = 256 * 1024;
