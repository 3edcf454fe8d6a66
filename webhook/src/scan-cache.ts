import type { StoredScan } from './store/index.js';

/**
 * A small in-process read-through cache of stored scans (hits only), so a cached decision costs no store round
 * trip and no JSON parse. Entries live `ttlMs`: a scan pushed to another replica replaces this one within that
 * time; misses are never cached, so a newly scanned image is seen at once. The policy is still evaluated on
 * every admission, so a policy change applies immediately.
 */
export interface ScanCache {
  get(digest: string): StoredScan | undefined;
  set(entry: StoredScan): void;
  size(): number;
}

export function createScanCache(opts: { ttlMs: number; maxEntries: number; now?: () => number }): ScanCache {
  const cache = createTtlCache<StoredScan>(opts);
  return {
    get: (digest) => cache.get(digest),
    set: (entry) => cache.set(entry.digest, entry),
    size: () => cache.size(),
  };
}

/**
 * A bounded map whose entries live `ttlMs` (0 = cache nothing); when full, the oldest insertion goes. Used for
 * stored scans, tag → digest answers, and per-image judgements keyed by policy digest, image digest, reference,
 * namespace and the stored scan's time: the same pod admitted again within `ttlMs` under the same policy costs
 * no evaluation. A policy change gives a new key, so it still applies at once; time-based conditions
 * (exception expiry, DB and verdict age) are at most `ttlMs` late.
 */
export interface TtlCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
  size(): number;
}

export function createTtlCache<T>(opts: {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}): TtlCache<T> {
  const now = opts.now ?? Date.now;
  const map = new Map<string, { value: T; expires: number }>();
  return {
    get(key) {
      const hit = map.get(key);
      if (!hit) return undefined;
      if (hit.expires <= now()) {
        map.delete(key);
        return undefined;
      }
      return hit.value;
    },
    set(key, value) {
      if (opts.ttlMs <= 0) return;
      // Re-inserting moves the key to the newest end, and does not count against the bound.
      map.delete(key);
      if (map.size >= opts.maxEntries) {
        // Evict the oldest insertion; Map keeps insertion order.
        const oldest = map.keys().next().value;
        if (oldest !== undefined) map.delete(oldest);
      }
      map.set(key, { value, expires: now() + opts.ttlMs });
    },
    size: () => map.size,
  };
}
