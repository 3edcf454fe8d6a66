import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { PortcullisError, isPortcullisError } from '../../core/src/index.js';
import type { WebhookConfig } from './config.js';
import type { DbProbeResult } from './db-probe.js';
import { withTimeout } from './judge-image.js';
import { createLogger, type Logger } from './logger.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import type { PolicyEngine } from './policy-engine.js';
import { createPushVerifier, storePush, toPushStatus } from './push.js';
import { createRegistryDigestResolver } from './core-wiring.js';
import { createCachingResolver, type DigestResolver } from './resolver.js';
import { createScanCache, createTtlCache } from './scan-cache.js';
import type { ImageJudgement } from './judge-image.js';
import type { AdmissionDecision } from './decide.js';
import { createScanQueue, type ScanImageFn, type ScanQueue } from './scan-queue.js';
import type { VerdictStore } from './store/index.js';
import { createAdmissionRecorder } from './admission-log.js';
import { createValidateHandler } from './validate.js';

/** What the app is built from. Only config, policy and store are required; the rest have working defaults. */
export interface WebhookDeps {
  config: WebhookConfig;
  policy: PolicyEngine;
  store: VerdictStore;
  /** Tag → digest; default: core's registry client through a TTL cache. */
  resolver?: DigestResolver;
  /** Background scanner (core's scan, wired by the integrator); without it unknown images cannot be scanned. */
  scanImage?: ScanImageFn;
  logger?: Logger;
  metrics?: WebhookMetrics;
  now?: () => Date;
  /**
   * The vulnerability DB the background scans use (wired by the CLI); `/readyz` is not ready while it is
   * missing or unreadable, since every scan would then check no vulnerabilities.
   */
  dbProbe?: () => DbProbeResult;
}

/** The express app and the parts tests and the server need to reach. */
export interface WebhookApp {
  app: express.Express;
  /**
   * The server's request listener: `POST /validate` goes to a lean node:http handler (the hot path, which
   * would otherwise spend most of its time in express's per-request machinery), everything else to `app`.
   */
  requestListener: (req: IncomingMessage, res: ServerResponse) => void;
  queue: ScanQueue;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Stops the scan queue (running scans finish). The store belongs to the caller. */
  close(): Promise<void>;
}

const noScanner: ScanImageFn = async (ref) => {
  throw new PortcullisError('WEBHOOK_SCAN_QUEUE_FULL', `no scanner configured to scan ${ref}`);
};

