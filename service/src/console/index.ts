import express, { type NextFunction, type Request, type Response } from 'express';
import { ALL_SCANNERS, isPortcullisError } from '../../../core/src/index.js';
import { readAffected } from '../affected.js';
import type { ServiceDeps } from '../app.js';
import { toExceptionsView } from '../exceptions.js';
import { createImageIndex, isImageSelected } from '../image-index.js';
import { parseImageFilter, parseImageSort, sortImages, toImageDetail } from '../images.js';
import { toOverview } from '../overview.js';
import { toSettingsView } from '../settings.js';
import { cancelTask, startTask } from '../task-actions.js';
import { authenticate } from '../tokens.js';
import { findWorkloads, readWorkloads } from '../workloads.js';
import { CONSOLE_CSS, CONSOLE_CSS_ETAG, CONSOLE_JS, CONSOLE_JS_ETAG } from './assets.js';
import type { SafeHtml } from './html.js';
import { renderPage, type PageOptions } from './layout.js';
import { renderImageDetail, renderImageList } from './pages/images.js';
import { renderAffected, renderError, renderSignIn } from './pages/misc.js';
import { renderOverview } from './pages/overview.js';
import { renderExceptions, renderSettings } from './pages/policy.js';
import { isTaskRunning, renderScanForm, renderTaskDetail, renderTaskList } from './pages/tasks.js';
import {
  createSessionStore,
  isValidCsrf,
  readCookie,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  toSessionCookie,
  type ConsoleSession,
  type SessionStore,
} from './session.js';

/**
 * Every console response: nothing but this origin's own script and stylesheet (no inline code, no third
 * party), no framing, no referrer, no caching of pages that show findings.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

type WithSession = Request & { session?: ConsoleSession };

class ConsoleHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const IMAGE_PAGE = 50;

/**
 * The operator console at `/`: server-rendered pages built from the same functions the `/api/v1` handlers
 * call (so a page and its API answer cannot disagree), behind a session that a service token opens.
 */
