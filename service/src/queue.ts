import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  createAnalyzers,
  createCatalogLister,
  createScanHooks,
  DEFAULT_REGISTRY_CONCURRENCY,
  isPortcullisError,
  PortcullisError,
  resolvePolicy,
  scanImage,
  selectRegistries,
  toAnalyzerOptions,
  toPinnedInput,
  type CatalogImage,
  type CatalogLister,
  type ErrorCode,
  type Policy,
  type RegistrySettings,
  type ScannerName,
  type ScanResult,
  type SourceOptions,
  type TaskRecord,
} from '../../core/src/index.js';
import type { Logger } from './logger.js';

/** One image of one task: a BullMQ job. */
export interface ScanJobData {
  taskId: string;
  registry: string;
  reference: string;
  digest: string;
  scanners: ScannerName[];
}

/**
 * A job's answer. A scan that fails (401, bad manifest, …) is an answer, not a job failure: retrying it would
 * only repeat it; BullMQ retries only jobs whose worker died (stalled).
 */
type ScanJobResult = { scan: ScanResult } | { error: { code: ErrorCode; message: string } };

export interface ScanQueueOptions {
  /** redis://HOST:PORT[/DB] */
  url: string;
  policy: () => Policy;
  env: NodeJS.ProcessEnv;
  dbPath?: string;
  logger: Logger;
  /**
   * Jobs this replica scans at once per registry (0: this replica only coordinates). Default: the registry's
   * `concurrency` (what one task keeps in flight), so one replica alone is as parallel as the policy says.
   */
  concurrency?: number;
  /** BullMQ's stalled-job check period and lock duration (ms); tests shorten them. Defaults: BullMQ's (30 s). */
  stalledIntervalMs?: number;
  lockDurationMs?: number;
  /** Key prefix of every queue (default `portcullis`). */
  prefix?: string;
}

/** The registry scans' job queue: one BullMQ queue per registry, whose rate limiter is that registry's throttle. */
export interface ScanQueue {
  /** Enqueues one image of a task (once: the job id is task + digest) and resolves to its scan result. */
  scan(task: TaskRecord, image: CatalogImage & { digest: string }, signal: AbortSignal): Promise<ScanResult>;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/** `redis://` URL → a connection BullMQ can use (blocking commands: no per-request retry limit). */
function connect(url: string): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: false });
  c.on('error', () => {});
  return c;
}

