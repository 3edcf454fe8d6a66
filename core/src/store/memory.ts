import { ADMISSION_LOG_CAP, parseAdmissionEvent, toAdmissionLimit } from './verdict-store.js';
import {
  toAdvisoryHits,
  toAdvisoryKey,
  toStoredProjection,
  type AdvisoryHit,
  type SavedSnapshot,
  type StoredScan,
  type VerdictStore,
} from './verdict-store.js';

/** In-process store for tests and single-replica trials. Entries are cloned, as a real store would serialise them. */
export function createMemoryStore(opts: { now?: () => number } = {}): VerdictStore {
  const now = opts.now ?? Date.now;
  const scans = new Map<string, string>();
  // kept beside the results, as the other stores do: listProjections parses only these
  const projections = new Map<string, string>();
  const claims = new Map<string, number>();
  const snapshots = new Map<string, SavedSnapshot>();
  // reverse index: advisory key → digest → hit (JSON), and each digest's keys (a replaced result drops its own)
  const byAdvisory = new Map<string, Map<string, string>>();
  const keysOf = new Map<string, string[]>();
  const unindex = (digest: string): void => {
    for (const k of keysOf.get(digest) ?? []) {
      const hits = byAdvisory.get(k);
      hits?.delete(digest);
      if (hits?.size === 0) byAdvisory.delete(k);
    }
    keysOf.delete(digest);
  };
  return {
    kind: 'memory',
    async get(digest) {
      const v = scans.get(digest);
      return v === undefined ? undefined : (JSON.parse(v) as StoredScan);
    },
    async put(entry) {
      scans.set(entry.digest, JSON.stringify(entry));
      projections.set(entry.digest, JSON.stringify(toStoredProjection(entry)));
      unindex(entry.digest);
      const hits = toAdvisoryHits(entry);
      keysOf.set(entry.digest, [...hits.keys()]);
      for (const [k, hit] of hits)
        byAdvisory.set(k, (byAdvisory.get(k) ?? new Map()).set(entry.digest, JSON.stringify(hit)));
    },
    async list() {
      return [...scans.values()].map((v) => JSON.parse(v) as StoredScan);
    },
    async listProjections() {
      return [...projections.values()].map((v) => JSON.parse(v) as StoredScan);
    },
    async findByAdvisory(id) {
      const hits = [...(byAdvisory.get(toAdvisoryKey(id)) ?? new Map<string, string>())];
      return hits.sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => JSON.parse(v) as AdvisoryHit);
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
          projections.delete(digest);
          unindex(digest);
          n++;
        }
      return n;
    },
    async saveSnapshot(name, body) {
      snapshots.set(name, { body, savedAt: new Date(now()).toISOString() });
    },
    async readSnapshot(name) {
      const s = snapshots.get(name);
      return s && { ...s };
    },
    async ping() {},
    async close() {
      scans.clear();
      projections.clear();
      claims.clear();
      snapshots.clear();
      byAdvisory.clear();
      keysOf.clear();
    },
    ...createMemoryAdmissionLog(),
  };
}

/** The admission log's methods with their state (newest first, as JSON: cloned as the other stores serialise). */
function createMemoryAdmissionLog(): Pick<VerdictStore, 'recordAdmissions' | 'listAdmissions'> {
  const admissions: string[] = [];
  return {
    async recordAdmissions(events) {
      for (const event of events) admissions.unshift(JSON.stringify(event));
      if (admissions.length > ADMISSION_LOG_CAP) admissions.length = ADMISSION_LOG_CAP;
    },
    async listAdmissions(limit) {
      return admissions.slice(0, toAdmissionLimit(limit)).flatMap((v) => parseAdmissionEvent(v) ?? []);
    },
  };
}
