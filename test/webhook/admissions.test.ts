import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { Agent, request as httpsRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMISSION_LOG_CAP, type AdmissionEvent } from '../../core/src/index.js';
import { ADMISSION_QUEUE_MAX, createAdmissionRecorder } from '../../webhook/src/admission-log.js';
import { createWebhookMetrics } from '../../webhook/src/metrics.js';
import {
  createMemoryStore,
  createRedisStore,
  createSqliteStore,
  parseWebhookConfig,
  silentLogger,
  startWebhookServer,
  type DigestResolver,
  type VerdictStore,
} from '../../webhook/src/index.js';
import { skipReason } from '../helpers/env.js';
import { haveRedis, startRedis, type RunningRedis } from '../helpers/redis.js';
import { makeCerts } from '../helpers/tls.js';
import {
  MULTI_REF as MULTI,
  MIN_REF as MIN,
  MULTI_DIGEST,
  NOW,
  podRequest,
  readScan,
  realPolicyEngine,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

// a GitHub token in an image reference: the recorded image and reasons must carry it redacted only
const TOKEN = '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';
const LEAKY = `registry.example/team/app:${TOKEN}`;

const event = (i: number, over: Partial<AdmissionEvent> = {}): AdmissionEvent => ({
  at: new Date(Date.UTC(2026, 10, 27, 16, 0, i)).toISOString(),
  image: `registry.example/app:v${i}`,
  namespace: `ns-${i % 3}`,
  verdict: i % 2 === 0 ? 'deny' : 'warn',
  reasons: [`reason ${i}`, 'second'],
  ...over,
});

/** The same contract for every store: newest first, the limit, the cap, every field kept, optional ones absent. */
async function checkAdmissionLog(s: VerdictStore): Promise<void> {
  expect(await s.listAdmissions(10)).toEqual([]);
  const first = event(0, { digest: MULTI_DIGEST, pod: 'app-7d9f' });
  await s.recordAdmissions([first]);
  await s.recordAdmissions([event(1)]);
  await s.recordAdmissions([event(2)]);
  const listed = await s.listAdmissions(10);
  expect(listed.map((e) => e.image)).toEqual([2, 1, 0].map((i) => `registry.example/app:v${i}`));
  expect(listed[2]).toEqual(first);
  expect(listed[1]).toEqual(event(1));
  expect('digest' in (listed[1] as object)).toBe(false);
  expect(await s.listAdmissions(2)).toEqual([event(2), event(1)]);
  expect(await s.listAdmissions(0)).toEqual([]);
  // past the cap the oldest go: exactly the newest ADMISSION_LOG_CAP remain
  // one batch past the cap: the newest stay, in order
  await s.recordAdmissions(Array.from({ length: ADMISSION_LOG_CAP + 2 }, (_, k) => event(k + 3)));
  const all = await s.listAdmissions(ADMISSION_LOG_CAP + 100);
  expect(all).toHaveLength(ADMISSION_LOG_CAP);
  expect(all[0]).toEqual(event(ADMISSION_LOG_CAP + 4));
  expect(all[ADMISSION_LOG_CAP - 1]).toEqual(event(5));
}

describe('admission log in each store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-admissions-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('memory', async () => {
    await checkAdmissionLog(createMemoryStore());
  });

  it('sqlite, and the log survives reopening the file', async () => {
    const path = join(dir, 'verdicts.db');
    const s = createSqliteStore(path);
    await checkAdmissionLog(s);
    await s.close();
    const again = createSqliteStore(path);
    expect((await again.listAdmissions(1))[0]).toEqual(event(ADMISSION_LOG_CAP + 4));
    expect(await again.listAdmissions(ADMISSION_LOG_CAP + 1)).toHaveLength(ADMISSION_LOG_CAP);
    await again.close();
  });

  describe.skipIf(!haveRedis && skipReason('redis-server is not installed'))('redis', () => {
    let redis: RunningRedis;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis.kill();
    });

    it('keeps a capped list shared by replicas', async () => {
      const a = createRedisStore({ url: redis.url, keyPrefix: 'adm:' });
      const b = createRedisStore({ url: redis.url, keyPrefix: 'adm:' });
      try {
        // commands fail fast until connected (no offline queue): wait for both connections
        await vi.waitFor(async () => (await a.ping(), await b.ping()), { timeout: 5000, interval: 50 });
        await checkAdmissionLog(a);
        // another replica's record is seen by the first, newest first
        await b.recordAdmissions([event(9999)]);
        expect((await a.listAdmissions(1))[0]).toEqual(event(9999));
        expect(await a.listAdmissions(ADMISSION_LOG_CAP + 1)).toHaveLength(ADMISSION_LOG_CAP);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('rejects with WEBHOOK_STORE_UNAVAILABLE when redis is down', async () => {
      const down = await startRedis();
      const s = createRedisStore({ url: down.url, commandTimeoutMs: 300 });
      await down.kill();
      await expect(s.recordAdmissions([event(1)])).rejects.toMatchObject({
        code: 'WEBHOOK_STORE_UNAVAILABLE',
      });
      await expect(s.listAdmissions(5)).rejects.toMatchObject({ code: 'WEBHOOK_STORE_UNAVAILABLE' });
      await s.close();
    });
  });
});

