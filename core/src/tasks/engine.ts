import type { StoredScan, VerdictStore } from '../store/verdict-store.js';
import { SEVERITIES } from '../types/finding.js';
import type { ScanResult } from '../types/scan.js';
import { toFailureCause, type CauseContext } from './causes.js';
import type { TaskClock } from './clock.js';
import type { ImageLister, ListedImage } from './lister.js';
import { checkTimeRange, selectLatest, selectRepositories, type ScopeSettings } from './scope.js';
import { createThrottle, type Throttle } from './throttle.js';
import type { SeverityCounts, TaskLogEntry, TaskRecord, TaskStatus, TaskStore } from './types.js';

/** Images of one registry scanned at once when its settings say nothing (`registries[].concurrency`). */
export const DEFAULT_REGISTRY_CONCURRENCY = 2;

/** One registry of a task: its settings (the parts the engine reads) and its lister. */
export interface TaskRegistry {
  settings: ScopeSettings & CauseContext & { throttle?: { imagesPerHour: number }; concurrency?: number };
  lister: ImageLister;
}

export interface RunTaskOptions {
  /** The task as created (queued) in `store`. */
  task: TaskRecord;
  registries: readonly TaskRegistry[];
  /** `scan.timeRange` in ms (and as written, for causes). */
  timeRange?: { ms: number; text: string };
  /** `scan.timeout` in ms (and as written). */
  timeout?: { ms: number; text: string };
  /** Pulls and scans one image pinned to `digest`. */
  scanImage(image: ListedImage & { digest: string }, signal: AbortSignal): Promise<ScanResult>;
  /** Tag → digest (a registry HEAD), for images listed without one. */
  resolveDigest(image: ListedImage): Promise<string>;
  store: TaskStore;
  /** Where every scanned image's result goes (the webhook reads it). */
  verdictStore?: Pick<VerdictStore, 'put'>;
  clock: TaskClock;
  /** Stops the task as `cancelled` (in-process); `tasks cancel` works through the store instead. */
  signal?: AbortSignal;
  /** How often the store is asked whether the task was cancelled (default 2 s). */
  cancelPollMs?: number;
  /** Called after each log entry (the CLI prints progress). */
  onEntry?(entry: TaskLogEntry, task: TaskRecord): void;
}

type StopReason = 'timeout' | 'cancelled';

interface Queued {
  registry: TaskRegistry;
  image: ListedImage;
}

export function countBySeverity(scan: Pick<ScanResult, 'findings'>): SeverityCounts {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of scan.findings) out[f.severity]++;
  return out;
}

/** Resolves to the value, or rejects with the signal's reason once it aborts. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

class StopSignal extends Error {
  constructor(readonly reason: StopReason) {
    super(reason);
  }
}

function finalStatus(task: TaskRecord, stop: StopReason | undefined, timedOut: boolean): TaskStatus {
  if (stop === 'cancelled') return 'cancelled';
  if (stop === 'timeout' || timedOut) return 'timed-out';
  const p = task.progress;
  if (p.failed > 0 && p.scanned === 0) return 'failed';
  if (p.failed > 0) return 'partial';
  return 'succeeded';
}

/**
 * Runs one registry-scan task: lists every registry, applies the scope (include/exclude, auto-add, newest N
 * tags, time range), then pulls and scans the images, each registry at its own exact rate, within the global
 * timeout, until done or cancelled. Every image gets one log entry; the record in `store` carries the status and
 * counts as they change. Resolves to the final record; never rejects for a failing image or registry.
 */
