import type { StoredScan, VerdictStore } from './verdict-store.js';

/** In-process store for tests and single-replica trials. Entries are cloned, as a real store would serialise them. */
export function createMemoryStore(opts: { now?: () => number } = {}): VerdictStore {
  const now = opts.now ?? Date.now;
  const scans = new Map<string, string>();
  const claims = new Map<string, number>();
  return {
    kind: 'memory',
    async get(digest) {
      const v = scans.get(digest);
      return v === undefined ? undefined : (JSON.parse(v) as StoredScan);
    },
    async put(entry) {
      scans.set(entry.digest, JSON.stringify(entry));
    },
    async list() {
      return [...scans.values()].map((v) => JSON.parse(v) as StoredScan);
    },
    async claimOnce(key, ttlSeconds) {
      const t = now();
      for (const [k, exp] of claims) if (exp <= t) claims.delete(k);
      if (claims.has(key)) return false;
      claims.set(key, t + ttlSeconds * 1000);
      return true;
    },
    async deleteStoredBefore(cutoff) {
      let n = 0;
      for (const [digest, v] of scans)
        if ((JSON.parse(v) as StoredScan).storedAt < cutoff) {
          scans.delete(digest);
          n++;
        }
      return n;
    },
    async ping() {},
    async close() {
      scans.clear();
      claims.clear();
    },
  };
}