const noRegistry: DigestResolver = {
  resolveDigest: async (ref) => {
    throw new Error(`registry asked for ${ref}`);
  },
};

async function storeWithScans(): Promise<VerdictStore> {
  const store = createMemoryStore();
  for (const n of ['min', 'multi'] as const) await store.put(toStored(readScan(n)));
  return store;
}

describe('the webhook records its admission decisions', () => {
  it('records a denied pod with its namespace, pod and reasons, and not an allowed pod or a dry run', async () => {
    const store = await storeWithScans();
    const { app } = testApp(store, {}, { resolver: noRegistry });
    const post = (req: Record<string, unknown>) =>
      request(app).post('/validate').send(toReview(req)).expect(200);
    // allowed and dry-run first: were they recorded, they would be in the log before the denial
    expect((await post(podRequest([MIN], { namespace: 'team-a' }))).body.response.allowed).toBe(true);
    const dry = await post(podRequest([MULTI], { namespace: 'team-a', dryRun: true }));
    expect(dry.body.response.allowed).toBe(false);
    expect((await post(podRequest([MIN, MULTI], { namespace: 'team-b' }))).body.response.allowed).toBe(false);
    await vi.waitFor(async () => expect(await store.listAdmissions(10)).toHaveLength(1));
    const [rec] = await store.listAdmissions(10);
    expect(rec).toMatchObject({
      image: MULTI,
      digest: MULTI_DIGEST,
      namespace: 'team-b',
      pod: 'app',
      verdict: 'deny',
      at: '2026-11-27T16:00:00.000Z',
    });
    expect(rec?.reasons[0]).toContain(`image ${MULTI} denied`);
    expect(rec?.reasons.join('\n')).toContain('PCS-SECRET-PRIVATE-KEY');
    expect(rec?.reasons.join('\n')).not.toContain('wJalrXUtnFEMI');
  });

  it('records a secret in an image reference redacted, as the log does', async () => {
    const store = await storeWithScans();
    const { app } = testApp(store, {}, { resolver: noRegistry });
    const res = await request(app)
      .post('/validate')
      .send(toReview(podRequest([LEAKY], { namespace: 'team-c' })))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    await vi.waitFor(async () => expect(await store.listAdmissions(10)).toHaveLength(1));
    const [rec] = await store.listAdmissions(10);
    expect(rec?.namespace).toBe('team-c');
    expect(rec?.reasons.length).toBeGreaterThan(0);
    const text = JSON.stringify(rec);
    expect(text).not.toContain(TOKEN);
    expect(rec?.image).toMatch(/^registry\.example\/team\/app:ghp_\*+/);
    expect(rec?.reasons[0]).toContain('ghp_*');
  });

  it('records a denial in warn mode as a warning (the pod was admitted)', async () => {
    const store = await storeWithScans();
    const { app } = testApp(store, { mode: 'warn' }, { resolver: noRegistry });
    const res = await request(app)
      .post('/validate')
      .send(toReview(podRequest([MULTI], { namespace: 'team-d' })))
      .expect(200);
    expect(res.body.response.allowed).toBe(true);
    await vi.waitFor(async () => expect(await store.listAdmissions(10)).toHaveLength(1));
    expect((await store.listAdmissions(10))[0]).toMatchObject({ verdict: 'warn', namespace: 'team-d' });
  });

  it('answers the admission when recording fails, and counts the failure', async () => {
    const base = await storeWithScans();
    const recordAdmissions = vi.fn(async () => {
      throw new Error('store down');
    });
    const store: VerdictStore = { ...base, recordAdmissions };
    const { app } = testApp(store, {}, { resolver: noRegistry });
    const res = await request(app)
      .post('/validate')
      .send(toReview(podRequest([MULTI])))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.code).toBe(403);
    await vi.waitFor(async () => {
      const metrics = (await request(app).get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/portcullis_store_errors_total\{op="record-admission"\} 1/);
    });
    expect(recordAdmissions).toHaveBeenCalledTimes(1);
  });

  it('writes a burst as one batch, a repeated denial once with its latest time, and nothing for allowed pods', async () => {
    const base = await storeWithScans();
    const batches: AdmissionEvent[][] = [];
    const store: VerdictStore = {
      ...base,
      recordAdmissions: async (events) => {
        batches.push([...events]);
        await base.recordAdmissions(events);
      },
    };
    let clock = NOW.getTime();
    const { app } = testApp(store, {}, { resolver: noRegistry, now: () => new Date((clock += 1000)) });
    const post = (req: Record<string, unknown>) =>
      request(app).post('/validate').send(toReview(req)).expect(200);
    for (let i = 0; i < 5; i++) await post(podRequest([MULTI], { namespace: 'loop' }));
    await post(podRequest([MULTI], { namespace: 'other' }));
    await post(podRequest([MIN], { namespace: 'loop' }));
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    const [batch] = batches;
    expect(batch?.map((e) => e.namespace)).toEqual(['loop', 'other']);
    // the repeat kept the latest time, not the first
    expect(Date.parse(batch?.[0]?.at ?? '')).toBeGreaterThan(NOW.getTime() + 4000);
    // a later denial is a new batch, not merged into the written one
    await post(podRequest([MULTI], { namespace: 'loop' }));
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    expect(batches[1]?.map((e) => e.namespace)).toEqual(['loop']);
    expect((await base.listAdmissions(10)).map((e) => e.namespace)).toEqual(['loop', 'other', 'loop']);
  });
});

