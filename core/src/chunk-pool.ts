/**
 * Reuses the 1 MiB buffers a layer streams through: the file reads of archives and layouts, and the gzip
 * streams' output.
 *
 * Without it a scan turns every byte it reads and every byte it inflates into a fresh array buffer that
 * lives until V8 collects the small object owning it. Array buffers count as external memory, and V8
 * starts a full (marking) collection each time the external memory allocated since the last one passes
 * the old generation's slack (~12 MB here): ~70 full collections on the large test image, most of V8's
 * helper-thread time, where a plain inflate runs almost none. With it, the buffers the layer walker has
 * finished with go back to a short free list and the next read or inflate takes one.
 *
 * A buffer goes back only when nothing can still write or read it — each rule is checked where it
 * applies:
 * - a read buffer once the decompressor has consumed it (its write callback) or, uncompressed, once the
 *   tar parser has parsed it;
 * - an inflated buffer once zlib has moved on from it — the chunk ends at the buffer's end, and it is not
 *   zlib's current output buffer unless zlib's output offset is at its end (zlib then replaces it before
 *   writing again) — and once the tar parser has parsed that chunk to its end;
 * - no consumer keeps a view of a chunk past its `write` or `end` (they copy what they keep: the contract
 *   of `FileConsumer`; tests poison released buffers and compare whole reports);
 * - at most once per hand-out (`lent` holds the buffers someone owns), and only buffers from here.
 *
 * zlib allocates its output with `Buffer.allocUnsafe(chunkSize)`, so that function is wrapped (once per
 * process, on the first layer) to take `POOL_CHUNK`-byte requests from the free list; every other size
 * goes straight through. `allocUnsafe` memory is documented as uninitialised, like any pooled buffer.
 * On a Node whose zlib lacks the fields the check reads, inflated buffers are simply not recycled.
 */

/**
 * Size of the pooled buffers: the archive stores' reads and the gzip streams' output chunks. Each read and
 * each inflate call is a round trip through the main thread (a callback, the next call): on the large image
 * 1 MiB instead of 256 KiB took the sbom from ~4.8 to ~4.2 s and the scan from ~7.9 to ~7.3 s, for ~8 MB
 * more peak RSS (two layers in flight hold ~4 buffers each). Without the pool, 1 MiB chunks cost ~20 MB.
 */
export const POOL_CHUNK = 1024 * 1024;
/** Free buffers kept at most (6 MiB): enough for the buffers two layers in flight hand back. */
export const MAX_FREE_CHUNKS = 6;

const free: Buffer[] = [];
/** Array buffers of `POOL_CHUNK` bytes handed out and not given back since. */
const lent = new WeakSet<ArrayBufferLike>();
let installed = false;
/** Set PORTCULLIS_POISON_CHUNKS=1 to check a new consumer: released buffers are overwritten at once. */
let poison = process.env.PORTCULLIS_POISON_CHUNKS === '1';
let reused = 0;

/** A `POOL_CHUNK`-byte buffer, uninitialised: a released one when there is one. */
export function takeChunk(): Buffer {
  const again = free.pop();
  if (again) {
    lent.add(again.buffer);
    reused++;
    return again;
  }
  const fresh = Buffer.allocUnsafeSlow(POOL_CHUNK);
  lent.add(fresh.buffer);
  return fresh;
}

function giveBack(buffer: ArrayBufferLike): void {
  if (!lent.delete(buffer) || free.length >= MAX_FREE_CHUNKS) return;
  const whole = Buffer.from(buffer, 0, POOL_CHUNK);
  if (poison) whole.fill(0xa5);
  free.push(whole);
}

/** Wraps `Buffer.allocUnsafe` (once per process) so zlib's `POOL_CHUNK`-byte output buffers come from here. */
export function installChunkPool(): void {
  if (installed) return;
  installed = true;
  const original = Buffer.allocUnsafe;
  Buffer.allocUnsafe = ((size: number): Buffer =>
    size === POOL_CHUNK ? takeChunk() : original(size)) as typeof Buffer.allocUnsafe;
}

/** A read chunk (from `takeChunk`) that its last reader has finished with. */
export function releaseRead(chunk: Buffer): void {
  if (chunk.byteOffset === 0 && chunk.buffer.byteLength === POOL_CHUNK) giveBack(chunk.buffer);
}

/**
 * The walker has parsed `chunk`, pushed by the zlib stream `stream`, to its end: when it is the last part
 * of an output buffer zlib has moved on from, the buffer goes back.
 */
export function releaseInflated(chunk: Buffer, stream: object): void {
  const buffer = chunk.buffer;
  if (buffer.byteLength !== POOL_CHUNK || chunk.byteOffset + chunk.length !== POOL_CHUNK) return;
  const { _outBuffer: current, _outOffset: offset } = stream as {
    _outBuffer?: unknown;
    _outOffset?: unknown;
  };
  if (!(current instanceof Uint8Array) || typeof offset !== 'number') return;
  // still zlib's buffer: the chunk was parsed inside zlib's push, and zlib replaces a buffer whose end it
  // has reached right after that push, before it writes again
  if (current.buffer === buffer && offset < POOL_CHUNK) return;
  giveBack(buffer);
}

/** Tests: fill released buffers with a pattern, so a consumer that kept a view reads garbage. */
export function poisonReleasedChunks(on: boolean): void {
  poison = on;
}

/** Tests and benchmarks: buffers handed out again so far, and buffers free now. */
export function chunkPoolStats(): { reused: number; free: number } {
  return { reused, free: free.length };
}
