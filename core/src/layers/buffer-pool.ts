/** Smallest pooled buffer; smaller requests come from Node's shared slab or are cheap garbage. */
export const POOL_MIN_BYTES = 16 * 1024;
/** Largest pooled buffer (the malware rules' 2 MiB cap). */
export const POOL_MAX_BYTES = 2 * 1024 * 1024;
/** Free buffers kept per size class. */
const FREE_PER_CLASS = 2;
/** Bytes free buffers may hold in all (a 2 MiB and a 1 MiB one, or many smaller). */
export const POOL_MAX_RETAINED = 4 * 1024 * 1024;

/** A buffer lent by {@link BufferPool}: use `bytes` (exactly the size asked for), then give it back. */
export interface PooledBuffer {
  readonly bytes: Buffer;
  /** The whole pooled buffer (a power of two), or undefined when not pooled. */
  readonly backing?: Buffer;
}

/**
 * Per-file copies (a text for the secret rules, a candidate for the malware strings) reused from file to
 * file instead of allocated for each one. Every copy used to become garbage the moment its file ended, and
 * V8 frees array buffers only at its next collection: tens of megabytes of dead copies sat in the resident
 * set on an image of many files. Buffers come in power-of-two classes from 16 KiB to 2 MiB, at most four
 * free per class (≤ 16 MiB kept, ~8 MiB in practice); a lease never returned is ordinary garbage.
 */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private retained = 0;

  acquire(size: number): PooledBuffer {
    if (size < POOL_MIN_BYTES || size > POOL_MAX_BYTES) return { bytes: Buffer.allocUnsafe(size) };
    const cls = classOf(size);
    const reused = this.free.get(cls)?.pop();
    if (reused) this.retained -= cls;
    const backing = reused ?? Buffer.allocUnsafeSlow(cls);
    return { bytes: backing.subarray(0, size), backing };
  }

  /** Gives a lease back; its bytes must not be read afterwards. */
  release(lease: PooledBuffer | undefined): void {
    const backing = lease?.backing;
    if (!backing) return;
    let list = this.free.get(backing.length);
    if (!list) this.free.set(backing.length, (list = []));
    if (list.length >= FREE_PER_CLASS || this.retained + backing.length > POOL_MAX_RETAINED) return;
    list.push(backing);
    this.retained += backing.length;
  }

  /** Bytes held by free buffers (for tests and diagnostics). */
  get retainedBytes(): number {
    return this.retained;
  }
}

function classOf(size: number): number {
  let cls = POOL_MIN_BYTES;
  while (cls < size) cls *= 2;
  return cls;
}

/** The pool the analyzers' file sinks share (one process, files end one at a time per layer). */
export const fileBufferPool = new BufferPool();

const NO_BYTES = Buffer.alloc(0);

/** The copy behind one or more `FileBytes` handles of one file. */
class SharedBytes {
  lease: PooledBuffer | undefined;
  bytes: Buffer | undefined;
  /** Bytes of the file copied (or, in place, seen) so far. */
  length = 0;
  /** Handles not yet released. */
  refs = 0;

  constructor(
    readonly size: number,
    readonly owner: object | undefined,
  ) {}

  append(chunk: Buffer): void {
    if (this.bytes === undefined)
      this.bytes =
        this.length === 0 && chunk.length === this.size
          ? chunk
          : (this.lease = fileBufferPool.acquire(this.size)).bytes;
    if (this.bytes !== chunk) this.bytes.set(chunk, this.length);
    this.length += chunk.length;
  }

  release(): void {
    fileBufferPool.release(this.lease);
    this.lease = this.bytes = undefined;
  }
}

/** The copy each file's handles share, by the file they were made for. */
const sharedBytes = new WeakMap<object, SharedBytes>();

/**
 * One file's bytes as it streams, for a sink that reads them whole at `end`: a view of the chunk when the
 * file arrives in one (the walker calls `end` right after that write, before it reuses the chunk's memory:
 * see `core/src/chunk-pool.ts`), else a copy in a buffer from `fileBufferPool`. `release` after `end`.
 * Handles made for the same `owner` (the file: the secret and the malware sinks both read most scripts
 * whole) share one copy: the first to get a chunk copies it, the others find it there; the copy goes back
 * to the pool when the last handle is released.
 */
export class FileBytes {
  private shared: SharedBytes | undefined;
  /** Bytes this handle was given so far. */
  private length = 0;

  constructor(size: number, owner?: object) {
    let shared = owner === undefined ? undefined : sharedBytes.get(owner);
    // only a copy nothing was written to yet is joined (a file's sinks are made before its first chunk):
    // one left unreleased by an earlier read of the same file object is never read again
    if (shared === undefined || shared.size !== size || shared.length > 0) {
      shared = new SharedBytes(size, owner);
      if (owner !== undefined) sharedBytes.set(owner, shared);
    }
    shared.refs++;
    this.shared = shared;
  }

  write(chunk: Buffer): void {
    const shared = this.shared;
    if (shared === undefined) return;
    const end = this.length + chunk.length;
    // the same chunks reach every handle of a file in order: copy only what no other handle copied yet
    if (end > shared.length) {
      const have = shared.length - this.length;
      shared.append(have === 0 ? chunk : chunk.subarray(have));
    }
    this.length = end;
  }

  /** The bytes written so far (none when the file ended before its first byte). Valid until `release`. */
  read(): Buffer {
    return this.shared?.bytes?.subarray(0, this.length) ?? NO_BYTES;
  }

  release(): void {
    const shared = this.shared;
    if (shared === undefined) return;
    this.shared = undefined;
    if (--shared.refs > 0) return;
    shared.release();
    if (shared.owner !== undefined && sharedBytes.get(shared.owner) === shared)
      sharedBytes.delete(shared.owner);
  }
}
