import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../../core/src/index.js';
import { createMemoryStore, createMemoryTaskStore } from '../../core/src/store/index.js';
import {
  createThrottle,
  runTask,
  type ListedImage,
  type RunTaskOptions,
  type TaskRegistry,
} from '../../core/src/tasks/index.js';
import {
  HOUR,
  T0,
  createMemoryLister,
  createVirtualClock,
  fakeScan,
  manyImages,
  queuedTask,
  type TestImage,
} from './helpers.js';

const iso = (ms: number): string => new Date(ms).toISOString();

interface Setup {
  registries: TaskRegistry[];
  timeout?: string;
  timeRange?: string;
  scanMs?: number;
  onScan?: (image: ListedImage, at: number) => void | Promise<void>;
  failFor?: (image: ListedImage) => Error | undefined;
  taskId?: string;
  store?: ReturnType<typeof createMemoryTaskStore>;
  signal?: AbortSignal;
}

const DURATION: Record<string, number> = { '4h': 4 * HOUR, '1h': HOUR, '7d': 7 * 24 * HOUR };

async function run(s: Setup) {
  const clock = createVirtualClock();
  const store = s.store ?? createMemoryTaskStore();
  const verdicts = createMemoryStore();
  const task = queuedTask(s.taskId);
  await store.create(task);
  const starts: number[] = [];
  const flight = { now: 0, max: 0 };
  const opts: RunTaskOptions = {
    task,
    registries: s.registries,
    ...(s.timeout ? { timeout: { ms: DURATION[s.timeout] as number, text: s.timeout } } : {}),
    ...(s.timeRange ? { timeRange: { ms: DURATION[s.timeRange] as number, text: s.timeRange } } : {}),
    async scanImage(image) {
      starts.push(clock.now());
      flight.max = Math.max(flight.max, ++flight.now);
      try {
        await s.onScan?.(image, clock.now());
        if (s.scanMs) await clock.sleep(s.scanMs);
        const err = s.failFor?.(image);
        if (err) throw err;
        return fakeScan(image.digest, ['critical', 'high', 'high']);
      } finally {
        flight.now--;
      }
    },
    resolveDigest: async () => {
      throw new Error('every test image is listed with its digest');
    },
    store,
    verdictStore: verdicts,
    clock,
    cancelPollMs: 60_000,
    ...(s.signal ? { signal: s.signal } : {}),
  };
  const result = await runTask(opts);
  return {
    result,
    log: await store.readLog(task.id),
    starts,
    store,
    verdicts,
    clock,
    maxInFlight: flight.max,
  };
}

function reg(
  name: string,
  repos: Record<string, TestImage[]>,
  settings: Partial<TaskRegistry['settings']> = {},
  lister = createMemoryLister(name, repos),
): TaskRegistry {
  return { settings: { name, ...settings }, lister };
}

/** The most starts in any half-open hour [t, t + 1h). */
function maxPerHour(starts: number[]): number {
  let max = 0;
  for (const s of starts) max = Math.max(max, starts.filter((x) => x >= s && x < s + HOUR).length);
  return max;
}

