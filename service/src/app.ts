import express, { type NextFunction, type Request, type Response } from 'express';
import {
  PortcullisError,
  isPortcullisError,
  resolvePolicy,
  type Policy,
  type TaskStore,
  type VerdictStore,
} from '../../core/src/index.js';
import { readAffected } from './affected.js';
import { createConsole } from './console/index.js';
import { toExceptionsView } from './exceptions.js';
import { toIndexedImage } from './image-index.js';
import { parseImageFilter, parseImageSort, selectImages, sortImages, toImageDetail } from './images.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { toOverview } from './overview.js';
import type { TaskRunner } from './runner.js';
import { toSettingsView } from './settings.js';
import { cancelTask, startTask } from './task-actions.js';
import { authenticate, type Principal, type TokenEntry } from './tokens.js';
import { findWorkloads } from './workloads.js';

/** What the API is built from; every part is injected so tests run it on memory stores and loopback fakes. */
export interface ServiceDeps {
  /** The current policy (re-read by the caller when its file changes). */
  policy: () => Policy;
  tasks: TaskStore;
  verdicts: VerdictStore;
  runner: TaskRunner;
  tokens: readonly TokenEntry[];
  logger: Logger;
  metrics: ServiceMetrics;
  /** Starts a runtime image scan (pods from the Kubernetes API); absent when the service has no cluster access. */
  startRuntime?: () => Promise<{ id: string }>;
  /** The schedule and DB-update settings the service runs with, for `/api/v1/settings`. */
  schedule?: { scan?: string; dbUpdate?: string; timezone?: string };
  /** The vulnerability DB the scans use, for its age on the overview. */
  dbPath?: string;
  now?: () => Date;
}

const STATUS: Partial<Record<string, number>> = {
  USAGE_INVALID: 400,
  TASK_NOT_FOUND: 404,
  SERVICE_CONFIG_INVALID: 400,
  STORE_UNAVAILABLE: 503,
  WEBHOOK_STORE_UNAVAILABLE: 503,
};

type Authed = Request & { principal?: Principal };

const toInt = (v: unknown, name: string, dflt: number, max: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0 || n > max)
    throw new PortcullisError('USAGE_INVALID', `${name} must be an integer from 0 to ${max}`);
  return n;
};

/** Builds the service's express app: `/api/v1/…` behind bearer tokens, `/healthz` and `/metrics` open. */
export function createServiceApp(deps: ServiceDeps): express.Express {
  const { tasks, verdicts, logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // the API description is public: it says what exists, not what is stored
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(OPENAPI_DOCUMENT);
  });

  const api = express.Router();
  api.use((req: Authed, res, next) => {
    const principal = authenticate(req.headers.authorization, deps.tokens);
    if (!principal) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer realm="portcullis"')
        .json({ error: { code: 'UNAUTHENTICATED', message: 'a bearer token from --tokens is required' } });
      return;
    }
    req.principal = principal;
    next();
  });
  const admin = (req: Authed, res: Response, next: NextFunction): void => {
    if (req.principal?.role !== 'admin') {
      res.status(403).json({
        error: {
          code: 'FORBIDDEN',
          message: `token "${req.principal?.name}" has role read; admin is required`,
        },
      });
      return;
    }
    next();
  };

  api.get('/tasks', async (req, res) => {
    const limit = toInt(req.query.limit, 'limit', 100, 1000);
    res.json({ items: await tasks.list({ limit }) });
  });
  api.post('/tasks', express.json({ limit: '64kb' }), admin, async (req: Authed, res) => {
    const task = await startTask(deps, req.principal?.name ?? '', req.body);
    res.status(202).location(`/api/v1/tasks/${task.id}`).json(task);
  });
  api.get('/tasks/:id', async (req, res) => {
    const task = await tasks.get(req.params.id as string);
    if (!task) throw new PortcullisError('TASK_NOT_FOUND', `no task ${req.params.id}`);
    res.json(task);
  });
  api.get('/tasks/:id/log', async (req, res) => {
    const id = req.params.id as string;
    if (!(await tasks.get(id))) throw new PortcullisError('TASK_NOT_FOUND', `no task ${id}`);
    res.json({ items: await tasks.readLog(id) });
  });
  api.post('/tasks/:id/cancel', admin, async (req: Authed, res) => {
    const id = req.params.id as string;
    const done = await cancelTask(deps, req.principal?.name ?? '', id);
    if ('ended' in done) {
      res.status(409).json({
        error: {
          code: 'TASK_ENDED',
          message: `task ${id} has ended (${done.ended.status}); nothing to cancel`,
        },
      });
      return;
    }
    res.status(202).json({ id, cancelRequested: true });
  });

  api.get('/images', async (req, res) => {
    const filter = parseImageFilter(req.query);
    const limit = toInt(req.query.limit, 'limit', 50, 500);
    const offset = toInt(req.query.offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    const all = sortImages(
      selectImages(await verdicts.listProjections(), deps.policy(), filter, now()),
      parseImageSort(req.query),
    );
    res.json({ items: all.slice(offset, offset + limit), total: all.length, limit, offset });
  });
  api.get('/images/:digest', async (req, res) => {
    const digest = req.params.digest as string;
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest))
      throw new PortcullisError('USAGE_INVALID', 'digest must look like sha256:<hex>');
    const entry = await verdicts.get(digest);
    if (!entry) {
      res.status(404).json({ error: { code: 'IMAGE_NOT_FOUND', message: `no stored result for ${digest}` } });
      return;
    }
    res.json(toImageDetail(entry, deps.policy(), now()));
  });
  api.get('/affected/:id', async (req, res) => {
    res.json(await readAffected(verdicts, req.params.id as string, deps.policy()));
  });
  api.get('/images/:digest/workloads', async (req, res) => {
    res.json({ items: await findWorkloads(tasks, req.params.digest as string) });
  });
  api.get('/overview', async (_req, res) => {
    const [policy, at] = [deps.policy(), now()];
    const resolved = resolvePolicy(policy);
    const images = (await verdicts.listProjections()).map((e) => toIndexedImage(e, policy, at, resolved));
    res.json(await toOverview({ ...deps, images, policy, now: at }));
  });
  api.get('/exceptions', async (_req, res) => {
    res.json(toExceptionsView(await verdicts.listProjections(), deps.policy(), now()));
  });
  api.get('/settings', (_req, res) => {
    res.json(toSettingsView(deps.policy(), deps.schedule));
  });
  api.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such endpoint' } });
  });

  app.use('/api/v1', api);
  // the operator console (HTML pages) at `/`, after the API so it never shadows an API path
  app.use(createConsole(deps));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const code = isPortcullisError(err) ? err.code : 'INTERNAL';
    const status =
      (err as { type?: string }).type === 'entity.parse.failed'
        ? 400
        : (STATUS[code] ?? (isPortcullisError(err) ? 400 : 500));
    if (status >= 500) logger.error('request failed', { path: req.path, error: err });
    const message = status === 500 && !isPortcullisError(err) ? 'internal error' : (err as Error).message;
    res
      .status(status)
      .json({ error: { code: status === 400 && !isPortcullisError(err) ? 'USAGE_INVALID' : code, message } });
  });
  return app;
}
