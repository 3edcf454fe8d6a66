import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { PortcullisError } from '../errors.js';

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

class FzstdTransform extends Transform {
  private readonly inner: ZstdDecompress;
  private failed = false;

  constructor() {
    super();
    this.inner = new ZstdDecompress((chunk: Uint8Array) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.inner.push(chunk, false);
      cb();
    } catch (err) {
      this.failed = true;
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.failed) return cb();
    try {
      this.inner.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

export function createDecompressor(kind: Compression): Transform {
  switch (kind) {
    case 'gzip':
      // 1 MiB output chunks: inflate runs on the thread pool; fewer, larger chunks halve its per-call cost
      return zlib.createGunzip({ chunkSize: 1024 * 1024 });
    case 'zstd':
      return nativeZstd ? nativeZstd() : new FzstdTransform();
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
