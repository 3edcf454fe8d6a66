import express from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createMemoryTaskStore,
  emptyProgress,
  type Finding,
  type Policy,
  type StoredScan,
} from '../../../core/src/index.js';
import { createServiceApp } from '../../../service/src/app.js';
import { toSyntheticStored } from '../../helpers/stored-scan.js';
import { createConsole } from '../../../service/src/console/index.js';
import { html } from '../../../service/src/console/html.js';
import { createSessionStore } from '../../../service/src/console/session.js';
import { createServiceMetrics } from '../../../service/src/metrics.js';
import type { TaskRunner } from '../../../service/src/runner.js';
import { ADMIN_TOKEN, createCapturingLogger, READ_TOKEN, TOKENS } from '../helpers.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const LAYER = `sha256:${'c'.repeat(64)}`;
const EVIL = '<script>alert(1)</script>';

const vuln = (id: string, purl: string, severity: Finding['severity']): Finding => ({
  type: 'vulnerability',
  id,
  severity,
  title: `${id} in a package`,
  location: { path: '/var/lib/dpkg/status', layerDigest: LAYER },
  package: { name: 'apt', version: '2.6.1', fixedVersion: '2.6.2', ecosystem: 'Debian:12', purl },
});
const SECRET: Finding = {
  type: 'sensitive-file',
  id: 'PCS-SECRET-AWS-SECRET-ACCESS-KEY',
  severity: 'critical',
  title: 'AWS secret access key',
  location: { path: '/root/.aws/credentials', layerDigest: LAYER, line: 3 },
  evidence: 'aws_secret_access_key = wJal************',
};

function toStored(ref: string, digest: string, findings: Finding[]): StoredScan {
  return toSyntheticStored({
    ref,
    digest,
    findings,
    layers: [{ digest: LAYER }],
    db: { builtAt: '2026-11-30T00:00:00Z' },
  });
}

const POLICY: Policy = {
  apiVersion: 'portcullis/v1',
  registries: [{ name: 'example', kind: 'distribution', url: 'https://registry.example' }],
  scan: { schedule: '0 3 * * *' },
  exceptions: [
    // expiring in 3 days (default warning 14d), scoped to team/app: suppresses A's CVE-2026-1
    {
      id: 'CVE-2026-1',
      repositories: ['registry.example/team/app'],
      reason: 'upgrade next sprint',
      owner: 'team',
      ticket: 'SEC-1',
      expires: '2026-12-04',
    },
    // the same id scoped elsewhere: suppresses nothing (negative scope case)
    { id: 'CVE-2026-2', repositories: ['registry.example/other/*'], reason: 'not here' },
    // expired: suppresses nothing any more
    { id: 'CVE-2026-2', reason: 'was accepted', expires: '2026-11-01' },
    // active, far off
    { id: 'CVE-2026-404', reason: 'absent everywhere', expires: '2027-06-01' },
  ],
};

