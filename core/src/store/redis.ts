import { Redis } from 'ioredis';
import { wrapError } from '../errors.js';
import { parseStoredScan, type VerdictStore } from './verdict-store.js';

export interface RedisStoreOptions {
  url: string;
  keyPrefix?: string;
  /** Per-command timeout: a hung Redis must not hold an admission answer past the deadline. */
  commandTimeoutMs?: number;
}

/**
 * Redis store shared by all replicas. Commands fail fast while disconnected (no offline queue, no retries per
 * request) so the webhook can answer per its failure mode within the deadline; the client keeps reconnecting
 * in the background and the store recovers by itself.
 */
export function createRedisStore(opts: RedisStoreOptions): VerdictStore {
  const prefix = opts.keyPrefix ?? 'portcullis:';
  const client = new Redis(opts.url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  // ioredis emits 'error' on every failed reconnect; the failures surface through rejected commands instead.
  client.on('error', () => {});
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw wrapError(err, `verdict store (redis) ${what}`, 'WEBHOOK_STORE_UNAVAILABLE');
    }
  };
  return {
    kind: 'redis',
    async get(digest) {
      const v = await guard('get', () => client.get(`${prefix}scan:${digest}`));
      return v === null ? undefined : parseStoredScan(v);
    },
    async put(entry) {
      // the sorted set (score: storedAt) lets retention find old entries without scanning every key
      await guard('put', () =>
        client
          .multi()
          .set(`${prefix}scan:${entry.digest}`, JSON.stringify(entry))
          .zadd(`${prefix}scans-by-stored`, Date.parse(entry.storedAt) || 0, entry.digest)
          .exec(),
      );
    },
    async list() {
      const digests = await guard('list', () => client.zrange(`${prefix}scans-by-stored`, 0, -1));
      const out = [];
      // bounded batches: one MGET per 500 keys keeps each reply small
      for (let i = 0; i < digests.length; i += 500) {
        const keys = digests.slice(i, i + 500).map((d) => `${prefix}scan:${d}`);
        const values = await guard('list', () => client.mget(...keys));
        for (const v of values) {
          const parsed = v === null ? undefined : parseStoredScan(v);
          if (parsed) out.push(parsed);
        }
      }
      return out;
    },
    async deleteStoredBefore(cutoff) {
      const index = `${prefix}scans-by-stored`;
      const old = await guard('delete', () => client.zrangebyscore(index, '-inf', `(${Date.parse(cutoff)}`));
      if (old.length === 0) return 0;
      await guard('delete', () =>
        client
          .multi()
          .del(...old.map((d) => `${prefix}scan:${d}`))
          .zrem(index, ...old)
          .exec(),
      );
      return old.length;
    },
    async claimOnce(key, ttlSeconds) {
      const r = await guard('claim', () =>
        client.set(`${prefix}claim:${key}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'),
      );
      return r === 'OK';
    },
    async ping() {
      await guard('ping', () => client.ping());
    },
    async close() {
      client.disconnect();
    },
  };
}