describe('runTask', () => {
  describe('throttle (per registry, exact) and timeout', () => {
    it("holds the seed's example: 200 images at 10/hour with a 4h timeout → 40 scanned, 160 not scanned (timeout), timed-out", async () => {
      const { result, log, starts } = await run({
        registries: [
          reg('harbor-prod', { 'team-a/app': manyImages(200) }, { throttle: { imagesPerHour: 10 } }),
        ],
        timeout: '4h',
      });
      expect(result.status).toBe('timed-out');
      expect(result.progress).toEqual({ inScope: 200, scanned: 40, skipped: 0, failed: 0, notScanned: 160 });
      expect(log.filter((e) => e.outcome === 'scanned')).toHaveLength(40);
      const notScanned = log.filter((e) => e.outcome === 'not-scanned');
      expect(notScanned).toHaveLength(160);
      expect(notScanned.every((e) => e.cause?.startsWith("timeout: the task's 4h budget ran out"))).toBe(
        true,
      );
      // exact: 10 at each of 0h, 1h, 2h, 3h; never 11 in any rolling hour
      expect(maxPerHour(starts)).toBe(10);
      expect([...new Set(starts.map((t) => (t - T0) / HOUR))]).toEqual([0, 1, 2, 3]);
      // the 41st pull could start only at 4h, when the budget is spent: the task ends with the last batch
      expect(result.finishedAt).toBe(iso(T0 + 3 * HOUR));
    });

    it('scans all 200 within the hour at 200/hour', async () => {
      const { result, starts } = await run({
        registries: [
          reg('harbor-prod', { 'team-a/app': manyImages(200) }, { throttle: { imagesPerHour: 200 } }),
        ],
        timeout: '4h',
        scanMs: 10_000,
      });
      expect(result.status).toBe('succeeded');
      expect(result.progress.scanned).toBe(200);
      expect(Math.max(...starts) - T0).toBeLessThan(HOUR);
      expect(maxPerHour(starts)).toBeLessThanOrEqual(200);
    });

    it('keeps the limit exact when scans take time: a slow start does not let the next hour hold more', async () => {
      // 25 min per scan at 3/hour: starts must still never put 4 in any hour
      const { starts, result } = await run({
        registries: [reg('r', { a: manyImages(12) }, { throttle: { imagesPerHour: 3 } })],
        scanMs: 25 * 60_000,
      });
      expect(result.progress.scanned).toBe(12);
      expect(maxPerHour(starts)).toBe(3);
    });

    it('throttles each registry on its own', async () => {
      const { starts, result } = await run({
        registries: [
          reg('slow', { a: manyImages(4) }, { throttle: { imagesPerHour: 2 } }),
          reg('fast', { b: manyImages(6) }, { throttle: { imagesPerHour: 100 } }),
        ],
        timeout: '1h',
      });
      // slow: 2 in the hour; fast: all 6 at once
      expect(result.progress).toMatchObject({ scanned: 8, notScanned: 2 });
      expect(starts.filter((t) => t === T0)).toHaveLength(8);
    });

    it('records the image a timeout interrupts as not scanned', async () => {
      const { result, log } = await run({
        registries: [reg('r', { a: manyImages(3) }, { concurrency: 1 })],
        timeout: '1h',
        scanMs: 40 * 60_000,
      });
      expect(result.status).toBe('timed-out');
      expect(log.map((e) => e.outcome)).toEqual(['scanned', 'not-scanned', 'not-scanned']);
      expect(log[1]?.cause).toMatch(/ran out while this image was being scanned/);
      expect(log[2]?.cause).toMatch(/ran out before this image was scanned/);
    });
    it('scans up to registries[].concurrency images of one registry at once, never more', async () => {
      const { result, maxInFlight, starts } = await run({
        registries: [reg('r', { a: manyImages(10) }, { concurrency: 3 })],
        scanMs: 10 * 60_000,
      });
      expect(result.progress.scanned).toBe(10);
      expect(maxInFlight).toBe(3);
      // 10 images, 3 at a time, 10 min each: starts at 0, 10, 20 and 30 min
      expect([...new Set(starts.map((t) => (t - T0) / 60_000))]).toEqual([0, 10, 20, 30]);
    });

    it('scans 2 at once by default and one at a time with concurrency: 1', async () => {
      const two = await run({ registries: [reg('r', { a: manyImages(6) })], scanMs: 60_000 });
      expect(two.maxInFlight).toBe(2);
      const one = await run({
        registries: [reg('r', { a: manyImages(6) }, { concurrency: 1 })],
        scanMs: 60_000,
      });
      expect(one.maxInFlight).toBe(1);
      expect(one.result.progress.scanned).toBe(6);
    });

    it('keeps the throttle exact with several images in flight', async () => {
      // 4 workers wake together for every freed slot: only one may take it
      const { starts, result, maxInFlight } = await run({
        registries: [reg('r', { a: manyImages(23) }, { concurrency: 4, throttle: { imagesPerHour: 5 } })],
        scanMs: 7 * 60_000,
      });
      expect(result.progress.scanned).toBe(23);
      expect(maxInFlight).toBeGreaterThan(1);
      expect(maxInFlight).toBeLessThanOrEqual(4);
      expect(maxPerHour(starts)).toBe(5);
      // and as fast as the limit allows: 5 per hour from the start, so the 23rd at 4h
      expect(Math.max(...starts) - T0).toBe(4 * HOUR);
    });

    it('keeps the timeout with several images in flight: what the budget cannot reach is not scanned', async () => {
      const { result, starts } = await run({
        registries: [reg('r', { a: manyImages(30) }, { concurrency: 3, throttle: { imagesPerHour: 4 } })],
        timeout: '4h',
      });
      expect(result.status).toBe('timed-out');
      expect(result.progress).toMatchObject({ scanned: 16, notScanned: 14 });
      expect(maxPerHour(starts)).toBe(4);
    });
  });

  describe('throttle unit', () => {
    it('never allows more than N starts in any rolling hour, for irregular arrival times', () => {
      const throttle = createThrottle(5);
      const starts: number[] = [];
      let now = 0;
      for (let i = 0; i < 60; i++) {
        now += (i * 7919) % (40 * 60_000); // irregular gaps, some shorter than 12 min
        const at = throttle.nextStart(now);
        expect(at).toBeGreaterThanOrEqual(now);
        throttle.record(at);
        starts.push(at);
        now = at;
      }
      expect(maxPerHour(starts)).toBe(5);
    });

    it('honours a pause (Retry-After) on top of the rate', () => {
      const throttle = createThrottle(undefined);
      throttle.pauseUntil(5000);
      expect(throttle.nextStart(1000)).toBe(5000);
      expect(throttle.nextStart(6000)).toBe(6000);
    });
  });

  describe('cancellation', () => {
    it('stops at a `tasks cancel` request seen through the store; the rest is not scanned (cancelled)', async () => {
      const store = createMemoryTaskStore();
      let n = 0;
      const { result, log } = await run({
        store,
        taskId: 'c1',
        // one an hour: the third scan (at 2h) asks to cancel, the poll a minute later sees it
        registries: [reg('r', { a: manyImages(10) }, { throttle: { imagesPerHour: 1 } })],
        onScan: async () => {
          if (++n === 3) expect(await store.requestCancel('c1')).toBe(true);
        },
      });
      expect(result.status).toBe('cancelled');
      expect(result.progress.scanned).toBe(3);
      expect(result.progress.notScanned).toBe(7);
      expect(
        log.filter((e) => e.outcome === 'not-scanned').every((e) => e.cause?.startsWith('cancelled')),
      ).toBe(true);
      expect(await store.requestCancel('c1')).toBe(false); // it has ended
    });

    it('stops on an in-process abort signal', async () => {
      const ctrl = new AbortController();
      let n = 0;
      const { result } = await run({
        registries: [reg('r', { a: manyImages(5) }, { concurrency: 1 })],
        signal: ctrl.signal,
        onScan: () => {
          if (++n === 2) ctrl.abort();
        },
        scanMs: 1000,
      });
      expect(result.status).toBe('cancelled');
      expect(result.progress).toMatchObject({ scanned: 1, notScanned: 4 });
    });
  });

  describe('time range', () => {
    const now = T0;
    const day = 24 * HOUR;
    it('skips images updated before the range, falls back to the creation time, and prefers the update time', async () => {
      let resolved = 0;
      const { log, result } = await run({
        timeRange: '7d',
        registries: [
          reg('r', {
            a: [
              { tag: 'fresh', updatedAt: iso(now - day) },
              { tag: 'stale', updatedAt: iso(now - 8 * day) },
              { tag: 'created-old', createdAt: iso(now - 30 * day) },
              { tag: 'created-new', createdAt: iso(now - 2 * day) },
              // pushed again yesterday, built a month ago: the update time wins
              { tag: 'rebuilt', updatedAt: iso(now - day), createdAt: iso(now - 30 * day) },
              {
                tag: 'lazy-old',
                lazyCreatedAt: async () => {
                  resolved++;
                  return iso(now - 9 * day);
                },
              },
              { tag: 'no-time' },
            ],
          }),
        ],
      });
      const by = Object.fromEntries(log.map((e) => [e.reference.split(':').pop(), e]));
      expect(by.fresh?.outcome).toBe('scanned');
      expect(by['created-new']?.outcome).toBe('scanned');
      expect(by.rebuilt?.outcome).toBe('scanned');
      expect(by['no-time']?.outcome).toBe('scanned');
      expect(by.stale?.outcome).toBe('skipped');
      expect(by.stale?.cause).toBe(`outside the time range: updated ${iso(now - 8 * day)}, more than 7d ago`);
      expect(by['created-old']?.cause).toMatch(/^outside the time range: created /);
      expect(by['lazy-old']?.outcome).toBe('skipped');
      expect(resolved).toBe(1);
      expect(result.progress).toEqual({ inScope: 7, scanned: 4, skipped: 3, failed: 0, notScanned: 0 });
      expect(result.status).toBe('succeeded');
    });

    it('does not look creation times up when no time range is set', async () => {
      let resolved = 0;
      const { result } = await run({
        registries: [reg('r', { a: [{ lazyCreatedAt: async () => `${++resolved}` }] })],
      });
      expect(resolved).toBe(0);
      expect(result.progress.scanned).toBe(1);
    });
  });

  describe('scope', () => {
    const repos = {
      'team-a/app': manyImages(1),
      'team-a/sandbox-x': manyImages(1),
      'team-a/deep/nested': manyImages(1),
      'team-b/app': manyImages(1),
    };
    it('scans included repositories and not excluded or unmatched ones', async () => {
      const r = reg('r', repos, { repositories: { include: ['team-a/*'], exclude: ['*/sandbox-*'] } });
      const { log } = await run({ registries: [r] });
      expect(log.map((e) => e.reference)).toEqual(['r.example/team-a/app:t0']);
    });

    it('scans every repository with no include, minus exclusions', async () => {
      const r = reg('r', repos, { repositories: { exclude: ['team-b/**'] } });
      const { log } = await run({ registries: [r] });
      expect(log.map((e) => e.reference.replace(/:t0$/, ''))).toEqual([
        'r.example/team-a/app',
        'r.example/team-a/sandbox-x',
        'r.example/team-a/deep/nested',
      ]);
    });

    it('keeps the newest N tags per repository (tags.latest)', async () => {
      const r = reg(
        'r',
        {
          a: [
            { tag: 'old', updatedAt: iso(T0 - 3 * HOUR) },
            { tag: 'newest', updatedAt: iso(T0 - HOUR) },
            { tag: 'mid', createdAt: iso(T0 - 2 * HOUR) },
            { tag: 'undated' },
          ],
        },
        { tags: { latest: 2 } },
      );
      const { log, result } = await run({ registries: [r] });
      expect(log.map((e) => e.reference)).toEqual(['r.example/a:newest', 'r.example/a:mid']);
      expect(result.progress.inScope).toBe(2);
    });

    describe('auto-add', () => {
      const twoTasks = async (autoAddNew: boolean, include?: string[]) => {
        const store = createMemoryTaskStore();
        const repos: Record<string, Partial<ListedImage>[]> = { 'team-a/one': manyImages(1) };
        const settings = { autoAddNew, repositories: { include: include ?? ['team-a/*'] } };
        const first = await run({ store, taskId: 't1', registries: [reg('r', repos, settings)] });
        repos['team-a/two'] = manyImages(1); // added between the tasks
        const second = await run({ store, taskId: 't2', registries: [reg('r', repos, settings)] });
        return { first: first.log.map((e) => e.reference), second: second.log.map((e) => e.reference) };
      };
      it('on: a repository added between two tasks is scanned by the second', async () => {
        const { first, second } = await twoTasks(true);
        expect(first).toEqual(['r.example/team-a/one:t0']);
        expect(second).toEqual(['r.example/team-a/one:t0', 'r.example/team-a/two:t0']);
      });
      it('off: only the repositories known at the first task are scanned', async () => {
        const { first, second } = await twoTasks(false);
        expect(first).toEqual(['r.example/team-a/one:t0']);
        expect(second).toEqual(['r.example/team-a/one:t0']);
      });
      it('off: a repository named explicitly in include is scanned even when new', async () => {
        const { second } = await twoTasks(false, ['team-a/one', 'team-a/two']);
        expect(second).toEqual(['r.example/team-a/one:t0', 'r.example/team-a/two:t0']);
      });
    });
  });

  describe('results and failures', () => {
    it('stores every scanned result in the verdict store by digest, with findings by severity in the log', async () => {
      const { log, verdicts } = await run({ registries: [reg('r', { a: manyImages(2) })] });
      for (const e of log) {
        expect(e.findings).toEqual({ critical: 1, high: 2, medium: 0, low: 0, unknown: 0 });
        const stored = await verdicts.get(e.digest as string);
        expect(stored?.origin).toBe('scanner');
        expect(stored?.scan.findings).toHaveLength(3);
      }
      expect(await verdicts.get('sha256:' + '0'.repeat(64))).toBeUndefined();
    });

    it('is partial when some images fail, failed when all do, with the cause of each', async () => {
      const unauthorized = new PortcullisError(
        'REGISTRY_UNAUTHORIZED',
        'GET /v2/a/manifests/t1: unauthorized',
      );
      const partial = await run({
        registries: [
          reg(
            'harbor-prod',
            { a: manyImages(3) },
            { credentials: { usernameEnv: 'HARBOR_USER', passwordEnv: 'HARBOR_PASSWORD' } },
          ),
        ],
        failFor: (i) => (i.tag === 't1' ? unauthorized : undefined),
      });
      expect(partial.result.status).toBe('partial');
      const failed = partial.log.find((e) => e.outcome === 'failed');
      expect(failed?.cause).toMatch(/^401 from harbor-prod: check HARBOR_USER and HARBOR_PASSWORD/);
      expect(failed?.code).toBe('REGISTRY_UNAUTHORIZED');
      const all = await run({ registries: [reg('r', { a: manyImages(2) })], failFor: () => unauthorized });
      expect(all.result.status).toBe('failed');
    });

    it('records a listing failure with its cause and scans the other registries', async () => {
      const broken = createMemoryLister(
        'down',
        {},
        { failList: new PortcullisError('REGISTRY_NOT_FOUND', 'GET /v2/_catalog: not found') },
      );
      const { log, result } = await run({
        registries: [reg('down', {}, {}, broken), reg('up', { a: manyImages(1) })],
      });
      expect(result.status).toBe('partial');
      expect(log.find((e) => e.registry === 'down')?.cause).toMatch(/^listing failed: 404 from down/);
      expect(log.find((e) => e.registry === 'up')?.outcome).toBe('scanned');
    });
  });
});
