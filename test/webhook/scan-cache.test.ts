import { describe, expect, it } from 'vitest';
import { createScanCache, createTtlCache } from '../../webhook/src/scan-cache.js';
import type { StoredScan } from '../../webhook/src/index.js';

describe('createTtlCache', () => {
  it('forgets entries after ttlMs and evicts the oldest insertion when full', () => {
    let t = 0;
    const cache = createTtlCache<number>({ ttlMs: 100, maxEntries: 2, now: () => t });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3); // re-inserting a key neither grows the cache nor evicts another
    expect([cache.get('a'), cache.get('b'), cache.size()]).toEqual([3, 2, 2]);
    cache.set('c', 4); // full: `b` is now the oldest insertion
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
    t = 100;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size()).toBe(1);
  });

  it('caches nothing with ttlMs 0', () => {
    const cache = createTtlCache<number>({ ttlMs: 0, maxEntries: 2 });
    cache.set('a', 1);
    expect([cache.get('a'), cache.size()]).toEqual([undefined, 0]);
  });
});

describe('createScanCache', () => {
  it('keys stored scans by their digest', () => {
    const cache = createScanCache({ ttlMs: 1000, maxEntries: 10 });
    const entry = { digest: `sha256:${'a'.repeat(64)}` } as StoredScan;
    cache.set(entry);
    expect(cache.get(entry.digest)).toBe(entry);
    expect(cache.get(`sha256:${'b'.repeat(64)}`)).toBeUndefined();
  });
});
