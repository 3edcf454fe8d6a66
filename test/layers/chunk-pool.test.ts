// The chunk pool (core/src/chunk-pool.ts): read and inflate buffers are reused once the walker is done
// with them. Reuse is only safe when nothing still reads or writes a buffer, so these tests poison every
// released buffer and check that each file still arrives byte for byte — and that reuse did happen.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_FREE_CHUNKS,
  POOL_CHUNK,
  chunkPoolStats,
  installChunkPool,
  poisonReleasedChunks,
  releaseInflated,
  releaseRead,
  takeChunk,
} from '../../core/src/chunk-pool.js';
import { readLayer } from '../../core/src/layers/index.js';
import { streamRange } from '../../core/src/source/archive/store.js';
import { makeTar } from '../helpers/tar.js';

afterEach(() => poisonReleasedChunks(false));

/** Takes buffers until the free list is empty, so a test starts from a known state. */
function drain(): void {
  while (chunkPoolStats().free > 0) takeChunk();
}

describe('takeChunk / releaseRead', () => {
  it('gives a released buffer back out, and only a buffer of its own', () => {
    drain();
    const a = takeChunk();
    expect(a.length).toBe(POOL_CHUNK);
    releaseRead(a);
    expect(takeChunk().buffer).toBe(a.buffer);
    // a buffer of the right size that did not come from the pool is never handed out
    const foreign = Buffer.alloc(POOL_CHUNK);
    releaseRead(foreign);
    expect(chunkPoolStats().free).toBe(0);
    expect(takeChunk().buffer).not.toBe(foreign.buffer);
  });

  it('takes a buffer back once per hand-out, so two owners never share one', () => {
    drain();
    const a = takeChunk();
    releaseRead(a);
    releaseRead(a);
    expect(chunkPoolStats().free).toBe(1);
    const b = takeChunk();
    const c = takeChunk();
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
  });

  it('ignores a view that does not start at the buffer (a short read is released by its full view)', () => {
    drain();
    const a = takeChunk();
    releaseRead(a.subarray(1));
    expect(chunkPoolStats().free).toBe(0);
    releaseRead(a.subarray(0, 10));
    expect(chunkPoolStats().free).toBe(1);
  });

  it(`keeps at most ${MAX_FREE_CHUNKS} free buffers`, () => {
    drain();
    const many = Array.from({ length: MAX_FREE_CHUNKS + 4 }, () => takeChunk());
    for (const b of many) releaseRead(b);
    expect(chunkPoolStats().free).toBe(MAX_FREE_CHUNKS);
  });

  it('leaves released buffers as they are unless asked to poison them', () => {
    drain();
    const a = takeChunk();
    a.fill(1);
    releaseRead(a);
    expect(takeChunk().every((b) => b === 1)).toBe(true);
  });

  it('poisons released buffers when asked', () => {
    drain();
    poisonReleasedChunks(true);
    const a = takeChunk();
    a.fill(1);
    releaseRead(a);
    expect(takeChunk().every((b) => b === 0xa5)).toBe(true);
  });
});

describe('releaseInflated', () => {
  const stream = (outBuffer: Buffer | undefined, outOffset: number | undefined): object => ({
    _outBuffer: outBuffer,
    _outOffset: outOffset,
  });

  it('takes back a filled output buffer once zlib has another or is at its end', () => {
    drain();
    const a = takeChunk();
    releaseInflated(a.subarray(100), stream(takeChunk(), 0));
    expect(chunkPoolStats().free).toBe(1);
    drain();
    const b = takeChunk();
    releaseInflated(b.subarray(100), stream(b, POOL_CHUNK));
    expect(chunkPoolStats().free).toBe(1);
  });

  it('never takes back a buffer zlib may still write, or a chunk short of its end', () => {
    drain();
    const a = takeChunk();
    const other = takeChunk();
    // zlib's current buffer with room left: it writes there next
    releaseInflated(a, stream(a, POOL_CHUNK - 1));
    expect(chunkPoolStats().free).toBe(0);
    // a chunk that stops before the buffer's end: zlib is still filling it
    releaseInflated(a.subarray(0, 1000), stream(other, 0));
    expect(chunkPoolStats().free).toBe(0);
    // a stream without zlib's fields (another Node): nothing is recycled
    releaseInflated(a, stream(undefined, undefined));
    releaseInflated(a, stream(other, undefined));
    releaseInflated(a, stream(undefined, 0));
    releaseInflated(a, {});
    expect(chunkPoolStats().free).toBe(0);
    // the same buffer with zlib's fields in place is taken back: the cases above were refused for their reason
    releaseInflated(a, stream(other, 0));
    expect(chunkPoolStats().free).toBe(1);
  });
});

