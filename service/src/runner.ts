import {
  createRegistryScanTask,
  runRegistryScan,
  PortcullisError,
  type Policy,
  type RegistryScanRequest,
  type ScannerName,
  type TaskRecord,
  type TaskStore,
  type TaskTrigger,
  type VerdictStore,
} from '../../core/src/index.js';
import type { Logger } from './logger.js';
import type { ScanQueue } from './queue.js';

/** What `POST /api/v1/tasks` asks for (the seed's "Scan Now" dialog). */
export interface StartRequest {
  registries?: string[];
  scanners?: ScannerName[];
  trigger?: TaskTrigger;
}

/** Starts and cancels tasks; the in-process runner is the embedded default (no `--queue`). */
export interface TaskRunner {
  /** Creates the task (queued) and starts it in the background; resolves once it is in the store. */
  start(req: StartRequest): Promise<TaskRecord>;
  /** Asks a queued or running task to stop; false when it does not exist or has ended. */
  cancel(id: string): Promise<boolean>;
  /** Tasks of this process still running. */
  running(): string[];
  /** Resolves when the task this process runs has ended (immediately when it runs none). */
  settled(id: string): Promise<void>;
  /** Cancels what runs here and waits for it. */
  close(): Promise<void>;
}

export interface InProcessRunnerOptions {
  policy: () => Policy;
  tasks: TaskStore;
  verdicts: VerdictStore;
  logger: Logger;
  /** With `--queue`: images are scanned by queue workers (any replica) instead of in this process. */
  queue?: ScanQueue;
  /** The rest of a registry-scan request (DB path, env, dispatcher, clock, …). */
  request?: Partial<Omit<RegistryScanRequest, 'policy' | 'tasks' | 'verdicts'>>;
}

/** Runs each task in this process with core's registry-scan task (listers, throttle, timeout, stores). */
export function createInProcessRunner(opts: InProcessRunnerOptions): TaskRunner {
  const live = new Map<string, { abort: AbortController; done: Promise<void> }>();
  return {
    async start(req) {
      const base = {
        ...opts.request,
        policy: opts.policy(),
        tasks: opts.tasks,
        verdicts: opts.verdicts,
        ...(req.registries && req.registries.length > 0 ? { registryNames: req.registries } : {}),
        ...(req.scanners ? { scanners: req.scanners } : {}),
        trigger: req.trigger ?? 'manual',
      };
      const task = await createRegistryScanTask(base);
      const abort = new AbortController();
      const queue = opts.queue;
      const done = runRegistryScan(task, {
        ...base,
        signal: abort.signal,
        ...(queue ? { scanImage: (image, signal) => queue.scan(task, image, signal) } : {}),
      })
        .then((t) => opts.logger.info('task ended', { task: t.id, status: t.status, progress: t.progress }))
        .catch(async (err: unknown) => {
          // a task that could not run at all is recorded as failed, never left "queued"
          opts.logger.error('task failed', { task: task.id, error: err });
          const now = new Date().toISOString();
          await opts.tasks
            .update({ ...task, status: 'failed', finishedAt: now, error: (err as Error).message })
            .catch(() => {});
        })
        .finally(() => live.delete(task.id));
      live.set(task.id, { abort, done });
      return task;
    },
    async cancel(id) {
      const ok = await opts.tasks.requestCancel(id);
      if (ok) live.get(id)?.abort.abort();
      return ok;
    },
    running: () => [...live.keys()],
    async settled(id) {
      await live.get(id)?.done;
    },
    async close() {
      const all = [...live.values()];
      all.forEach((l) => l.abort.abort());
      await Promise.all(all.map((l) => l.done));
    },
  };
}

/** Validates a POST body: `{registries?: string[], scanners?: string[], runtime?: boolean}`. */
export function parseStartBody(body: unknown, known: readonly string[]): StartRequest & { runtime: boolean } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new PortcullisError('USAGE_INVALID', 'expected a JSON object {registries, scanners?, runtime?}');
  const strings = (k: string): string[] | undefined => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      throw new PortcullisError('USAGE_INVALID', `${k} must be an array of strings`);
    return v as string[];
  };
  const registries = strings('registries');
  const scanners = strings('scanners');
  const bad = (scanners ?? []).filter((s) => !known.includes(s));
  if (bad.length > 0)
    throw new PortcullisError('USAGE_INVALID', `unknown scanners ${bad.join(', ')}: use ${known.join(', ')}`);
  if (b.runtime !== undefined && typeof b.runtime !== 'boolean')
    throw new PortcullisError('USAGE_INVALID', 'runtime must be a boolean');
  return {
    ...(registries ? { registries } : {}),
    ...(scanners ? { scanners: scanners as ScannerName[] } : {}),
    runtime: b.runtime === true,
  };
}
