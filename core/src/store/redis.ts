import { ADMISSION_LOG_CAP, parseAdmissionEvent, toAdmissionLimit } from './verdict-store.js';
import { Redis } from 'ioredis';
import { wrapError } from '../errors.js';
import {
  parseStoredScan,
  toAdvisoryHits,
  toAdvisoryKey,
  toStoredProjection,
  type AdvisoryHit,
  type StoredScan,
  type VerdictStore,
} from './verdict-store.js';

/*
 * The reverse index: the hash `adv:KEY` maps each digest with that advisory to its hit (JSON), the set
 * `scan-adv:DIGEST` holds the keys a result is indexed under (with the member '#', so an indexed result
 * without advisories is told from an unindexed one). Scripts keep a result and its index in step atomically:
 * a put first removes the keys of the result it replaces, so no replica ever finds a stale entry.
 */
const UNINDEX = `local function unindex(p, d)
  local idx = p .. 'scan-adv:' .. d
  for _, a in ipairs(redis.call('SMEMBERS', idx)) do
    if a ~= '#' then redis.call('HDEL', p .. 'adv:' .. a, d) end
  end
  redis.call('DEL', idx)
end
local function index(p, d, from)
  local idx = p .. 'scan-adv:' .. d
  redis.call('SADD', idx, '#')
  for i = from, #ARGV, 2 do
    redis.call('HSET', p .. 'adv:' .. ARGV[i], d, ARGV[i + 1])
    redis.call('SADD', idx, ARGV[i])
  end
end
`;
// ARGV: prefix, digest, body, score, projection, then key and hit (JSON) pairs
const PUT_SCRIPT = `${UNINDEX}
local p, d = ARGV[1], ARGV[2]
unindex(p, d)
redis.call('SET', p .. 'scan:' .. d, ARGV[3])
redis.call('SET', p .. 'proj:' .. d, ARGV[5])
redis.call('ZADD', p .. 'scans-by-stored', ARGV[4], d)
index(p, d, 6)
return 1`;
// ARGV: prefix, digest, projection — projects a result stored before projections existed, unless a put did since
const PROJECT_SCRIPT = `local p, d = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'scan:' .. d) == 0 then return 0 end
if redis.call('SET', p .. 'proj:' .. d, ARGV[3], 'NX') then return 1 end
return 0`;
// ARGV: prefix, digest, key/hit pairs — indexes a result stored before the index existed, unless a put did since
const BACKFILL_SCRIPT = `${UNINDEX}
local p, d = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'scan-adv:' .. d) == 1 then return 0 end
if redis.call('EXISTS', p .. 'scan:' .. d) == 0 then return 0 end
index(p, d, 3)
return 1`;
// ARGV: prefix, digests…
const DELETE_SCRIPT = `${UNINDEX}
local p = ARGV[1]
for i = 2, #ARGV do
  unindex(p, ARGV[i])
  redis.call('DEL', p .. 'scan:' .. ARGV[i])
  redis.call('DEL', p .. 'proj:' .. ARGV[i])
  redis.call('ZREM', p .. 'scans-by-stored', ARGV[i])
end
return #ARGV - 1`;

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
  const readAll = async (digests: string[], what: string) => {
    const out = [];
    // bounded batches: one MGET per 500 keys keeps each reply small
    for (let i = 0; i < digests.length; i += 500) {
      const keys = digests.slice(i, i + 500).map((d) => `${prefix}scan:${d}`);
      const values = await guard(what, () => client.mget(...keys));
      for (const v of values) {
        const parsed = v === null ? undefined : parseStoredScan(v);
        if (parsed) out.push(parsed);
      }
    }
    return out;
  };
  // Results stored by a version without the index are indexed once (any replica; the script is idempotent
  // and never overrides what a put indexed since), then a marker key says it is done.
  let indexed = false;
  const ensureIndexed = async (): Promise<void> => {
    if (indexed) return;
    const marker = `${prefix}adv-indexed`;
    if (!(await guard('find', () => client.exists(marker)))) {
      const digests = await guard('find', () => client.zrange(`${prefix}scans-by-stored`, 0, -1));
      for (let i = 0; i < digests.length; i += 500)
        for (const e of await readAll(digests.slice(i, i + 500), 'find'))
          await guard('find', () => client.eval(BACKFILL_SCRIPT, 0, prefix, e.digest, ...toPairs(e)));
      await guard('find', () => client.set(marker, '1'));
    }
    indexed = true;
  };
  return {
    kind: 'redis',
    async get(digest) {
      const v = await guard('get', () => client.get(`${prefix}scan:${digest}`));
      return v === null ? undefined : parseStoredScan(v);
    },
    async put(entry) {
      // the sorted set (score: storedAt) lets retention find old entries without scanning every key
      const score = String(Date.parse(entry.storedAt) || 0);
      await guard('put', () =>
        client.eval(
          PUT_SCRIPT,
          0,
          prefix,
          entry.digest,
          JSON.stringify(entry),
          score,
          JSON.stringify(toStoredProjection(entry)),
          ...toPairs(entry),
        ),
      );
    },
    async list() {
      return readAll(await guard('list', () => client.zrange(`${prefix}scans-by-stored`, 0, -1)), 'list');
    },
    async listProjections() {
      const digests = await guard('list', () => client.zrange(`${prefix}scans-by-stored`, 0, -1));
      const out: StoredScan[] = [];
      for (let i = 0; i < digests.length; i += 500) {
        const batch = digests.slice(i, i + 500);
        const values = await guard('list', () => client.mget(...batch.map((d) => `${prefix}proj:${d}`)));
        const missing = batch.filter((_, k) => values[k] === null);
        for (const v of values) {
          const parsed = v === null ? undefined : parseStoredScan(v);
          if (parsed) out.push(parsed);
        }
        // results stored before projections existed: projected from the full result once, then kept
        for (const e of await readAll(missing, 'list')) {
          const projection = toStoredProjection(e);
          await guard('list', () =>
            client.eval(PROJECT_SCRIPT, 0, prefix, e.digest, JSON.stringify(projection)),
          );
          out.push(projection);
        }
      }
      return out;
    },
    async findByAdvisory(id) {
      await ensureIndexed();
      const hits = await guard('find', () => client.hgetall(`${prefix}adv:${toAdvisoryKey(id)}`));
      return Object.keys(hits)
        .sort()
        .map((d) => JSON.parse(hits[d] as string) as AdvisoryHit);
    },
    async deleteStoredBefore(cutoff) {
      const index = `${prefix}scans-by-stored`;
      const old = await guard('delete', () => client.zrangebyscore(index, '-inf', `(${Date.parse(cutoff)}`));
      if (old.length === 0) return 0;
      await guard('delete', () => client.eval(DELETE_SCRIPT, 0, prefix, ...old));
      return old.length;
    },
    async claimOnce(key, ttlSeconds) {
      const r = await guard('claim', () =>
        client.set(`${prefix}claim:${key}`, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'),
      );
      return r === 'OK';
    },
    async saveSnapshot(name, body) {
      // one hash per snapshot: body and time replaced together by one HSET
      const savedAt = new Date().toISOString();
      await guard('save snapshot', () => client.hset(`${prefix}snapshot:${name}`, { body, savedAt }));
    },
    async readSnapshot(name) {
      const h = await guard('read snapshot', () => client.hgetall(`${prefix}snapshot:${name}`));
      return typeof h.body === 'string' && typeof h.savedAt === 'string'
        ? { body: h.body, savedAt: h.savedAt }
        : undefined;
    },
    async ping() {
      await guard('ping', () => client.ping());
    },
    async close() {
      client.disconnect();
    },
    async recordAdmissions(events) {
      if (events.length === 0) return;
      // one MULTI: every replica's push and the cap apply together (a capped list, newest first: LPUSH puts
      // its last argument at the head)
      const key = `${prefix}admissions`;
      await guard('record admission', async () => {
        const replies = await client
          .multi()
          .lpush(key, ...events.map((e) => JSON.stringify(e)))
          .ltrim(key, 0, ADMISSION_LOG_CAP - 1)
          .exec();
        // exec resolves with per-command errors rather than rejecting: surface the first
        const failed = replies?.find(([err]) => err)?.[0];
        if (failed) throw failed;
      });
    },
    async listAdmissions(limit) {
      const n = toAdmissionLimit(limit);
      if (n === 0) return [];
      const values = await guard('list admissions', () => client.lrange(`${prefix}admissions`, 0, n - 1));
      return values.flatMap((v) => parseAdmissionEvent(v) ?? []);
    },
  };
}

/** A result's index entries as script arguments: key, hit JSON, key, hit JSON, … */
function toPairs(entry: StoredScan): string[] {
  return [...toAdvisoryHits(entry)].flatMap(([k, hit]) => [k, JSON.stringify(hit)]);
}