describe('installChunkPool', () => {
  it('serves POOL_CHUNK-byte allocUnsafe calls from the pool and leaves other sizes alone', () => {
    installChunkPool();
    drain();
    const a = takeChunk();
    releaseRead(a);
    expect(Buffer.allocUnsafe(POOL_CHUNK).buffer).toBe(a.buffer);
    const other = Buffer.allocUnsafe(100);
    expect(other.length).toBe(100);
    expect(chunkPoolStats().free).toBe(0);
    // once per process: a second call does not wrap the wrapper
    const wrapped = Buffer.allocUnsafe;
    installChunkPool();
    expect(Buffer.allocUnsafe).toBe(wrapped);
  });
});

describe('a gzip layer read through the pool, every released buffer poisoned', () => {
  let dir: string;
  let layerPath: string;
  let plainPath: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-pool-'));
    // sizes around the 256 KiB chunks and the 512-byte blocks; random bytes barely compress, text does
    const sizes = [0, 1, 511, 512, 513, POOL_CHUNK - 1, POOL_CHUNK, POOL_CHUNK + 1, 3 * POOL_CHUNK + 77];
    sizes.forEach((size, i) => files.set(`bin/r${i}`, randomBytes(size)));
    files.set('etc/text', Buffer.from('key = value\n'.repeat(200_000)));
    const tar = await makeTar([...files].map(([name, data]) => ({ name, data })));
    layerPath = join(dir, 'layer.tar.gz');
    writeFileSync(layerPath, gzipSync(tar));
    plainPath = join(dir, 'layer.tar');
    writeFileSync(plainPath, tar);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Reads the layer; `slow` files end asynchronously (holding the parser mid-chunk). */
  async function read(slow: (path: string) => boolean, path = layerPath): Promise<Map<string, string>> {
    const handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    const got = new Map<string, string>();
    try {
      await readLayer(
        streamRange(handle, 0, size),
        { digest: 'sha256:l', index: 0 },
        {
          onFile: (file) => {
            const hash = createHash('sha256');
            return {
              write: (chunk) => void hash.update(chunk),
              end: async () => {
                if (slow(file.path)) await new Promise((r) => setTimeout(r, 2));
                got.set(file.path.slice(1), hash.digest('hex'));
              },
            };
          },
        },
      );
    } finally {
      await handle.close();
    }
    return got;
  }

  const expected = (): Map<string, string> =>
    new Map([...files].map(([name, data]) => [name, createHash('sha256').update(data).digest('hex')]));

  it('gives every file its exact bytes while reusing buffers', async () => {
    poisonReleasedChunks(true);
    const before = chunkPoolStats().reused;
    expect(await read(() => false)).toEqual(expected());
    // the layer is ~6 MB inflated: read and output buffers came back and went out again
    expect(chunkPoolStats().reused - before).toBeGreaterThan(4);
  });

  it('gives every file its exact bytes when consumers hold the parser', async () => {
    poisonReleasedChunks(true);
    const before = chunkPoolStats().reused;
    expect(await read(() => true)).toEqual(expected());
    expect(chunkPoolStats().reused - before).toBeGreaterThan(4);
  });

  it('gives every file its exact bytes from an uncompressed layer (the read buffers are parsed directly)', async () => {
    poisonReleasedChunks(true);
    const before = chunkPoolStats().reused;
    expect(await read((p) => p.endsWith('3'), plainPath)).toEqual(expected());
    expect(chunkPoolStats().reused - before).toBeGreaterThan(4);
  });

  it('streamRange reads a range and stops at the end of the file', async () => {
    const handle = await open(layerPath, 'r');
    try {
      const size = (await handle.stat()).size;
      const parts: Buffer[] = [];
      for await (const c of streamRange(handle, 10, size)) parts.push(Buffer.from(c as Buffer));
      const all = Buffer.concat(parts);
      // asked for 10 bytes past the end: the stream ends where the file does
      expect(all.length).toBe(size - 10);
      const whole = Buffer.concat(
        await Readable.from(streamRange(handle, 0, size))
          .toArray()
          .then((cs) => cs.map((c: Buffer) => Buffer.from(c))),
      );
      expect(whole.subarray(10).equals(all)).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
