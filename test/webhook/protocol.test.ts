import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type VerdictStore } from '../../webhook/src/index.js';
import {
  MULTI_REF as MULTI,
  MIN_REF as MIN,
  MIN_DIGEST,
  podRequest,
  readScan,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

describe('AdmissionReview protocol', () => {
  const { app } = testApp(createMemoryStore());

  it('answers a body that is not JSON with 400 WEBHOOK_REVIEW_INVALID', async () => {
    const res = await request(app)
      .post('/validate')
      .set('content-type', 'application/json')
      .send('{"apiVersion":')
      .expect(400);
    expect(res.body).toEqual({ code: 'WEBHOOK_REVIEW_INVALID', message: 'body is not valid JSON' });
  });

  it('lists every problem of a malformed review at once', async () => {
    const res = await request(app)
      .post('/validate')
      .send({
        apiVersion: 'admission.k8s.io/v1beta1',
        kind: 'AdmissionReview',
        request: { kind: 'Pod', operation: 'PATCH' },
      })
      .expect(400);
    expect(res.body.code).toBe('WEBHOOK_REVIEW_INVALID');
    for (const p of ['/apiVersion', '/request/uid', '/request/kind', '/request/operation'])
      expect(res.body.message).toContain(p);
  });

  it('refuses a review without a request', async () => {
    const res = await request(app)
      .post('/validate')
      .send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('/request is required');
  });

  it('refuses bodies over the limit with 413', async () => {
    const { app: small } = testApp(createMemoryStore(), { bodyLimit: '1kb' });
    const big = podRequest([MIN]);
    (big.object as { metadata: { annotations: Record<string, string> } }).metadata.annotations.pad =
      'x'.repeat(4096);
    const res = await request(small).post('/validate').send(toReview(big)).expect(413);
    expect(res.body).toEqual({ code: 'WEBHOOK_REVIEW_INVALID', message: 'body larger than 1kb' });
  });

  it('allows DELETE and kinds without pod specs without judging anything', async () => {
    const del = {
      ...podRequest([MULTI]),
      operation: 'DELETE',
      oldObject: podRequest([MULTI]).object,
      object: null,
    };
    const res = await request(app).post('/validate').send(toReview(del)).expect(200);
    expect(res.body.response).toMatchObject({ allowed: true, auditAnnotations: { basis: 'no-new-images' } });
    const cm = { ...podRequest([]), kind: { group: '', version: 'v1', kind: 'ConfigMap' } };
    const res2 = await request(app).post('/validate').send(toReview(cm)).expect(200);
    expect(res2.body.response.auditAnnotations.basis).toBe('not-applicable');
  });

  it('denies an invalid image reference', async () => {
    const res = await request(app)
      .post('/validate')
      .send(toReview(podRequest(['Bad/Ref:x'])))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.message).toContain('invalid image reference "Bad/Ref:x"');
  });
});

describe('store failures', () => {
  const failing: VerdictStore = {
    ...createMemoryStore(),
    get: async () => {
      throw new Error('connection refused');
    },
  };
  const hanging: VerdictStore = { ...createMemoryStore(), get: () => new Promise(() => {}) };

  it('fails closed by default: deny with 503 and a message saying why', async () => {
    const t = testApp(failing);
    const res = await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MIN])))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.code).toBe(503);
    expect(res.body.response.status.message).toContain('verdict store unavailable');
    const metrics = await request(t.app).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/portcullis_store_errors_total\{op="get"\} 1/);
  });

  it('answers a hanging store within the deadline, still closed', async () => {
    const t = testApp(hanging, { deadlineMs: 400, storeTimeoutMs: 150, scanBudgetMs: 100 });
    const started = Date.now();
    const res = await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MIN, MULTI])))
      .expect(200);
    const took = Date.now() - started;
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.message).toContain('did not answer within 150 ms');
    expect(took).toBeLessThan(5000);
  });

  it('fails open only when configured, and then says so in a warning', async () => {
    const t = testApp(failing, { failureMode: 'open' });
    const res = await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MIN])))
      .expect(200);
    expect(res.body.response.allowed).toBe(true);
    expect(res.body.response.warnings[0]).toContain('verdict store unavailable');
  });

  it('a store failure on one image does not hide a deny on another', async () => {
    const store = createMemoryStore();
    await store.put(toStored(readScan('multi')));
    const half: VerdictStore = {
      ...store,
      get: async (d) => {
        if (d === MIN_DIGEST) throw new Error('boom');
        return store.get(d);
      },
    };
    const t = testApp(half, { failureMode: 'open' });
    const res = await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MIN, MULTI])))
      .expect(200);
    expect(res.body.response.allowed).toBe(false);
    expect(res.body.response.status.code).toBe(403);
    expect(res.body.response.status.message).toContain('PCS-MALWARE-EICAR-TEST-FILE');
  });
});

describe('operations endpoints', () => {
  it('healthz, readyz (store reachable or not) and metrics', async () => {
    const store = createMemoryStore();
    await store.put(toStored(readScan('multi')));
    const t = testApp(store);
    await request(t.app).get('/healthz').expect(200, { status: 'ok' });
    await request(t.app).get('/readyz').expect(200, { status: 'ready', store: 'memory' });
    await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MULTI])))
      .expect(200);
    await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MULTI], { namespace: 'kube-system' })))
      .expect(200);
    const m = await request(t.app).get('/metrics').expect(200);
    expect(m.text).toMatch(
      /portcullis_admission_decisions_total\{result="deny",mode="enforce",reason="verdict"\} 1/,
    );
    expect(m.text).toMatch(
      /portcullis_admission_decisions_total\{result="allow",mode="enforce",reason="exempt-namespace"\} 1/,
    );
    expect(m.text).toMatch(/portcullis_admission_duration_seconds_count\{result="deny"\} 1/);
    expect(m.text).toContain('portcullis_scan_queue_depth');

    const down = testApp({ ...createMemoryStore(), ping: async () => Promise.reject(new Error('down')) });
    const r = await request(down.app).get('/readyz').expect(503);
    expect(r.body).toMatchObject({ status: 'unavailable', message: 'down' });
  });

  it('logs decisions as JSON lines without secrets', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../webhook/src/index.js');
    const store = createMemoryStore();
    await store.put(toStored(readScan('multi')));
    const t = testApp(store, {}, { logger: createLogger({ write: (l) => lines.push(l) }) });
    await request(t.app)
      .post('/validate')
      .send(toReview(podRequest([MULTI])))
      .expect(200);
    const entry = JSON.parse(lines.find((l) => l.includes('"msg":"admission"')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(entry).toMatchObject({
      level: 'info',
      allowed: false,
      result: 'deny',
      kind: 'Pod',
      namespace: 'default',
    });
    expect(lines.join('')).not.toContain('wJalrXUtnFEMI');
  });
});