/** Builds the webhook's express app: /validate, /v1/verdicts, /healthz, /readyz, /metrics. */
export function createWebhookApp(deps: WebhookDeps): WebhookApp {
  const { config, store } = deps;
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const metrics = deps.metrics ?? createWebhookMetrics();
  const now = deps.now ?? (() => new Date());
  const resolver =
    deps.resolver ??
    createCachingResolver(createRegistryDigestResolver({ insecureRegistries: config.insecureRegistries }), {
      ttlMs: config.digestCacheTtlSeconds * 1000,
      maxEntries: config.digestCacheMaxEntries,
    });
  const scanCache = createScanCache({
    ttlMs: config.scanCacheTtlSeconds * 1000,
    maxEntries: config.scanCacheMaxEntries,
  });
  const judgementCache = createTtlCache<ImageJudgement>({
    ttlMs: config.decisionCacheTtlMs,
    maxEntries: config.scanCacheMaxEntries * 4,
  });
  // Decisions stand on cached scans: never kept longer than the scans they came from (0 = no scan cache, none).
  const decisionCache = createTtlCache<AdmissionDecision>({
    ttlMs: Math.min(config.decisionCacheTtlMs, config.scanCacheTtlSeconds * 1000),
    maxEntries: config.scanCacheMaxEntries * 4,
  });
  const queue = createScanQueue({
    scanImage: deps.scanImage ?? noScanner,
    store,
    concurrency: config.scanWorkers,
    maxQueued: config.scanQueueLimit,
    now,
    onDepth: (waiting, running) => {
      metrics.queueDepth.set({ state: 'waiting' }, waiting);
      metrics.queueDepth.set({ state: 'running' }, running);
    },
    onResult: (digest, outcome, err) => {
      metrics.scans.inc({ outcome });
      if (outcome === 'failed') logger.warn('background scan failed', { digest, error: err });
      else logger.info('background scan stored', { digest });
    },
  });
  const push = createPushVerifier({
    trustedKeys: config.trustedKeys,
    oidcIssuers: config.oidcIssuers,
    store,
    now,
  });
  const decideDeps = {
    config,
    store,
    resolver,
    queue,
    scanCache,
    judgementCache,
    decisionCache,
    logger,
    metrics,
    policy: deps.policy,
    now,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const admissions = createAdmissionRecorder({ store, logger, metrics });
  const validate = createValidateHandler({ config, logger, metrics, decideDeps, admissions });
  // Kept for supertest and any caller mounting the app; the HTTPS server routes /validate to the raw handler.
  app.post(
    '/validate',
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.receivedAt = process.hrtime.bigint(); // before the body is read, as the raw listener counts
      next();
    },
    express.json({ limit: config.bodyLimit, type: () => true }),
    async (req: Request, res: Response) => {
      const r = await validate.handle(req.body, req.query.timeout, res.locals.receivedAt as bigint);
      if (r.json !== undefined) res.status(r.status).type('application/json').send(r.json);
      else res.status(r.status).json(r.body);
    },
  );

  app.post(
    '/v1/verdicts',
    express.json({ limit: config.pushBodyLimit, type: () => true }),
    async (req: Request, res: Response) => {
      try {
        const verified = await push.verify(req.body, req.get('authorization'));
        const entry = await storePush(store, verified, now());
        scanCache.set(entry);
        metrics.pushes.inc({ method: verified.method, outcome: 'stored' });
        logger.info('verdict pushed', {
          digest: entry.digest,
          method: verified.method,
          pushedBy: verified.pushedBy,
        });
        res.status(201).json({ digest: entry.digest, scannedAt: entry.scannedAt, origin: entry.origin });
      } catch (err) {
        const status = toPushStatus(err);
        metrics.pushes.inc({ method: 'unknown', outcome: 'refused' });
        if (status === 503) metrics.storeErrors.inc({ op: 'put' });
        const code = isPortcullisError(err) ? err.code : 'INTERNAL';
        logger.warn('verdict push refused', { code, reason: (err as Error).message });
        res.status(status).json({ code, message: (err as Error).message });
      }
    },
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const db = deps.dbProbe?.();
    if (db && !db.ready) {
      res.status(503).json({
        status: 'unavailable',
        store: store.kind,
        db: db.path,
        message: `no usable vulnerability DB at ${db.path}: ${db.message ?? 'unreadable'} (run \`portcullis db update\`)`,
      });
      return;
    }
    try {
      await withTimeout(store.ping(), config.storeTimeoutMs, () => new Error('store ping timed out'));
      res.json({
        status: 'ready',
        store: store.kind,
        ...(db ? { db: db.path, ...(db.builtAt ? { dbBuiltAt: db.builtAt } : {}) } : {}),
      });
    } catch (err) {
      metrics.storeErrors.inc({ op: 'ping' });
      res.status(503).json({ status: 'unavailable', store: store.kind, message: (err as Error).message });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // Body-parser errors (malformed JSON, too large) → a clear 4xx, never an allow.
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; type?: string; message?: string };
    const status = e.status && e.status >= 400 && e.status < 500 ? e.status : 500;
    const code = req.path === '/validate' ? 'WEBHOOK_REVIEW_INVALID' : 'WEBHOOK_PUSH_INVALID';
    const message =
      e.type === 'entity.too.large'
        ? `body larger than ${req.path === '/validate' ? config.bodyLimit : config.pushBodyLimit}`
        : e.type === 'entity.parse.failed'
          ? 'body is not valid JSON'
          : (e.message ?? 'bad request');
    if (status === 500) logger.error('request failed', { path: req.path, error: err });
    res.status(status).json({ code: status === 500 ? 'INTERNAL' : code, message });
  });

  const isValidate = (url: string | undefined): boolean =>
    url === '/validate' || (url?.startsWith('/validate?') ?? false);
  return {
    app,
    requestListener: (req, res) => {
      if (req.method === 'POST' && isValidate(req.url)) validate.listener(req, res);
      else app(req, res);
    },
    queue,
    metrics,
    logger,
    async close() {
      await queue.close();
      // what was answered but not yet written goes to the store before the process ends
      await admissions.close();
    },
  };
}
