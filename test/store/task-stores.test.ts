import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  createRedisTaskStore,
  createSqliteStore,
  createSqliteTaskStore,
} from '../../core/src/store/index.js';
import { applyRetention, type TaskLogEntry, type TaskStore } from '../../core/src/tasks/index.js';
import { skipReason } from '../helpers/env.js';
import { haveRedis, startRedis } from '../helpers/redis.js';
import { T0, fakeScan, queuedTask } from '../tasks/helpers.js';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function entry(reference: string): TaskLogEntry {
  return { reference, registry: 'r', outcome: 'scanned', durationMs: 5, at: iso(T0) };
}

function taskStoreContract(name: string, open: () => TaskStore | Promise<TaskStore>): void {
  describe(`${name} task store`, () => {
    it('creates, updates, lists newest first and reads logs in order', async () => {
      const s = await open();
      await s.create(queuedTask('a', iso(T0)));
      await s.create(queuedTask('b', iso(T0 + 1000)));
      await s.update({ ...queuedTask('a', iso(T0)), status: 'running' });
      expect((await s.get('a'))?.status).toBe('running');
      expect(await s.get('nope')).toBeUndefined();
      expect((await s.list()).map((t) => t.id)).toEqual(['b', 'a']);
      expect((await s.list({ limit: 1 })).map((t) => t.id)).toEqual(['b']);
      await s.appendLog('a', entry('one'));
      await s.appendLog('a', entry('two'));
      await s.appendLog('b', entry('other'));
      expect((await s.readLog('a')).map((e) => e.reference)).toEqual(['one', 'two']);
      await s.close();
    });

    it('keeps a cancel request through later updates, and refuses to cancel an ended task', async () => {
      const s = await open();
      await s.create({ ...queuedTask('c', iso(T0)), status: 'running' });
      expect(await s.requestCancel('c')).toBe(true);
      await s.update({ ...queuedTask('c', iso(T0)), status: 'running' }); // the engine, unaware
      expect((await s.get('c'))?.cancelRequested).toBe(true);
      await s.create({ ...queuedTask('d', iso(T0)), status: 'succeeded' });
      expect(await s.requestCancel('d')).toBe(false);
      expect(await s.requestCancel('missing')).toBe(false);
      await s.close();
    });

    it('remembers repositories per registry; undefined before the first task', async () => {
      const s = await open();
      expect(await s.knownRepositories('r1')).toBeUndefined();
      await s.addKnownRepositories('r1', []);
      expect(await s.knownRepositories('r1')).toEqual(new Set());
      await s.addKnownRepositories('r1', ['a', 'b']);
      await s.addKnownRepositories('r1', ['b', 'c']);
      expect(await s.knownRepositories('r1')).toEqual(new Set(['a', 'b', 'c']));
      expect(await s.knownRepositories('r2')).toBeUndefined();
      await s.close();
    });

    it('retention deletes tasks and logs older than retention.tasks, and keeps newer ones', async () => {
      const s = await open();
      await s.create(queuedTask('old', iso(T0 - 31 * DAY)));
      await s.create(queuedTask('new', iso(T0 - 29 * DAY)));
      await s.appendLog('old', entry('x'));
      await s.appendLog('new', entry('y'));
      const verdicts = createMemoryStore();
      const stored = (digest: string, at: number) => ({
        digest,
        scan: fakeScan(digest),
        scannedAt: iso(at),
        storedAt: iso(at),
        origin: 'scanner' as const,
      });
      await verdicts.put(stored('sha256:old', T0 - 91 * DAY));
      await verdicts.put(stored('sha256:seen', T0 - DAY));
      const deleted = await applyRetention(
        { tasksMs: 30 * DAY, vulnerabilitiesMs: 90 * DAY },
        { tasks: s, verdicts },
        T0,
      );
      expect(deleted).toEqual({ tasks: 1, results: 1 });
      expect(await s.get('old')).toBeUndefined();
      expect(await s.readLog('old')).toEqual([]);
      expect((await s.get('new'))?.id).toBe('new');
      expect(await s.readLog('new')).toHaveLength(1);
      expect(await verdicts.get('sha256:old')).toBeUndefined();
      expect((await verdicts.get('sha256:seen'))?.digest).toBe('sha256:seen');
      await s.close();
    });
  });
}

taskStoreContract('memory', () => createMemoryTaskStore());

describe('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-tasks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  taskStoreContract('sqlite', () => createSqliteTaskStore(join(dir, `t-${Math.random()}.sqlite`)));

  it('shares one file with the verdict store, and survives reopening', async () => {
    const path = join(dir, 'shared.sqlite');
    const tasks = createSqliteTaskStore(path);
    const verdicts = createSqliteStore(path);
    await tasks.create(queuedTask('x', iso(T0)));
    await verdicts.put({
      digest: 'sha256:a',
      scan: fakeScan('sha256:a'),
      scannedAt: iso(T0),
      storedAt: iso(T0),
      origin: 'scanner',
    });
    await tasks.close();
    await verdicts.close();
    const again = createSqliteTaskStore(path);
    expect((await again.get('x'))?.id).toBe('x');
    expect((await createSqliteStore(path).get('sha256:a'))?.digest).toBe('sha256:a');
    await again.close();
  });

  it('fails with STORE_UNAVAILABLE on a path it cannot open', () => {
    expect(() => createSqliteTaskStore('/nonexistent-dir/x/t.sqlite')).toThrow(
      expect.objectContaining({ code: 'STORE_UNAVAILABLE' }),
    );
  });
});

describe.skipIf(!haveRedis && skipReason('redis-server is not installed'))(
  'redis (real redis-server)',
  () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(() => redis?.stop());
    taskStoreContract('redis', () =>
      createRedisTaskStore({ url: redis.url, keyPrefix: `t${Math.random().toString(36).slice(2)}:` }),
    );
  },
);