describe('operator console and its API endpoints (memory stores)', () => {
  const tasks = createMemoryTaskStore();
  const verdicts = createMemoryStore();
  const { logger, lines } = createCapturingLogger();
  const started: unknown[] = [];
  const runner = {
    start: async (req: { registries?: string[] }) => {
      started.push(req);
      const t = {
        id: `t${started.length}`,
        trigger: 'manual' as const,
        scope: { registries: req.registries ?? [], scanners: [] },
        status: 'queued' as const,
        progress: emptyProgress(),
        createdAt: NOW.toISOString(),
      };
      await tasks.create(t);
      return t;
    },
    cancel: async (id: string) => tasks.requestCancel(id),
  } as unknown as TaskRunner;
  const deps = {
    policy: () => POLICY,
    tasks,
    verdicts,
    runner,
    tokens: TOKENS,
    logger,
    metrics: createServiceMetrics(),
    now: () => NOW,
  };
  const app = createServiceApp(deps);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  async function signIn(
    token: string,
    store: express.Express = app,
  ): Promise<{ cookie: string; csrf: string }> {
    const res = await request(store).post('/sign-in').type('form').send({ token }).expect(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const page = await request(store).get('/overview').set('cookie', cookie).expect(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] as string;
    return { cookie, csrf };
  }

  beforeAll(async () => {
    await verdicts.put(
      toStored(`registry.example/team/app@${DIGEST_A}`, DIGEST_A, [
        vuln('CVE-2026-1', 'pkg:deb/debian/apt@2.6.1', 'high'),
        vuln('CVE-2026-2', 'pkg:npm/left-pad@1.0.0', 'medium'),
        SECRET,
      ]),
    );
    await verdicts.put(toStored(`registry.example/${EVIL}/x@${DIGEST_B}`, DIGEST_B, []));
    // a runtime task saw A running in two pods; a manual task's log (no usedBy) does not count
    for (const [id, trigger] of [
      ['rt', 'runtime'],
      ['man', 'manual'],
    ] as const) {
      await tasks.create({
        id,
        trigger,
        scope: { registries: [], scanners: [] },
        status: 'succeeded',
        progress: emptyProgress(),
        createdAt: NOW.toISOString(),
      });
      await tasks.appendLog(id, {
        reference: 'registry.example/team/app:1',
        digest: DIGEST_A,
        registry: 'example',
        outcome: 'scanned',
        durationMs: 10,
        findings: { critical: 1, high: 0, medium: 1, low: 0, unknown: 0 },
        ...(trigger === 'runtime' ? { usedBy: ['prod/app-1', 'dev/app-2'] } : {}),
        at: NOW.toISOString(),
      });
    }
  });

  describe('html template', () => {
    it('escapes every interpolation, keeps nested templates, drops null/false', () => {
      const inner = html`<b>${'<i>'}</b>`;
      expect(
        html`<p title="${'"x" & \'y\''}">${EVIL}${inner}${[inner, '<']}${null}${false}${0}</p>`.text,
      ).toBe(
        '<p title="&quot;x&quot; &amp; &#39;y&#39;">&lt;script&gt;alert(1)&lt;/script&gt;<b>&lt;i&gt;</b><b>&lt;i&gt;</b>&lt;0</p>',
      );
    });
    it('shows the tagged reference a task scanned a stored digest as', async () => {
      const { cookie } = await signIn(READ_TOKEN);
      const res = await request(app).get('/images').set('cookie', cookie).expect(200);
      expect(res.text).toContain('as registry.example/team/app:1');
      expect(res.text.match(/as registry\.example/g)).toHaveLength(1);
    });
    it('renders a repository named <script> inert on the images list and its detail page', async () => {
      const { cookie } = await signIn(READ_TOKEN);
      for (const path of ['/images', `/images/${DIGEST_B}`]) {
        const res = await request(app).get(path).set('cookie', cookie).expect(200);
        expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
        expect(res.text).not.toContain(EVIL);
        expect(res.text.match(/<script/g)).toHaveLength(1); // the console's own module only
        expect(res.text).toContain('<script type="module" src="/assets/console.js"></script>');
      }
    });
  });

  describe('sessions', () => {
    it('refuses an unknown token (401) and sets no cookie', async () => {
      const res = await request(app)
        .post('/sign-in')
        .type('form')
        .send({ token: `${ADMIN_TOKEN}x` })
        .expect(401);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(lines.some((l) => l.includes('sign-in refused'))).toBe(true);
    });
    it('sets an HttpOnly, Secure, SameSite=Strict cookie holding a random id, never the token or its digest', async () => {
      const res = await request(app).post('/sign-in').type('form').send({ token: ADMIN_TOKEN }).expect(303);
      const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
      expect(cookie).toMatch(
        /^portcullis_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/,
      );
      expect(cookie).not.toContain(ADMIN_TOKEN);
      const page = await request(app).get('/overview').set('cookie', cookie.split(';')[0]!).expect(200);
      expect(page.text).not.toContain(ADMIN_TOKEN);
    });
    it('redirects to sign-in without a session, and after sign-out, and once the session expired', async () => {
      expect((await request(app).get('/images').expect(303)).headers.location).toBe('/sign-in');
      const { cookie, csrf } = await signIn(ADMIN_TOKEN);
      await request(app)
        .post('/sign-out')
        .set('cookie', cookie)
        .type('form')
        .send({ _csrf: csrf })
        .expect(303);
      expect((await request(app).get('/overview').set('cookie', cookie).expect(303)).headers.location).toBe(
        '/sign-in',
      );
      // a console on a session store with a 1 s lifetime and a hand-driven clock
      let t = 0;
      const agedApp = express().use(createConsole(deps, createSessionStore({ ttlMs: 1000, now: () => t })));
      const s = await signIn(ADMIN_TOKEN, agedApp);
      t = 999;
      await request(agedApp).get('/overview').set('cookie', s.cookie).expect(200);
      t = 1000;
      await request(agedApp).get('/overview').set('cookie', s.cookie).expect(303);
    });
    it('refuses a state change without the CSRF token, with another session’s token, and from another origin', async () => {
      const a = await signIn(ADMIN_TOKEN);
      const b = await signIn(ADMIN_TOKEN);
      const before = started.length;
      await request(app).post('/scan').set('cookie', a.cookie).type('form').send({}).expect(403);
      await request(app)
        .post('/scan')
        .set('cookie', a.cookie)
        .type('form')
        .send({ _csrf: b.csrf })
        .expect(403);
      await request(app)
        .post('/scan')
        .set({ cookie: a.cookie, origin: 'https://evil.example' })
        .type('form')
        .send({ _csrf: a.csrf })
        .expect(403);
      expect(started.length).toBe(before);
      const ok = await request(app)
        .post('/scan')
        .set('cookie', a.cookie)
        .type('form')
        .send({ _csrf: a.csrf, registries: 'example', scanners: ['vuln', 'secret'] })
        .expect(303);
      expect(ok.headers.location).toMatch(/^\/tasks\/t\d+$/);
      expect(started.at(-1)).toMatchObject({ registries: ['example'], scanners: ['vuln', 'secret'] });
      expect(lines.some((l) => l.includes('admin: task started') && l.includes('ci-admin'))).toBe(true);
    });
    it('gives a read session no Scan Now or cancel, and answers 403 to its forged posts', async () => {
      const r = await signIn(READ_TOKEN);
      const overview = await request(app).get('/overview').set('cookie', r.cookie).expect(200);
      expect(overview.text).not.toContain('href="/scan"');
      await request(app).get('/scan').set('cookie', r.cookie).expect(403);
      const before = started.length;
      const forged = await request(app)
        .post('/scan')
        .set('cookie', r.cookie)
        .type('form')
        .send({ _csrf: r.csrf });
      expect(forged.status).toBe(403);
      expect(started.length).toBe(before);
      await tasks.create({
        id: 'live',
        trigger: 'manual',
        scope: { registries: [], scanners: [] },
        status: 'running',
        progress: emptyProgress(),
        createdAt: NOW.toISOString(),
      });
      const detail = await request(app).get('/tasks/live').set('cookie', r.cookie).expect(200);
      expect(detail.text).toContain('data-live="running"');
      expect(detail.text).not.toContain('Cancel task');
      await request(app)
        .post('/tasks/live/cancel')
        .set('cookie', r.cookie)
        .type('form')
        .send({ _csrf: r.csrf })
        .expect(403);
      expect((await tasks.get('live'))?.cancelRequested).toBeFalsy();
      const a = await signIn(ADMIN_TOKEN);
      expect((await request(app).get('/tasks/live').set('cookie', a.cookie)).text).toContain('Cancel task');
      await request(app)
        .post('/tasks/live/cancel')
        .set('cookie', a.cookie)
        .type('form')
        .send({ _csrf: a.csrf })
        .expect(303);
      expect((await tasks.get('live'))?.cancelRequested).toBe(true);
    });
    it('serves every page and asset with the strict CSP and no inline script or style', async () => {
      const { cookie } = await signIn(ADMIN_TOKEN);
      for (const path of [
        '/sign-in',
        '/overview',
        '/images',
        `/images/${DIGEST_A}`,
        '/tasks',
        '/tasks/rt',
        '/scan',
        '/settings',
        '/exceptions',
        '/affected?id=CVE-2026-1',
        '/assets/console.js',
        '/assets/console.css',
      ]) {
        const res = await request(app).get(path).set('cookie', cookie).expect(200);
        expect(res.headers['content-security-policy'], path).toContain("default-src 'self'");
        expect(res.headers['content-security-policy'], path).toContain("frame-ancestors 'none'");
        expect(res.headers['content-security-policy'], path).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
        expect(res.text, path).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/);
      }
      await request(app).get('/tasks/none').set('cookie', cookie).expect(404);
    });
  });

  describe('API endpoints the console reads', () => {
    it('needs a token for each (401)', async () => {
      for (const p of ['/api/v1/overview', '/api/v1/exceptions', `/api/v1/images/${DIGEST_A}/workloads`])
        await request(app).get(p).expect(401);
    });
    it('/api/v1/overview: counts by category and severity, denied images, trend, next scheduled scan', async () => {
      const res = await request(app).get('/api/v1/overview').set(bearer(READ_TOKEN)).expect(200);
      expect(res.body.images).toEqual({ total: 2, byVerdict: { allow: 1, warn: 0, deny: 1 } });
      // CVE-2026-1 (system, high) is suppressed by exception #0; the npm one is an application vulnerability
      expect(res.body.findings['system-vulnerability']).toMatchObject({ high: 0 });
      expect(res.body.findings['application-vulnerability']).toMatchObject({ medium: 1 });
      expect(res.body.findings['sensitive-file']).toMatchObject({ critical: 1 });
      expect(res.body.denied.map((d: { digest: string }) => d.digest)).toEqual([DIGEST_A]);
      expect(res.body.schedule).toMatchObject({ scan: '0 3 * * *', nextScan: '2026-12-02T03:00:00.000Z' });
      expect(res.body.db.error).toBeTruthy();
      const rt = res.body.trend.find((t: { id: string }) => t.id === 'rt');
      expect(rt.findings).toEqual({ critical: 1, high: 0, medium: 1, low: 0, unknown: 0 });
    });
    it('/api/v1/exceptions: expiry state, what each suppresses now (scope and expiry respected), the YAML', async () => {
      const res = await request(app).get('/api/v1/exceptions').set(bearer(READ_TOKEN)).expect(200);
      const items = res.body.items as { status: string; suppressed: number; images: number; yaml: string }[];
      expect(items.map((i) => [i.status, i.suppressed, i.images])).toEqual([
        ['expiring', 1, 1],
        ['permanent', 0, 0],
        ['expired', 0, 0],
        ['active', 0, 0],
      ]);
      expect(items[0]?.yaml).toContain('ticket: SEC-1');
      const page = await request(app)
        .get('/exceptions')
        .set('cookie', (await signIn(READ_TOKEN)).cookie);
      expect(page.text).toMatch(/<tr id="exception-0" class="expiring">/);
      expect(page.text).toMatch(/<tr id="exception-2" class="expired">/);
    });
    it('/api/v1/images/{digest}/workloads: pods from runtime scans only', async () => {
      const a = await request(app)
        .get(`/api/v1/images/${DIGEST_A}/workloads`)
        .set(bearer(READ_TOKEN))
        .expect(200);
      expect(a.body.items.map((w: { workload: string }) => w.workload)).toEqual(['dev/app-2', 'prod/app-1']);
      const b = await request(app)
        .get(`/api/v1/images/${DIGEST_B}/workloads`)
        .set(bearer(READ_TOKEN))
        .expect(200);
      expect(b.body.items).toEqual([]);
    });
    it('/api/v1/images?sort=: sorts by a known key, refuses others', async () => {
      const asc = await request(app).get('/api/v1/images?sort=findings').set(bearer(READ_TOKEN)).expect(200);
      expect(asc.body.items.map((i: { digest: string }) => i.digest)).toEqual([DIGEST_B, DIGEST_A]);
      const desc = await request(app).get('/api/v1/images?sort=-verdict').set(bearer(READ_TOKEN)).expect(200);
      expect(desc.body.items.map((i: { digest: string }) => i.digest)).toEqual([DIGEST_A, DIGEST_B]);
      const bad = await request(app).get('/api/v1/images?sort=password').set(bearer(READ_TOKEN)).expect(400);
      expect(bad.body.error.code).toBe('USAGE_INVALID');
    });
  });
});