export function toQueueName(registry: string): string {
  // queue names end up in Redis keys joined with ':'
  return `scan-${registry.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

export function toJobId(taskId: string, digest: string): string {
  return `${taskId}_${digest.replace(/:/g, '-')}`;
}

/**
 * Scans jobs the way a registry-scan task scans an image here: the policy's settings, pinned to the digest, and
 * pull credentials from the registry's catalog lister as the in-process runner gets them (`resolvePullOptions`:
 * env credentials read lazily, ACR's temporary login fetched with the AccessKey and renewed before it expires).
 * One lister per registry and worker process, so a temporary login is reused across jobs.
 */
function createJobScanner(opts: ScanQueueOptions) {
  const analyzersByKey = new Map<string, ReturnType<typeof createAnalyzers>>();
  const listers = new Map<string, { settings: RegistrySettings; lister: CatalogLister }>();
  const pullOptions = (settings: RegistrySettings): Promise<SourceOptions> => {
    let l = listers.get(settings.name);
    if (!l || l.settings !== settings) {
      l = { settings, lister: createCatalogLister(settings, { env: opts.env }) };
      listers.set(settings.name, l);
    }
    return l.lister.resolvePullOptions();
  };
  const hooks = createScanHooks({ ...(opts.dbPath ? { dbPath: opts.dbPath } : {}) });
  return async (data: ScanJobData): Promise<ScanResult> => {
    const policy = opts.policy();
    const resolved = resolvePolicy(policy);
    const [settings] = selectRegistries(policy, [data.registry]) as [RegistrySettings];
    const scanners = new Set(data.scanners);
    const key = [...scanners].sort().join(',');
    let analyzers = analyzersByKey.get(key);
    if (!analyzers) {
      analyzers = createAnalyzers(
        { malware: { hashDbFiles: resolved.scanners.malware.hashDbFiles ?? [] } },
        scanners,
      );
      analyzersByKey.set(key, analyzers);
    }
    return scanImage(toPinnedInput(data.reference, data.digest), {
      scanners,
      analyzers: await analyzers,
      hooks,
      analyzerOptions: { ...toAnalyzerOptions(resolved) },
      source: await pullOptions(settings),
    });
  };
}

/**
 * Starts a queue, its events and (concurrency > 0) a worker for every registry of the policy. Workers of every
 * replica take jobs from the same queues; a worker killed mid-scan holds no lock once it expires, so BullMQ's
 * stalled-job check hands the job to another worker.
 */
export function createScanQueue(opts: ScanQueueOptions): ScanQueue {
  const prefix = opts.prefix ?? 'portcullis';
  const scanJob = createJobScanner(opts);
  const parts = new Map<
    string,
    { queue: Queue; events: QueueEvents; worker?: Worker; ready: Promise<unknown> }
  >();
  const connections: Redis[] = [];
  const conn = (): Redis => {
    const c = connect(opts.url);
    connections.push(c);
    return c;
  };
  for (const r of opts.policy().registries ?? []) {
    const name = toQueueName(r.name);
    const queue = new Queue(name, { connection: conn(), prefix });
    const events = new QueueEvents(name, { connection: conn(), prefix });
    const concurrency = opts.concurrency ?? r.concurrency ?? DEFAULT_REGISTRY_CONCURRENCY;
    let worker: Worker | undefined;
    if (concurrency > 0) {
      worker = new Worker(
        name,
        async (job: Job<ScanJobData>): Promise<ScanJobResult> => {
          opts.logger.info('scan job started', {
            job: job.id,
            registry: job.data.registry,
            reference: job.data.reference,
            pid: process.pid,
          });
          try {
            const scan = await scanJob(job.data);
            opts.logger.info('scan job done', {
              job: job.id,
              reference: job.data.reference,
              pid: process.pid,
            });
            return { scan };
          } catch (err) {
            const code: ErrorCode = isPortcullisError(err) ? err.code : 'INTERNAL';
            opts.logger.warn('scan job failed', { job: job.id, error: err });
            return { error: { code, message: (err as Error).message } };
          }
        },
        {
          connection: conn(),
          prefix,
          concurrency,
          ...(r.throttle ? { limiter: { max: r.throttle.imagesPerHour, duration: HOUR_MS } } : {}),
          ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
          ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
        },
      );
      worker.on('error', (err) => opts.logger.warn('queue worker error', { queue: name, error: err }));
    }
    parts.set(r.name, { queue, events, ...(worker ? { worker } : {}), ready: events.waitUntilReady() });
  }
  return {
    async scan(task, image, signal) {
      const part = parts.get(image.registry);
      if (!part)
        throw new PortcullisError('SERVICE_CONFIG_INVALID', `no queue for registry ${image.registry}`);
      await part.ready;
      const data: ScanJobData = {
        taskId: task.id,
        registry: image.registry,
        reference: image.reference,
        digest: image.digest,
        scanners: task.scope.scanners as ScannerName[],
      };
      const job = await part.queue.add('scan', data, {
        jobId: toJobId(task.id, image.digest),
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 86_400 },
      });
      const finished = job.waitUntilFinished(part.events) as Promise<ScanJobResult>;
      const result = await new Promise<ScanJobResult>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason as Error);
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        finished.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
      });
      if ('error' in result) throw new PortcullisError(result.error.code, result.error.message);
      return result.scan;
    },
    async close() {
      for (const p of parts.values()) {
        await p.worker?.close();
        await p.queue.close();
        await p.events.close();
      }
      connections.forEach((c) => c.disconnect());
    },
  };
}