export async function runTask(opts: RunTaskOptions): Promise<TaskRecord> {
  const { clock, store } = opts;
  const task: TaskRecord = {
    ...opts.task,
    status: 'running',
    startedAt: new Date(clock.now()).toISOString(),
  };
  await store.update(task);
  const startedAt = clock.now();
  const deadline = opts.timeout ? startedAt + opts.timeout.ms : undefined;
  const stop = new AbortController();
  const finished = new AbortController();
  const halt = (reason: StopReason): void => {
    if (!stop.signal.aborted) stop.abort(new StopSignal(reason));
  };
  // set when a registry stops early because its next pull could only start after the deadline
  const state = { timedOut: false };
  const stopReason = (): StopReason | undefined =>
    stop.signal.aborted ? (stop.signal.reason as StopSignal).reason : undefined;

  const record = async (entry: Omit<TaskLogEntry, 'at'>): Promise<void> => {
    const full: TaskLogEntry = { ...entry, at: new Date(clock.now()).toISOString() };
    const p = task.progress;
    if (entry.outcome === 'scanned') p.scanned++;
    else if (entry.outcome === 'failed') p.failed++;
    else if (entry.outcome === 'skipped') p.skipped++;
    else p.notScanned++;
    await store.appendLog(task.id, full);
    await store.update(task);
    opts.onEntry?.(full, task);
  };

  // background watchers: the global timeout and cancellation (in-process signal or `tasks cancel`)
  const watchers: Promise<void>[] = [];
  if (deadline !== undefined)
    watchers.push(
      clock.sleep(deadline - startedAt, finished.signal).then(() => {
        if (!finished.signal.aborted) halt('timeout');
      }),
    );
  if (opts.signal) {
    const onAbort = (): void => halt('cancelled');
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }
  watchers.push(
    (async () => {
      while (!finished.signal.aborted && !stop.signal.aborted) {
        await clock.sleep(opts.cancelPollMs ?? 2000, finished.signal);
        if (finished.signal.aborted) return;
        if ((await store.get(task.id))?.cancelRequested) halt('cancelled');
      }
    })().catch(() => undefined),
  );

  const stopCause = (reason: StopReason): string =>
    reason === 'timeout'
      ? `timeout: the task's ${opts.timeout?.text ?? ''} budget ran out before this image was scanned`
      : 'cancelled: the task was cancelled before this image was scanned';

  try {
    const queues = await Promise.all(
      opts.registries.map((r) => listRegistry(r, opts, task, record, stop.signal, clock)),
    );
    await Promise.all(
      queues.map((queue, i) =>
        drainRegistry(queue, opts.registries[i] as TaskRegistry, {
          opts,
          record,
          stop: stop.signal,
          stopReason,
          stopCause,
          deadline,
          state,
        }),
      ),
    );
  } finally {
    finished.abort();
    await Promise.all(watchers);
  }
  const latest = await store.get(task.id);
  const done: TaskRecord = {
    ...task,
    ...(latest?.cancelRequested ? { cancelRequested: true } : {}),
    status: finalStatus(task, stopReason(), state.timedOut),
    finishedAt: new Date(clock.now()).toISOString(),
  };
  await store.update(done);
  return done;
}

/** Lists one registry into a queue of images to scan; skipped images and listing failures are logged here. */
async function listRegistry(
  registry: TaskRegistry,
  opts: RunTaskOptions,
  task: TaskRecord,
  record: (e: Omit<TaskLogEntry, 'at'>) => Promise<void>,
  signal: AbortSignal,
  clock: TaskClock,
): Promise<Queued[]> {
  const { settings, lister } = registry;
  const queue: Queued[] = [];
  const fail = async (reference: string, err: unknown, t0: number): Promise<void> => {
    task.progress.inScope++;
    const { cause, code } = toFailureCause(err, settings);
    await record({
      reference,
      registry: settings.name,
      outcome: 'failed',
      cause: `listing failed: ${cause}`,
      code,
      durationMs: clock.now() - t0,
    });
  };
  const t0 = clock.now();
  let repositories: string[];
  try {
    repositories = [];
    for await (const repo of lister.listRepositories(signal)) repositories.push(repo);
  } catch (err) {
    if (signal.aborted) return queue;
    await fail(settings.name, err, t0);
    return queue;
  }
  const known = await opts.store.knownRepositories(settings.name);
  const selection = selectRepositories(repositories, settings, known);
  if (selection.record.length > 0 || known === undefined)
    await opts.store.addKnownRepositories(settings.name, selection.record);
  for (const repo of selection.scan) {
    if (signal.aborted) break;
    const t1 = clock.now();
    let images: ListedImage[] = [];
    try {
      for await (const image of lister.listImages(repo, signal)) images.push(image);
    } catch (err) {
      if (signal.aborted) break;
      await fail(`${settings.name}/${repo}`, err, t1);
      continue;
    }
    images = selectLatest(images, settings.tags?.latest);
    for (const image of images) {
      task.progress.inScope++;
      const cause = opts.timeRange
        ? await timeRangeCause(image, lister, opts.timeRange, clock.now(), signal)
        : undefined;
      if (cause)
        await record({
          reference: image.reference,
          ...(image.digest ? { digest: image.digest } : {}),
          registry: settings.name,
          outcome: 'skipped',
          cause,
          durationMs: 0,
        });
      else queue.push({ registry, image });
    }
  }
  return queue;
}