describe('the HTTPS webhook server records into its SQLite store, which another process reads', () => {
  it('records the denied pod (namespace, redacted reasons) and not the allowed one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-admissions-https-'));
    const certs = makeCerts(dir, 'a-');
    renameSync(certs.cert, join(dir, 'tls.crt'));
    renameSync(certs.key, join(dir, 'tls.key'));
    const path = join(dir, 'verdicts.db');
    const store = createSqliteStore(path);
    await store.put(toStored(readScan('multi')));
    await store.put(toStored(readScan('min')));
    const config = parseWebhookConfig({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      logLevel: 'error',
    });
    const server = await startWebhookServer(config, {
      policy: realPolicyEngine(),
      store,
      logger: silentLogger,
      now: () => NOW,
      resolver: noRegistry,
    });
    const agent = new Agent({ connect: { ca: certs.ca } });
    // what `portcullis serve` does: its own store on the same file
    const reader = createSqliteStore(path);
    try {
      const post = async (req: Record<string, unknown>): Promise<boolean> => {
        const res = await httpsRequest(`https://127.0.0.1:${server.port}/validate?timeout=10s`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(toReview(req)),
        });
        expect(res.statusCode).toBe(200);
        return ((await res.body.json()) as { response: { allowed: boolean } }).response.allowed;
      };
      expect(await post(podRequest([MIN], { namespace: 'shop' }))).toBe(true);
      expect(await post(podRequest([MULTI], { namespace: 'shop' }))).toBe(false);
      await vi.waitFor(async () => expect(await reader.listAdmissions(10)).toHaveLength(1));
      const [rec] = await reader.listAdmissions(10);
      expect(rec).toMatchObject({ image: MULTI, namespace: 'shop', pod: 'app', verdict: 'deny' });
      expect(rec?.reasons.join('\n')).toContain('PCS-SECRET-PRIVATE-KEY');
      expect(rec?.reasons.join('\n')).not.toContain('wJalrXUtnFEMI');
    } finally {
      await server.close();
      await agent.close();
      await reader.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the admission recorder (unit)', () => {
  it('holds at most ADMISSION_QUEUE_MAX distinct events per batch, drops the oldest and counts them', async () => {
    const store = createMemoryStore();
    const metrics = createWebhookMetrics();
    const recorder = createAdmissionRecorder({ store, logger: silentLogger, metrics });
    recorder.add(Array.from({ length: ADMISSION_QUEUE_MAX + 3 }, (_, i) => event(i, { namespace: `n${i}` })));
    await recorder.flush();
    const kept = await store.listAdmissions(ADMISSION_LOG_CAP);
    expect(kept).toHaveLength(ADMISSION_QUEUE_MAX);
    // newest first: the last added is at the head, the first three are gone
    expect(kept[0]?.namespace).toBe(`n${ADMISSION_QUEUE_MAX + 2}`);
    expect(kept.map((e) => e.namespace)).not.toContain('n2');
    expect(kept.map((e) => e.namespace)).toContain('n3');
    expect(await metrics.registry.getSingleMetricAsString('portcullis_admission_log_dropped_total')).toMatch(
      /portcullis_admission_log_dropped_total 3/,
    );
    // a flush with nothing queued writes nothing
    await recorder.close();
    expect(await store.listAdmissions(ADMISSION_LOG_CAP)).toHaveLength(ADMISSION_QUEUE_MAX);
  });

  it('redacts a secret before it is written, also when the same reason comes back later', async () => {
    const store = createMemoryStore();
    const recorder = createAdmissionRecorder({
      store,
      logger: silentLogger,
      metrics: createWebhookMetrics(),
    });
    for (const ns of ['a', 'b']) {
      recorder.add([event(1, { namespace: ns, image: LEAKY, reasons: [`pulled ${LEAKY}`] })]);
      await recorder.flush();
    }
    const text = JSON.stringify(await store.listAdmissions(10));
    expect(text).not.toContain(TOKEN);
    expect(text.match(/ghp_\*+/g)?.length).toBe(4);
  });
});
