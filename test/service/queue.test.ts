import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTaskStore } from '../../core/src/store/index.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_REGISTRY } from '../helpers/env.js';
import { haveRedis, startRedis } from '../helpers/redis.js';
import { createScratch } from '../e2e/helpers.js';
import { ADMIN_TOKEN, TOKENS_YAML } from './helpers.js';
import { callApi, startServe, waitFor, type ServeProcess } from './processes.js';

/** Jobs ever added to a registry's queue (BullMQ keeps one hash per job under `portcullis:scan-NAME:ID`). */
async function countJobs(url: string, registry: string): Promise<number> {
  const r = new Redis(url);
  try {
    const keys = await r.keys(`portcullis:scan-${registry}:*`);
    return keys.filter((k) => /:[^:]+_sha256-[a-f0-9]{64}$/.test(k)).length;
  } finally {
    r.disconnect();
  }
}

const NO_REDIS = 'redis-server is not installed (.ci/run installs it)';

interface LogEntry {
  reference: string;
  digest?: string;
  outcome: string;
}

/**
 * Three real `portcullis serve` processes on one Redis (store and BullMQ queue): A takes API calls and
 * coordinates (no worker), B and C are workers. The first image's worker is killed with SIGKILL mid-scan; the
 * job is retried by the other after BullMQ's (shortened) stalled check, and every image ends with one result.
 */
