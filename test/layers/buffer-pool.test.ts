import { describe, expect, it } from 'vitest';
import {
  BufferPool,
  FileBytes,
  POOL_MAX_RETAINED,
  POOL_MIN_BYTES,
} from '../../core/src/layers/buffer-pool.js';

describe('BufferPool (per-file copies reused instead of left to the collector)', () => {
  it('lends exactly the size asked for and reuses a returned buffer of the same class', () => {
    const pool = new BufferPool();
    const a = pool.acquire(20_000);
    expect(a.bytes.length).toBe(20_000);
    expect(a.backing?.length).toBe(32 * 1024);
    a.bytes.fill(7);
    pool.release(a);
    expect(pool.retainedBytes).toBe(32 * 1024);
    const b = pool.acquire(30_000);
    expect(b.backing).toBe(a.backing);
    expect(pool.retainedBytes).toBe(0);
    // a buffer still lent is never handed out twice
    const c = pool.acquire(25_000);
    expect(c.backing).not.toBe(b.backing);
  });

  it('does not pool small or oversized requests', () => {
    const pool = new BufferPool();
    const small = pool.acquire(POOL_MIN_BYTES - 1);
    const big = pool.acquire(3 * 1024 * 1024);
    expect(small.backing).toBeUndefined();
    expect(big.backing).toBeUndefined();
    expect(big.bytes.length).toBe(3 * 1024 * 1024);
    pool.release(small);
    pool.release(big);
    expect(pool.retainedBytes).toBe(0);
  });

  it('keeps at most two free buffers per class and POOL_MAX_RETAINED bytes in all', () => {
    const pool = new BufferPool();
    const leases = Array.from({ length: 5 }, () => pool.acquire(2 * 1024 * 1024));
    for (const l of leases) pool.release(l);
    expect(pool.retainedBytes).toBe(POOL_MAX_RETAINED);
    const small = Array.from({ length: 5 }, () => pool.acquire(16 * 1024));
    for (const l of small) pool.release(l);
    // the 2 MiB class already holds the whole budget: nothing more is kept
    expect(pool.retainedBytes).toBe(POOL_MAX_RETAINED);
    const fresh = new BufferPool();
    for (const l of Array.from({ length: 5 }, () => fresh.acquire(16 * 1024))) fresh.release(l);
    expect(fresh.retainedBytes).toBe(2 * 16 * 1024);
  });
});

describe('FileBytes (one copy of a file for every sink that reads it whole)', () => {
  /** A file's bytes in chunks, each overwritten once every handle has had it (as the walker reuses them). */
  function chunksOf(content: Buffer, size: number): Buffer[] {
    const out: Buffer[] = [];
    for (let at = 0; at < content.length; at += size) out.push(Buffer.from(content.subarray(at, at + size)));
    return out;
  }
  const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7 + 3) & 0xff));

  it('gives each handle of one file the whole file, from one shared copy', () => {
    const file = {};
    const a = new FileBytes(content.length, file);
    const b = new FileBytes(content.length, file);
    for (const chunk of chunksOf(content, 30_000)) {
      a.write(chunk);
      b.write(chunk);
      chunk.fill(0); // the walker reuses the chunk: nothing may still point into it
    }
    expect(a.read().equals(content)).toBe(true);
    expect(b.read().equals(content)).toBe(true);
    expect(a.read().buffer).toBe(b.read().buffer);
    a.release();
    // the copy lives on for the handle still reading
    expect(b.read().equals(content)).toBe(true);
    b.release();
    expect(b.read().length).toBe(0);
  });

  it('keeps copying for a handle after the other stopped early (a binary the secret sink dropped)', () => {
    const file = {};
    const secret = new FileBytes(content.length, file);
    const malware = new FileBytes(content.length, file);
    const chunks = chunksOf(content, 8192);
    secret.write(chunks[0]!);
    malware.write(chunks[0]!);
    secret.release();
    for (const chunk of chunks.slice(1)) malware.write(chunk);
    expect(malware.read().equals(content)).toBe(true);
    malware.release();
  });

  it('does not share between files, sizes, handles without an owner, or with a copy already written to', () => {
    const one = {};
    const two = {};
    const a = new FileBytes(content.length, one);
    const b = new FileBytes(content.length, two);
    const c = new FileBytes(content.length);
    const d = new FileBytes(content.length - 1, one);
    const other = Buffer.alloc(content.length, 0x5a);
    for (const [i, chunk] of chunksOf(content, 40_000).entries()) {
      a.write(chunk);
      b.write(chunksOf(other, 40_000)[i]!);
      c.write(chunk);
    }
    d.write(content.subarray(0, content.length - 1));
    expect(a.read().equals(content)).toBe(true);
    expect(b.read().equals(other)).toBe(true);
    expect(c.read().equals(content)).toBe(true);
    expect(d.read().equals(content.subarray(0, content.length - 1))).toBe(true);
    for (const x of [b, c, d]) expect(x.read().buffer).not.toBe(a.read().buffer);
    // `a` was never released: a new reader of the same file object must not find its stale copy
    const later = new FileBytes(content.length, one);
    later.write(other);
    expect(later.read().equals(other)).toBe(true);
    for (const x of [a, b, c, d, later]) x.release();
  });

  it('copies only the part no handle copied yet, however differently the handles were given the file', () => {
    const file = {};
    const a = new FileBytes(content.length, file);
    const b = new FileBytes(content.length, file);
    const coarse = chunksOf(content, 30_000);
    const fine = chunksOf(content, 7_000);
    // a runs ahead by one coarse chunk, b follows in finer cuts that straddle a's
    let f = 0;
    let bAt = 0;
    for (const chunk of coarse) {
      a.write(chunk);
      while (f < fine.length && bAt + fine[f]!.length <= (coarse.indexOf(chunk) + 1) * 30_000 + 3_000) {
        b.write(fine[f]!);
        bAt += fine[f++]!.length;
      }
    }
    while (f < fine.length) b.write(fine[f++]!);
    expect(a.read().equals(content)).toBe(true);
    expect(b.read().equals(content)).toBe(true);
    a.release();
    b.release();
  });

  it('never joins a copy left unreleased by an earlier read of the same file object', () => {
    const file = {};
    const chunk = Buffer.from(content);
    const earlier = new FileBytes(content.length, file);
    earlier.write(chunk); // read in place, never released (a sink that failed)
    chunk.fill(0); // and the walker reused the chunk
    const other = Buffer.alloc(content.length, 0x5a);
    const later = new FileBytes(content.length, file);
    later.write(other);
    expect(later.read().equals(other)).toBe(true);
    later.release();
  });

  it('reads a file that came in one chunk in place, for every handle', () => {
    const file = {};
    const a = new FileBytes(content.length, file);
    const b = new FileBytes(content.length, file);
    a.write(content);
    b.write(content);
    expect(a.read().buffer).toBe(content.buffer);
    expect(b.read().equals(content)).toBe(true);
    a.release();
    b.release();
  });
});
