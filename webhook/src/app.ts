import express, { type NextFunction, type Request, type Response } from 'express';
import { PortcullisError, isPortcullisError } from '../../core/src/index.js';
import type { WebhookConfig } from './config.js';
import { decideAdmission, type AdmissionDecision } from './decide.js';
import { withTimeout } from './judge-image.js';
import { createLogger, type Logger } from './logger.js';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.js';
import type { PolicyEngine } from './policy-engine.js';
import { createPushVerifier, storePush, toPushStatus } from './push.js';
import { createCachingResolver, createHeadDigestResolver, type DigestResolver } from './resolver.js';
import { parseAdmissionReview, toAdmissionReviewReply } from './review.js';
import { createScanCache } from './scan-cache.js';
import { createScanQueue, type ScanImageFn, type ScanQueue } from './scan-queue.js';
import type { VerdictStore } from './store/verdict-store.js';

/** What the app is built from. Only config, policy and store are required; the rest have working defaults. */
export interface WebhookDeps {
  config: WebhookConfig;
  policy: PolicyEngine;
  store: VerdictStore;
  /** Tag → digest; default: registry HEAD through a TTL cache. */
  resolver?: DigestResolver;
  /** Background scanner (core's scan, wired by the integrator); without it unknown images cannot be scanned. */
  scanImage?: ScanImageFn;
  logger?: Logger;
  metrics?: WebhookMetrics;
  now?: () => Date;
}

/** The express app and the parts tests and the server need to reach. */
export interface WebhookApp {
  app: express.Express;
  queue: ScanQueue;
  metrics: WebhookMetrics;
  logger: Logger;
  /** Stops the scan queue (running scans finish). The store belongs to the caller. */
  close(): Promise<void>;
}

const noScanner: ScanImageFn = async (ref) => {
  throw new PortcullisError('WEBHOOK_SCAN_QUEUE_FULL', `no scanner configured to scan ${ref}`);
};

/** `?timeout=10s` from the apiserver → ms, leaving 250 ms to send the answer. */
function apiserverDeadline(q: unknown): number | undefined {
  const m = typeof q === 'string' ? /^(\d+)s$/.exec(q) : null;
  return m ? Math.max(100, Number(m[1]) * 1000 - 250) : undefined;
}

/** Builds the webhook's express app: /validate, /v1/verdicts, /healthz, /readyz, /metrics. */
export function createWebhookApp(deps: WebhookDeps): WebhookApp {
  const { config, store } = deps;
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  const metrics = deps.metrics ?? createWebhookMetrics();
  const now = deps.now ?? (() => new Date());
  const resolver =
    deps.resolver ??
    createCachingResolver(
      createHeadDigestResolver({
        insecureRegistries: config.insecureRegistries,
        timeoutMs: config.registryTimeoutMs,
      }),
      { ttlMs: config.digestCacheTtlSeconds * 1000, maxEntries: config.digestCacheMaxEntries },
    );
  const scanCache = createScanCache({
    ttlMs: config.scanCacheTtlSeconds * 1000,
    maxEntries: config.scanCacheMaxEntries,
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
  const decideDeps = { config, store, resolver, queue, scanCache, logger, metrics, policy: deps.policy, now };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.post(
    '/validate',
    express.json({ limit: config.bodyLimit, type: () => true }),
    async (req: Request, res: Response) => {
      const start = process.hrtime.bigint();
      let review;
      try {
        review = parseAdmissionReview(req.body);
      } catch (err) {
        res.status(400).json({ code: 'WEBHOOK_REVIEW_INVALID', message: (err as Error).message });
        return;
      }
      let decision: AdmissionDecision;
      try {
        decision = await decideAdmission(review, decideDeps, {
          deadlineMs: apiserverDeadline(req.query.timeout),
        });
      } catch (err) {
        // A bug must not turn into an allow: answer per the failure mode, loudly.
        logger.error('decision failed', { uid: review.uid, error: err });
        const open = config.failureMode === 'open';
        const message = `portcullis could not decide (${(err as Error).message}); failing ${open ? 'open' : 'closed'}`;
        res.json(
          toAdmissionReviewReply(review.uid, {
            allowed: open,
            code: 500,
            message,
            warnings: open ? [message] : [],
          }),
        );
        metrics.decisions.inc({ result: open ? 'warn' : 'deny', mode: 'enforce', reason: 'failure' });
        return;
      }
      const outcome = !decision.allowed ? 'deny' : decision.warnings.length > 0 ? 'warn' : 'allow';
      res.json(
        toAdmissionReviewReply(review.uid, {
          allowed: decision.allowed,
          ...(decision.message !== undefined ? { message: decision.message } : {}),
          ...(decision.code !== undefined ? { code: decision.code } : {}),
          warnings: decision.warnings,
          auditAnnotations: decision.auditAnnotations,
        }),
      );
      metrics.decisions.inc({ result: outcome, mode: decision.mode, reason: decision.basis });
      metrics.latency.observe({ result: outcome }, Number(process.hrtime.bigint() - start) / 1e9);
      const fields = {
        uid: review.uid,
        kind: review.kind.kind,
        namespace: review.namespace,
        name: review.name,
        operation: review.operation,
        dryRun: review.dryRun,
        allowed: decision.allowed,
        result: decision.result,
        mode: decision.mode,
        basis: decision.basis,
        policyDigest: decision.policyDigest,
        images: decision.images.map((i) => ({
          image: i.image,
          digest: i.digest,
          outcome: i.outcome,
          basis: i.basis,
        })),
      };
      if (decision.result === 'allow') logger.debug('admission', fields);
      else logger.info('admission', { ...fields, message: decision.message });
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
    try {
      await withTimeout(store.ping(), config.storeTimeoutMs, () => new Error('store ping timed out'));
      res.json({ status: 'ready', store: store.kind });
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

  return {
    app,
    queue,
    metrics,
    logger,
    async close() {
      await queue.close();
    },
  };
}
