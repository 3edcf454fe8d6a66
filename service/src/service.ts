import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ALL_SCANNERS,
  DEFAULT_POLICY,
  parseDuration,
  resolvePolicy,
  scan,
  toAnalyzerOptions,
  toEnabledScanners,
  FINAL_STATUSES,
  SYSTEM_CLOCK,
  defaultDbPath,
  loadPolicy,
  PortcullisError,
  openScanStores,
  type Policy,
  type ScanStores,
} from '../../core/src/index.js';
import { createLogger, type Logger } from './logger.js';
import type { ServiceMetrics as Metrics } from './metrics.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { startDbUpdateSchedule } from './db-schedule.js';
import { createScanQueue } from './queue.js';
import { createPodLister, runRuntimeScan } from './runtime.js';
import { startSchedule, toScheduleEventLogger, type Schedule } from './schedule.js';
import { createInProcessRunner, type TaskRunner } from './runner.js';
import { generateTemporaryCert, startServiceServer, type ServiceServer } from './server.js';
import { parseTokensFile, toTokenDigest, type TokenEntry } from './tokens.js';

/** `portcullis serve` flags, parsed. */
export interface ServeOptions {
  host?: string;
  port?: number;
  policyFile?: string;
  dbFile?: string;
  store?: string;
  tokensFile?: string;
  /** redis://… : BullMQ queue shared by replicas (the store defaults to the same Redis). */
  queue?: string;
  /** Kubernetes access for runtime scans: a kubeconfig file (in a pod, the service account is used). */
  kubeconfig?: string;
  /** Queue jobs this replica scans at once per registry (0: coordinate only). */
  concurrency?: number;
  tlsCert?: string;
  tlsKey?: string;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Where start-up notices go (the CLI's stderr). */
  notice?: (line: string) => void;
}

/** A running scan service: the server and what it owns. */
export interface ScanService {
  port: number;
  server: ServiceServer;
  stores: ScanStores;
  runner: TaskRunner;
  metrics: ServiceMetrics;
  /** Set when no --tokens was given: the admin token generated for this run (printed nowhere). */
  generatedToken?: string;
  close(): Promise<void>;
}

/**
 * Starts the embedded service: the store `--store` names (default the shared SQLite file), tasks run in this
 * process, HTTPS with the given or a temporary certificate. Without `--tokens`, one admin token is generated for
 * this run; the caller decides where it goes (the CLI writes it to a 0600 file and prints the path).
 */
export async function startScanService(opts: ServeOptions): Promise<ScanService> {
  const notice = opts.notice ?? (() => {});
  const logger = opts.logger ?? createLogger();
  const policy: Policy = opts.policyFile ? await loadPolicy(opts.policyFile) : DEFAULT_POLICY;
  let tokens: TokenEntry[];
  let generatedToken: string | undefined;
  if (opts.tokensFile) tokens = parseTokensFile(await readFile(opts.tokensFile, 'utf8'), opts.tokensFile);
  else {
    generatedToken = randomBytes(32).toString('base64url');
    tokens = [
      { name: 'generated-admin', role: 'admin', digest: Buffer.from(toTokenDigest(generatedToken), 'hex') },
    ];
  }
  let tls: { cert: string | Buffer; key: string | Buffer };
  if (opts.tlsCert && opts.tlsKey)
    tls = { cert: await readFile(opts.tlsCert), key: await readFile(opts.tlsKey) };
  else {
    tls = await generateTemporaryCert();
    notice('no --tls-cert/--tls-key: serving a temporary self-signed certificate');
  }
  // replicas sharing a queue must share the store too: the queue's Redis unless --store says otherwise
  const stores = openScanStores(opts.store ?? opts.queue, opts.env);
  if (opts.queue && stores.spec.kind !== 'redis') {
    await stores.close();
    throw new PortcullisError(
      'SERVICE_CONFIG_INVALID',
      `--queue needs a store every replica shares: --store redis://… (not ${stores.spec.kind})`,
    );
  }
  const metrics = createServiceMetrics();
  const dbPath = opts.dbFile ?? opts.env.PORTCULLIS_DB;
  const queue = opts.queue
    ? createScanQueue({
        url: opts.queue,
        policy: () => policy,
        env: opts.env,
        logger,
        ...(dbPath ? { dbPath } : {}),
        ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
        // short stalled checks for tests and small clusters; BullMQ's defaults otherwise
        ...(opts.env.PORTCULLIS_QUEUE_STALLED_MS
          ? { stalledIntervalMs: Number(opts.env.PORTCULLIS_QUEUE_STALLED_MS) }
          : {}),
        ...(opts.env.PORTCULLIS_QUEUE_LOCK_MS
          ? { lockDurationMs: Number(opts.env.PORTCULLIS_QUEUE_LOCK_MS) }
          : {}),
      })
    : undefined;
  const runner = createInProcessRunner({
    ...(queue ? { queue } : {}),
    policy: () => policy,
    tasks: stores.tasks,
    verdicts: stores.verdicts,
    logger,
    request: { env: opts.env, ...(dbPath ? { dbPath } : {}) },
  });
  let server: ServiceServer;
  try {
    server = await startServiceServer(
      { host: opts.host ?? '0.0.0.0', port: opts.port ?? 8444, tls },
      {
        policy: () => policy,
        tasks: stores.tasks,
        verdicts: stores.verdicts,
        runner,
        tokens,
        logger,
        metrics,
        dbPath: dbPath ?? defaultDbPath(opts.env),
        ...(opts.kubeconfig || opts.env.KUBERNETES_SERVICE_HOST
          ? {
              startRuntime: async () => {
                const id = randomUUID();
                const list = createPodLister(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {});
                const resolved = resolvePolicy(policy);
                const scanners = ALL_SCANNERS.filter((s) => toEnabledScanners(resolved).includes(s));
                void runRuntimeScan({
                  id,
                  list,
                  tasks: stores.tasks,
                  verdicts: stores.verdicts,
                  scanners,
                  // a result younger than the admission's max verdict age is fresh enough
                  freshMs: parseDuration(resolved.admission.maxVerdictAge, 'POLICY_INVALID'),
                  scan: (reference) =>
                    scan(`registry:${reference}`, {
                      scanners,
                      ...(dbPath ? { dbPath } : {}),
                      analyzerOptions: toAnalyzerOptions(resolved),
                      source: { env: opts.env },
                    }),
                }).catch((error: unknown) => logger.error('runtime scan failed', { task: id, error }));
                // the record exists once the scan has listed nothing yet: wait for it
                for (let i = 0; i < 50 && !(await stores.tasks.get(id)); i++)
                  await new Promise((r) => setTimeout(r, 20));
                return { id };
              },
            }
          : {}),
      },
    );
  } catch (err) {
    await queue?.close();
    await stores.close();
    throw err;
  }
  const schedules = startSchedules({
    policy,
    stores,
    runner,
    logger,
    metrics,
    dbPath: dbPath ?? defaultDbPath(opts.env),
  });
  return {
    port: server.port,
    server,
    stores,
    runner,
    metrics,
    ...(generatedToken ? { generatedToken } : {}),
    async close() {
      await Promise.all(schedules.map((s) => s.stop()));
      await server.close();
      await runner.close();
      await queue?.close();
      await stores.close();
    },
  };
}

/**
 * `scan.schedule` (registry scans) and `scan.dbUpdate` (`db update`, then re-matching the stored inventories),
 * each claimed per fire through the shared store so one replica runs it.
 */
function startSchedules(ctx: {
  policy: Policy;
  stores: ScanStores;
  runner: TaskRunner;
  logger: Logger;
  metrics: Metrics;
  dbPath: string;
}): Schedule[] {
  const { policy, stores, runner, logger, metrics } = ctx;
  const scan = policy.scan ?? {};
  const out: Schedule[] = [];
  const claim = (key: string): Promise<boolean> => stores.verdicts.claimOnce(key, 3600);
  if (scan.schedule)
    out.push(
      startSchedule({
        cron: scan.schedule,
        ...(scan.timezone ? { timezone: scan.timezone } : {}),
        clock: SYSTEM_CLOCK,
        // any replica's scheduled task still going counts (the task store is shared)
        isRunning: async () =>
          (await stores.tasks.list({ limit: 100 })).some(
            (t) => t.trigger === 'schedule' && !FINAL_STATUSES.includes(t.status),
          ),
        claim,
        start: async () => {
          const task = await runner.start({ trigger: 'schedule' });
          metrics.tasksStarted.inc({ trigger: 'schedule' });
          logger.info('schedule: task started', { task: task.id });
        },
        onEvent: toScheduleEventLogger(logger, 'registry scan'),
      }),
    );
  if (scan.dbUpdate)
    out.push(
      startDbUpdateSchedule({
        cron: scan.dbUpdate,
        ...(scan.timezone ? { timezone: scan.timezone } : {}),
        clock: SYSTEM_CLOCK,
        claim,
        dbPath: ctx.dbPath,
        verdicts: stores.verdicts,
        policy,
        logger,
        metrics,
      }),
    );
  return out;
}