export function createConsole(
  deps: ServiceDeps,
  sessions: SessionStore = createSessionStore(),
): express.Router {
  const now = deps.now ?? (() => new Date());
  const index = createImageIndex({ ...deps, now });
  // evaluate the store at start-up, so the first page someone opens does not wait for it
  index.read().catch((error: unknown) => deps.logger.error('console: image index failed', { error }));
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 100 });

  router.use((_req, res, next) => {
    res.set({
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts
      'referrer-policy': 'same-origin',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    next();
  });
  const asset = (type: string, body: string, tag: string) => (req: Request, res: Response) => {
    res.set({ 'cache-control': 'no-cache', etag: tag }).type(type);
    if (req.headers['if-none-match'] === tag) res.status(304).end();
    else res.send(body);
  };
  router.get('/assets/console.css', asset('text/css', CONSOLE_CSS, CONSOLE_CSS_ETAG));
  router.get('/assets/console.js', asset('text/javascript', CONSOLE_JS, CONSOLE_JS_ETAG));

  const send = (res: Response, opts: PageOptions, body: SafeHtml, status = 200): void => {
    res.status(status).set('cache-control', 'no-store').type('html').send(renderPage(opts, body).text);
  };

  // a cross-site form post carries a foreign Origin: refused before anything else (sign-in included)
  router.use((req, _res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `https://${req.headers.host}`)
        throw new ConsoleHttpError(403, 'cross-origin request refused');
    }
    next();
  });

  router.get('/sign-in', (_req, res) => send(res, { title: 'Sign in' }, renderSignIn()));
  router.post('/sign-in', form, (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token.trim() : '';
    const principal = token ? authenticate(`Bearer ${token}`, deps.tokens) : undefined;
    if (!principal) {
      deps.logger.info('console: sign-in refused');
      send(res, { title: 'Sign in' }, renderSignIn('That token is not in the tokens file.'), 401);
      return;
    }
    const old = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (old) sessions.destroy(old);
    const session = sessions.create(principal);
    deps.logger.info('console: signed in', { by: principal.name, role: principal.role });
    res.set('set-cookie', toSessionCookie(session.id, SESSION_TTL_MS / 1000)).redirect(303, '/overview');
  });

  // every route below needs a session; state changes also need its CSRF token
  router.use(form, (req: WithSession, res, next) => {
    const session = sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (!session) {
      if (req.method === 'GET' || req.method === 'HEAD') res.redirect(303, '/sign-in');
      else throw new ConsoleHttpError(401, 'not signed in (or the session expired)');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !isValidCsrf(session, req.body?._csrf))
      throw new ConsoleHttpError(403, 'the form is stale or forged (CSRF token mismatch): reload the page');
    req.session = session;
    next();
  });
  const admin = (req: WithSession, _res: Response, next: NextFunction): void => {
    if (req.session?.principal.role !== 'admin')
      throw new ConsoleHttpError(
        403,
        `token "${req.session?.principal.name}" has role read; admin is required`,
      );
    next();
  };
  const page = (req: WithSession, title: string, active?: string): PageOptions => ({
    title,
    ...(req.session ? { session: req.session } : {}),
    ...(active ? { active } : {}),
  });

  router.post('/sign-out', (req: WithSession, res) => {
    sessions.destroy(req.session?.id ?? '');
    res.set('set-cookie', toSessionCookie('', 0)).redirect(303, '/sign-in');
  });
  router.get('/', (_req, res) => res.redirect(303, '/overview'));
  router.get('/overview', async (req: WithSession, res) => {
    const { images } = await index.read();
    const o = await toOverview({ ...deps, images, policy: deps.policy(), now: now() });
    send(res, page(req, 'Overview', '/overview'), renderOverview(o));
  });
  router.get('/images', async (req: WithSession, res) => {
    const q = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== ''));
    const filter = parseImageFilter(q);
    const sort = parseImageSort(q);
    const offset = Math.max(0, Math.floor(Number(q.offset ?? 0)) || 0);
    const snapshot = await index.read();
    const selected = snapshot.images.filter((i) => isImageSelected(i, filter));
    const seenAs = new Map(selected.map((i) => [i.summary.digest, i.seenAs]));
    const all = sortImages(
      selected.map((i) => i.summary),
      sort,
    );
    const view = {
      items: all.slice(offset, offset + IMAGE_PAGE),
      total: all.length,
      limit: IMAGE_PAGE,
      offset,
      filter,
      sort,
      registries: (deps.policy().registries ?? []).map((r) => r.name),
      seenAs,
      asOf: snapshot.builtAt.toISOString(),
      refreshing: snapshot.refreshing,
    };
    send(res, page(req, 'Images', '/images'), renderImageList(view));
  });
  router.get('/images/:digest', async (req: WithSession, res) => {
    const digest = req.params.digest as string;
    const entry = /^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest) ? await deps.verdicts.get(digest) : undefined;
    if (!entry) throw new ConsoleHttpError(404, `no stored result for ${digest}`);
    const detail = toImageDetail(entry, deps.policy(), now());
    send(
      res,
      page(req, detail.reference, '/images'),
      renderImageDetail(detail, await findWorkloads(deps.tasks, digest)),
    );
  });
  router.get('/tasks', async (req: WithSession, res) => {
    const list = await deps.tasks.list({ limit: 100 });
    send(res, page(req, 'Tasks', '/tasks'), renderTaskList(list, req.session as ConsoleSession));
  });
  router.get('/tasks/:id', async (req: WithSession, res) => {
    const task = await deps.tasks.get(req.params.id as string);
    if (!task) throw new ConsoleHttpError(404, `no task ${req.params.id}`);
    const log = await deps.tasks.readLog(task.id);
    send(
      res,
      { ...page(req, `Task ${task.id}`, '/tasks'), live: isTaskRunning(task) ? 'running' : 'ended' },
      renderTaskDetail(task, log, req.session as ConsoleSession),
    );
  });
  router.post('/tasks/:id/cancel', admin, async (req: WithSession, res) => {
    const id = req.params.id as string;
    await cancelTask(deps, req.session?.principal.name ?? '', id);
    res.redirect(303, `/tasks/${encodeURIComponent(id)}`);
  });
  router.get('/scan', admin, (req: WithSession, res) => {
    const registries = (deps.policy().registries ?? []).map((r) => ({ name: r.name, url: r.url }));
    const body = renderScanForm(registries, ALL_SCANNERS, req.session as ConsoleSession, !!deps.startRuntime);
    send(res, page(req, 'Scan now', '/scan'), body);
  });
  router.post('/scan', admin, async (req: WithSession, res) => {
    const many = (v: unknown): string[] | undefined =>
      v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String);
    const registries = many(req.body?.registries);
    const scanners = many(req.body?.scanners);
    const task = await startTask(deps, req.session?.principal.name ?? '', {
      ...(registries ? { registries } : {}),
      ...(scanners ? { scanners } : {}),
      ...(req.body?.runtime === 'true' ? { runtime: true } : {}),
    });
    res.redirect(303, `/tasks/${encodeURIComponent(task.id)}`);
  });
  router.get('/settings', (req: WithSession, res) => {
    send(
      res,
      page(req, 'Settings', '/settings'),
      renderSettings(toSettingsView(deps.policy(), deps.schedule)),
    );
  });
  router.get('/exceptions', async (req: WithSession, res) => {
    const view = toExceptionsView(await deps.verdicts.listProjections(), deps.policy(), now());
    send(res, page(req, 'Exceptions', '/exceptions'), renderExceptions(view));
  });
  router.get('/affected', async (req: WithSession, res) => {
    const id = typeof req.query.id === 'string' ? req.query.id.trim() : '';
    const report = id ? await readAffected(deps.verdicts, id, deps.policy()) : undefined;
    const workloads = report ? await readWorkloads(deps.tasks) : new Map();
    send(res, page(req, 'Affected', '/affected'), renderAffected(id, report, workloads));
  });

  router.use((err: unknown, req: WithSession, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status =
      err instanceof ConsoleHttpError
        ? err.status
        : isPortcullisError(err)
          ? err.code === 'TASK_NOT_FOUND'
            ? 404
            : err.code === 'STORE_UNAVAILABLE'
              ? 503
              : 400
          : 500;
    if (status >= 500) deps.logger.error('console request failed', { path: req.path, error: err });
    const message = status === 500 ? 'internal error' : (err as Error).message;
    send(res, page(req, status === 404 ? 'Not found' : 'Error'), renderError(status, message), status);
  });
  return router;
}
