import { describe, expect, it } from 'vitest';
import { BufferPool, POOL_MAX_RETAINED, POOL_MIN_BYTES } from '../../core/src/layers/buffer-pool.js';

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