describe.skipIf((!haveTestImages && skipReason(NO_IMAGES_REASON)) || (!haveRedis && skipReason(NO_REDIS)))(
  'serve --queue redis: workers on BullMQ across processes',
  () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    let scratch: Awaited<ReturnType<typeof createScratch>>;
    const procs: ServeProcess[] = [];
    let a: ServeProcess;
    let b: ServeProcess;
    let c: ServeProcess;

    beforeAll(async () => {
      redis = await startRedis();
      scratch = await createScratch('service-queue');
      await writeFile(
        join(scratch.dir, 'policy.yaml'),
        [
          'apiVersion: portcullis/v1',
          'registries:',
          '  - name: loopback',
          '    kind: distribution',
          `    url: http://${TEST_REGISTRY}`,
          '    throttle: { imagesPerHour: 100 }',
          // the same registry under a second name, one image per hour: its queue's limiter lives in Redis
          '  - name: hourly',
          '    kind: distribution',
          `    url: http://${TEST_REGISTRY}`,
          '    throttle: { imagesPerHour: 1 }',
        ].join('\n'),
      );
      await writeFile(join(scratch.dir, 'tokens.yaml'), TOKENS_YAML);
      const env = {
        HOME: scratch.dir,
        PORTCULLIS_QUEUE_STALLED_MS: '1000',
        PORTCULLIS_QUEUE_LOCK_MS: '2000',
      };
      const common = [
        '--queue',
        redis.url,
        '--policy',
        join(scratch.dir, 'policy.yaml'),
        '--tokens',
        join(scratch.dir, 'tokens.yaml'),
      ];
      [a, b, c] = await Promise.all([
        startServe([...common, '--concurrency', '0'], env),
        startServe(common, env),
        startServe(common, env),
      ]);
      procs.push(a, b, c);
    }, 120_000);

    afterAll(async () => {
      await Promise.all(procs.map((p) => p.kill9()));
      redis?.stop();
      await scratch?.cleanup();
    });

    it('holds a registry throttle across replicas: two tasks started on two replicas scan one image an hour', async () => {
      const t1 = await callApi(a.port, ADMIN_TOKEN, 'POST', '/api/v1/tasks', {
        registries: ['hourly'],
        scanners: ['baseline'],
      });
      const t2 = await callApi(b.port, ADMIN_TOKEN, 'POST', '/api/v1/tasks', {
        registries: ['hourly'],
        scanners: ['baseline'],
      });
      expect([t1.status, t2.status], JSON.stringify([t1.body, t2.body])).toEqual([202, 202]);
      const scanned = async (): Promise<number> => {
        let n = 0;
        for (const t of [t1, t2]) {
          const log = await callApi(a.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${t.body.id}/log`);
          n += (log.body.items as LogEntry[]).filter((e) => e.outcome === 'scanned').length;
        }
        return n;
      };
      await waitFor('the first throttled image', async () => ((await scanned()) >= 1 ? true : undefined));
      // each task's own throttle lets its first image go: both are queued, the shared limiter holds the second
      const queued = await waitFor('both tasks to queue an image', async () => {
        const keys = await countJobs(redis.url, 'hourly');
        return keys >= 2 ? keys : undefined;
      });
      expect(queued).toBe(2);
      // several stalled-check periods and job polls later, still one
      await new Promise((r) => setTimeout(r, 5000));
      expect(await scanned()).toBe(1);
      for (const t of [t1, t2])
        await callApi(a.port, ADMIN_TOKEN, 'POST', `/api/v1/tasks/${t.body.id}/cancel`);
      for (const t of [t1, t2])
        await waitFor('the cancelled task to end', async () => {
          const r = await callApi(a.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${t.body.id}`);
          return r.body.status === 'cancelled' ? true : undefined;
        });
    }, 120_000);

    it('scans every image of a task once although the worker scanning the first image was killed', async () => {
      expect(a.stderr()).toContain('queue redis');
      // whichever worker starts the task's first job is killed (SIGKILL) the moment it says so: mid-scan
      let killed: { proc: ServeProcess; job: unknown } | undefined;
      for (const p of [b, c])
        p.onLog((l) => {
          if (killed || l.msg !== 'scan job started' || l.registry !== 'loopback') return;
          p.child.kill('SIGKILL');
          killed = { proc: p, job: l.job };
        });
      const started = await callApi(a.port, ADMIN_TOKEN, 'POST', '/api/v1/tasks', {
        registries: ['loopback'],
        scanners: ['secret', 'baseline'],
      });
      expect(started.status).toBe(202);
      const id = started.body.id as string;
      const ofTask = (l: Record<string, unknown>): boolean => String(l.job).startsWith(`${id}_`);
      const { proc: victim, job } = await waitFor('a worker to start a scan job', () => killed);
      expect(String(job)).toMatch(new RegExp(`^${id}_sha256-`));
      await victim.kill9();
      expect(victim.logLines().some((l) => l.msg === 'scan job done' && l.job === job)).toBe(false);
      const survivor = victim === b ? c : b;

      let lastSeen: unknown;
      const task = await waitFor(
        () =>
          `the task to end (last ${JSON.stringify(lastSeen)}) (coordinator ${JSON.stringify(a.logLines().slice(-4)).slice(0, 1500)}) (survivor said ${JSON.stringify(survivor.logLines().slice(-3))} ${survivor.stderr().slice(-500)}; coordinator ${JSON.stringify(a.logLines().slice(-3))})`,
        async () => {
          const t = await callApi(a.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${id}`);
          lastSeen = t.body;
          return ['succeeded', 'partial', 'failed'].includes(t.body.status) ? t.body : undefined;
        },
        180_000,
      );
      expect(task.status).toBe('succeeded');
      expect(task.progress).toEqual({ inScope: 4, scanned: 4, skipped: 0, failed: 0, notScanned: 0 });

      // the killed job was retried and finished by the survivor
      expect(survivor.logLines().some((l) => l.msg === 'scan job started' && l.job === job)).toBe(true);
      expect(survivor.logLines().some((l) => l.msg === 'scan job done' && l.job === job)).toBe(true);

      // one log entry per image, each scanned; one stored result per digest
      const log = await callApi(a.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${id}/log`);
      const entries = log.body.items as LogEntry[];
      expect(entries).toHaveLength(4);
      expect(entries.every((e) => e.outcome === 'scanned')).toBe(true);
      const digests = entries.map((e) => e.digest);
      expect(new Set(digests).size).toBe(4);
      const images = await callApi(a.port, ADMIN_TOKEN, 'GET', '/api/v1/images');
      expect(images.body.total).toBe(4);
      expect(images.body.items.map((i: { digest: string }) => i.digest).sort()).toEqual([...digests].sort());

      // every job completed exactly once across the replicas (the killed attempt never completed)
      const done = [b, c].flatMap((p) =>
        p
          .logLines()
          .filter((l) => l.msg === 'scan job done' && ofTask(l))
          .map((l) => l.job),
      );
      expect(done).toHaveLength(4);
      expect(new Set(done).size).toBe(4);
      // the coordinator scanned nothing itself
      expect(a.logLines().some((l) => l.msg === 'scan job started')).toBe(false);
      expect(survivor.logLines().filter((l) => l.msg === 'scan job started' && l.job === job)).toHaveLength(
        1,
      );

      // the task and its log live in the shared Redis, readable by any replica
      const store = createRedisTaskStore({ url: redis.url, keyPrefix: 'portcullis:' });
      try {
        expect((await store.get(id))?.status).toBe('succeeded');
      } finally {
        await store.close();
      }
      const fromSurvivor = await callApi(survivor.port, ADMIN_TOKEN, 'GET', `/api/v1/tasks/${id}`);
      expect(fromSurvivor.body.status).toBe('succeeded');
    }, 300_000);

    it('refuses --queue with a store the replicas cannot share', async () => {
      await expect(
        startServe(
          ['--queue', redis.url, '--store', 'memory', '--tokens', join(scratch.dir, 'tokens.yaml')],
          {
            HOME: scratch.dir,
          },
        ),
      ).rejects.toThrow(/SERVICE_CONFIG_INVALID: --queue needs a store every replica shares/);
      // nothing of the refused process is left in Redis' queue
      const r = new Redis(redis.url);
      try {
        expect(await r.ping()).toBe('PONG');
      } finally {
        r.disconnect();
      }
    }, 60_000);
  },
);
