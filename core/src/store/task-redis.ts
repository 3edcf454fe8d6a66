import { Redis } from 'ioredis';
import { wrapError } from '../errors.js';
import type { TaskLogEntry, TaskRecord, TaskStore } from '../tasks/types.js';

/**
 * Tasks in Redis, shared by every process that runs or reads them. Keys (under the prefix): `task:ID` (JSON),
 * `task:ID:cancel`, `task:ID:log` (list), `tasks` (sorted by creation time), `known:REGISTRY` and
 * `known-registries` (auto-add's memory). The cancel request has its own key so an engine's update never
 * overwrites it.
 */
export function createRedisTaskStore(opts: { url: string; keyPrefix?: string }): TaskStore {
  const p = opts.keyPrefix ?? 'portcullis:';
  const client = new Redis(opts.url, {
    enableOfflineQueue: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 2000,
    retryStrategy: (times) => (times > 5 ? null : Math.min(times * 200, 1000)),
  });
  client.on('error', () => {});
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw wrapError(err, `task store (redis) ${what}`, 'STORE_UNAVAILABLE');
    }
  };
  const read = async (id: string): Promise<TaskRecord | undefined> => {
    const [body, cancel] = await Promise.all([
      client.get(`${p}task:${id}`),
      client.get(`${p}task:${id}:cancel`),
    ]);
    if (body === null) return undefined;
    const t = JSON.parse(body) as TaskRecord;
    return cancel ? { ...t, cancelRequested: true } : t;
  };
  const bodyOf = (task: TaskRecord): string => {
    const { cancelRequested: _c, ...body } = task;
    return JSON.stringify(body);
  };
  return {
    kind: 'redis',
    async create(task) {
      await guard('create', () =>
        client
          .multi()
          .set(`${p}task:${task.id}`, bodyOf(task))
          .zadd(`${p}tasks`, Date.parse(task.createdAt), task.id)
          .exec(),
      );
    },
    async update(task) {
      await guard('update', () => client.set(`${p}task:${task.id}`, bodyOf(task)));
    },
    async get(id) {
      return guard('get', () => read(id));
    },
    async list(o = {}) {
      return guard('list', async () => {
        const ids = await client.zrevrange(`${p}tasks`, 0, o.limit === undefined ? -1 : o.limit - 1);
        const all = await Promise.all(ids.map(read));
        return all.filter((t): t is TaskRecord => t !== undefined);
      });
    },
    async requestCancel(id) {
      return guard('cancel', async () => {
        const t = await read(id);
        if (!t || (t.status !== 'queued' && t.status !== 'running')) return false;
        await client.set(`${p}task:${id}:cancel`, '1');
        return true;
      });
    },
    async appendLog(id, entry) {
      await guard('log', () => client.rpush(`${p}task:${id}:log`, JSON.stringify(entry)));
    },
    async readLog(id) {
      const items = await guard('log', () => client.lrange(`${p}task:${id}:log`, 0, -1));
      return items.map((s) => JSON.parse(s) as TaskLogEntry);
    },
    async knownRepositories(registry) {
      return guard('known', async () => {
        if (!(await client.sismember(`${p}known-registries`, registry))) return undefined;
        return new Set(await client.smembers(`${p}known:${registry}`));
      });
    },
    async addKnownRepositories(registry, repositories) {
      await guard('known', () => {
        const m = client.multi().sadd(`${p}known-registries`, registry);
        if (repositories.length > 0) m.sadd(`${p}known:${registry}`, ...repositories);
        return m.exec();
      });
    },
    async deleteTasksBefore(cutoff) {
      return guard('retention', async () => {
        const ids = await client.zrangebyscore(`${p}tasks`, '-inf', `(${Date.parse(cutoff)}`);
        if (ids.length === 0) return 0;
        const m = client.multi();
        for (const id of ids) m.del(`${p}task:${id}`, `${p}task:${id}:cancel`, `${p}task:${id}:log`);
        m.zrem(`${p}tasks`, ...ids);
        await m.exec();
        return ids.length;
      });
    },
    async close() {
      client.disconnect();
    },
  };
}
