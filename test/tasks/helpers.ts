import type { ImageLister, ListedImage, TaskClock, TaskRecord } from '../../core/src/tasks/index.js';
import { emptyProgress } from '../../core/src/tasks/index.js';
import type { ScanResult } from '../../core/src/index.js';

export const T0 = Date.parse('2026-12-01T00:00:00.000Z');
export const HOUR = 3_600_000;

/**
 * A virtual clock: `sleep` registers a timer, and once every pending promise has settled (the engine is idle,
 * waiting) the clock jumps to the earliest timer. So hours of throttling run in milliseconds, and the order of
 * events is the order their times say.
 */
export function createVirtualClock(start = T0): TaskClock & { sleeps: number } {
  let t = start;
  let seq = 0;
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  let scheduled = false;
  const idle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
  };
  const pump = (): void => {
    if (scheduled) return;
    scheduled = true;
    void idle().then(() => {
      scheduled = false;
      if (timers.length === 0) return;
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift() as (typeof timers)[number];
      t = Math.max(t, next.at);
      next.fire();
      pump();
    });
  };
  const clock = {
    sleeps: 0,
    now: () => t,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      clock.sleeps++;
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = {
          at: t + Math.max(0, ms),
          seq: seq++,
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const i = timers.indexOf(timer);
          if (i >= 0) timers.splice(i, 1);
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        pump();
      });
    },
  };
  return clock;
}

/** An in-memory registry: repository → images; `fail` makes listing a repository throw. */
/** A listed image plus, for the time-range tests, what the lazy creation-time lookup answers. */
export type TestImage = Partial<ListedImage> & { lazyCreatedAt?: () => Promise<string | undefined> };

export function createMemoryLister(
  registry: string,
  repos: Record<string, TestImage[]>,
  opts: { failRepo?: Record<string, Error>; failList?: Error } = {},
): ImageLister & { listed: string[] } {
  const listed: string[] = [];
  const lazy = new Map<string, () => Promise<string | undefined>>();
  return {
    listed,
    async resolveCreatedAt(image) {
      return lazy.get(image.reference)?.();
    },
    async *listRepositories() {
      if (opts.failList) throw opts.failList;
      yield* Object.keys(repos);
    },
    async *listImages(repository) {
      listed.push(repository);
      const err = opts.failRepo?.[repository];
      if (err) throw err;
      for (const [i, { lazyCreatedAt, ...img }] of (repos[repository] ?? []).entries()) {
        const tag = img.tag ?? `v${i}`;
        const reference = `${registry}.example/${repository}:${tag}`;
        if (lazyCreatedAt) lazy.set(reference, lazyCreatedAt);
        yield {
          registry,
          repository,
          reference,
          tag,
          digest: `sha256:${Buffer.from(`${repository}:${tag}`).toString('hex').padEnd(64, '0').slice(0, 64)}`,
          ...img,
        };
      }
    },
  };
}

/** `n` images in one repository, no times. */
export function manyImages(n: number): Partial<ListedImage>[] {
  return Array.from({ length: n }, (_, i) => ({ tag: `t${i}` }));
}

export function queuedTask(id = 'task-1', createdAt = new Date(T0).toISOString()): TaskRecord {
  return {
    id,
    trigger: 'manual',
    scope: { registries: [], scanners: ['vuln'] },
    status: 'queued',
    progress: emptyProgress(),
    createdAt,
  };
}

/** A scan result with one finding per listed severity. */
export function fakeScan(
  digest: string,
  severities: ScanResult['findings'][number]['severity'][] = ['high'],
): ScanResult {
  return {
    schemaVersion: 1,
    image: { ref: 'x', digest, configDigest: 'sha256:c', layers: [] },
    packages: [],
    findings: severities.map((severity, i) => ({
      type: 'vulnerability',
      id: `CVE-2026-${i}`,
      severity,
      title: 't',
      location: {},
    })),
    notes: [],
    analyzers: {},
    scannedAt: new Date(T0).toISOString(),
  } as ScanResult;
}
