import { Duplex, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { PortcullisError } from '../errors.js';
import { POOL_CHUNK } from '../chunk-pool.js';
import { GzipMembers } from './gzip-members.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** Detects compression from the first bytes (media types lie more often than magic numbers). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

type ZstdFactory = () => Transform;

/** Node ≥ 22.15 has zstd in zlib; Node 20 does not, so fall back to fzstd (pure JS, streaming). */
const nativeZstd: ZstdFactory | undefined = (() => {
  const create = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return typeof create === 'function' ? () => create() : undefined;
})();

/**
 * Input bytes handed to fzstd per call. fzstd decodes every complete block of what it is given before it
 * returns, and one 4-byte RLE block expands to 128 KiB: 256 bytes bound one call's output to about 8 MiB,
 * where a 1 MiB read could expand to gigabytes before anyone downstream saw a byte (the 145 KB layer that
 * reached 4.3 GB RSS). The calls are cheap; fzstd keeps partial blocks without re-copying them.
 */
const FZSTD_SLICE = 256;

/**
 * fzstd as a pull stream: output is produced only as fast as the reader takes it (the generator is resumed
 * per read), so memory stays bounded by one call's output plus the window, whatever the ratio.
 */
function createFzstdStream(): Duplex {
  return Duplex.from(async function* (source: AsyncIterable<Buffer>) {
    const out: Uint8Array[] = [];
    const inner = new ZstdDecompress((chunk: Uint8Array) => {
      if (chunk.length > 0) out.push(chunk);
    });
    const drain = function* (): Generator<Buffer> {
      for (let c = out.shift(); c; c = out.shift()) yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    };
    for await (const chunk of source) {
      for (let i = 0; i < chunk.length; i += FZSTD_SLICE) {
        inner.push(chunk.subarray(i, i + FZSTD_SLICE), false);
        yield* drain();
      }
    }
    inner.push(new Uint8Array(0), true);
    yield* drain();
  });
}

/**
 * What the walker writes compressed bytes to and reads `data` from: a stream, or `GzipMembers` (whose
 * `data` events also name the inflater a chunk came from).
 */
export interface Decompressor {
  on(event: 'data', listener: (chunk: Buffer, from?: Duplex) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'drain', listener: () => void): this;
  write(chunk: Buffer, done?: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(): void;
}

/** Decompresses `kind`, keeping memory bounded whatever the compression ratio. */
export function createDecompressor(kind: Compression): Decompressor {
  switch (kind) {
    case 'gzip':
      // the first member inflated raw (no CRC-32: the blob's digest covers the bytes), any later ones by
      // zlib's gunzip; pooled output chunks (chunk-pool.ts: their size, and why they are reused)
      return new GzipMembers(POOL_CHUNK);
    case 'zstd':
      return nativeZstd ? nativeZstd() : createFzstdStream();
    case 'none':
      return new Transform({
        transform(chunk, _enc, cb) {
          cb(null, chunk);
        },
      });
  }
}

/** Maps decompressor failures to stable codes: a truncated stream is not the same as garbage. */
export function toDecompressError(err: unknown, kind: Compression): PortcullisError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(message)) {
    return new PortcullisError('LAYER_TRUNCATED', `${kind} stream ends early (truncated layer)`, {
      cause: err,
    });
  }
  return new PortcullisError('LAYER_DECOMPRESS_FAILED', `cannot decompress ${kind} layer: ${message}`, {
    cause: err,
  });
}