async function timeRangeCause(
  image: ListedImage,
  lister: ImageLister,
  range: { ms: number; text: string },
  now: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  let dated = image;
  if (image.updatedAt === undefined && image.createdAt === undefined && lister.resolveCreatedAt) {
    // the lister left the creation time for later (distribution: one config read per image)
    try {
      const createdAt = await lister.resolveCreatedAt(image, signal);
      if (createdAt !== undefined) dated = { ...image, createdAt };
    } catch {
      // unknown time: the image is scanned, and its pull reports what is wrong
    }
  }
  return checkTimeRange(dated, range.ms, now, range.text);
}

interface DrainContext {
  opts: RunTaskOptions;
  record: (e: Omit<TaskLogEntry, 'at'>) => Promise<void>;
  stop: AbortSignal;
  stopReason: () => StopReason | undefined;
  stopCause: (reason: StopReason) => string;
  deadline: number | undefined;
  state: { timedOut: boolean };
}

/**
 * Scans one registry's queue with up to `concurrency` images in flight, each pull started no sooner than the
 * throttle allows. The throttle stays exact with several workers: a worker re-reads the next start after every
 * sleep (another may have taken the slot meanwhile).
 */
async function drainRegistry(
  queue: readonly Queued[],
  registry: TaskRegistry,
  ctx: DrainContext,
): Promise<void> {
  const { opts, record, stop } = ctx;
  const { clock } = opts;
  const throttle: Throttle = createThrottle(registry.settings.throttle?.imagesPerHour);
  const concurrency = Math.max(1, registry.settings.concurrency ?? DEFAULT_REGISTRY_CONCURRENCY);
  const notScanned = async (image: ListedImage, reason: StopReason): Promise<void> =>
    record({
      reference: image.reference,
      ...(image.digest ? { digest: image.digest } : {}),
      registry: registry.settings.name,
      outcome: 'not-scanned',
      cause: ctx.stopCause(reason),
      durationMs: 0,
    });
  /**
   * Waits for a start slot and takes it (records the start in the same synchronous step as the check, so two
   * workers never both take the last one); resolves to why none comes (stop, or a slot only after the deadline).
   */
  const takeSlot = async (): Promise<StopReason | undefined> => {
    for (;;) {
      const reason = ctx.stopReason();
      if (reason) return reason;
      const at = throttle.nextStart(clock.now());
      // the next pull could only start once the budget is spent: nothing more from this registry
      if (ctx.deadline !== undefined && at >= ctx.deadline) {
        ctx.state.timedOut = true;
        return 'timeout';
      }
      if (at <= clock.now()) {
        throttle.record(clock.now());
        return undefined;
      }
      await clock.sleep(at - clock.now(), stop);
    }
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const { image } = queue[next++] as Queued;
      const reason = await takeSlot();
      if (reason) {
        await notScanned(image, reason);
        continue;
      }
      await scanOne(image, registry, ctx);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
}

async function scanOne(image: ListedImage, registry: TaskRegistry, ctx: DrainContext): Promise<void> {
  const { opts, record, stop } = ctx;
  const { clock } = opts;
  const t0 = clock.now();
  let digest = image.digest;
  try {
    digest ??= await raceAbort(opts.resolveDigest(image), stop);
    const scan = await raceAbort(opts.scanImage({ ...image, digest }, stop), stop);
    if (opts.verdictStore) {
      const at = new Date(clock.now()).toISOString();
      const entry: StoredScan = {
        digest,
        scan: { ...scan, image: { ...scan.image, digest: scan.image.digest ?? digest } },
        scannedAt: scan.scannedAt,
        storedAt: at,
        origin: 'scanner',
      };
      await opts.verdictStore.put(entry);
      // a platform manifest scanned through its index is found under both digests
      if (scan.image.digest && scan.image.digest !== digest)
        await opts.verdictStore.put({ ...entry, digest: scan.image.digest });
    }
    await record({
      reference: image.reference,
      digest,
      registry: registry.settings.name,
      outcome: 'scanned',
      durationMs: clock.now() - t0,
      findings: countBySeverity(scan),
    });
  } catch (err) {
    const reason = ctx.stopReason();
    if (reason && err instanceof StopSignal) {
      await record({
        reference: image.reference,
        ...(digest ? { digest } : {}),
        registry: registry.settings.name,
        outcome: 'not-scanned',
        cause:
          reason === 'timeout'
            ? `timeout: the task's ${opts.timeout?.text ?? ''} budget ran out while this image was being scanned`
            : 'cancelled: the task was cancelled while this image was being scanned',
        durationMs: clock.now() - t0,
      });
      return;
    }
    const { cause, code } = toFailureCause(err, registry.settings);
    await record({
      reference: image.reference,
      ...(digest ? { digest } : {}),
      registry: registry.settings.name,
      outcome: 'failed',
      cause,
      code,
      durationMs: clock.now() - t0,
    });
  }
}
