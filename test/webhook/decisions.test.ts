import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScanResult } from '../../core/src/types/index.js';
import { createMemoryStore, type DigestResolver, type VerdictStore } from '../../webhook/src/index.js';
import {
  MULTI_REF as MULTI,
  MIN_REF as MIN,
  MIN_DIGEST,
  MULTI_DIGEST,
  NOW,
  captureLogger,
  podRequest,
  readScan,
  realPolicyEngine,
  resolvedPolicy,
  testApp,
  toReview,
  toStored,
} from './helpers.js';

/** Digest references are trusted as is: the registry must never be asked. */
const noRegistry: DigestResolver = {
  resolveDigest: async (ref) => {
    throw new Error(`registry asked for ${ref}`);
  },
};

/** Every finding id that trips the default deny gate (≥ high) in the multi image. */
const MULTI_DENY_IDS = [
  'PCS-SECRET-PRIVATE-KEY',
  'PCS-SECRET-AWS-SECRET-ACCESS-KEY',
  'PCS-MALWARE-EICAR-TEST-FILE',
  'PCS-BASELINE-EMPTY-PASSWORD',
  'PCS-BUILD-PIPE-TO-SHELL',
  'GO-2023-1840',
  'PYSEC-2023-192',
];

/** Drives the server's raw request listener (the HTTPS hot path) with an in-memory request and response. */
async function rawListener(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  body: string,
  onEnd?: (text: string) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const data = Buffer.from(body);
    const req = Object.assign(new EventEmitter(), {
      method: 'POST',
      url: '/validate?timeout=10s',
      headers: { 'content-length': String(data.length) },
      resume() {},
    });
    const res = {
      statusCode: 0,
      setHeader() {},
      end(text: string) {
        onEnd?.(text);
        resolve({ status: res.statusCode, text });
      },
    };
    listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    req.emit('data', data);
    req.emit('end');
  });
}

async function storeWith(...names: ('min' | 'multi')[]): Promise<VerdictStore> {
  const store = createMemoryStore();
  for (const n of names) await store.put(toStored(readScan(n)));
  return store;
}

async function review(app: Parameters<typeof request>[0], req: Record<string, unknown>) {
  const res = await request(app).post('/validate').send(toReview(req)).expect(200);
  expect(res.body.response.uid).toBe(req.uid);
  return res.body.response as {
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

describe('admission decisions', () => {
  let store: VerdictStore;
  beforeEach(async () => {
    store = await storeWith('min', 'multi');
  });

  describe('with the multi and min scans stored (default policy, enforce)', () => {
    it('denies multi with a readable message naming the image, digest and findings, and no secret values', async () => {
      const { app } = testApp(store, {}, { resolver: noRegistry });
      const r = await review(app, podRequest([MULTI]));
      expect(r.allowed).toBe(false);
      expect(r.status?.code).toBe(403);
      const msg = r.status?.message ?? '';
      expect(msg).toContain(`image ${MULTI} denied:`);
      for (const id of [
        'PCS-SECRET-PRIVATE-KEY',
        'PCS-MALWARE-EICAR-TEST-FILE',
        'GO-2023-1840',
        'PCS-BASELINE-EMPTY-PASSWORD',
      ])
        expect(msg).toContain(id);
      expect(msg).toContain('deny ≥ high');
      expect(msg).not.toContain('wJalrXUtnFEMI');
      expect(r.auditAnnotations?.decision).toBe('deny');
    });

    it('allows min without status or warnings', async () => {
      const { app } = testApp(store, {}, { resolver: noRegistry });
      const r = await review(app, podRequest([MIN]));
      expect(r).toMatchObject({ allowed: true });
      expect(r.status).toBeUndefined();
      expect(r.warnings).toBeUndefined();
    });

    it('denies a pod with min and multi, naming only multi', async () => {
      const { app } = testApp(store, {}, { resolver: noRegistry });
      const r = await review(app, podRequest([MIN, MULTI]));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain(MULTI);
      expect(r.status?.message).not.toContain(MIN_DIGEST.slice(0, 19));
    });

    it('flips multi to allowed when a policy exception covers its deny findings, without a rescan', async () => {
      const scanImage = vi.fn(async (): Promise<ScanResult> => readScan('multi'));
      const t = testApp(store, {}, { resolver: noRegistry, scanImage });
      expect((await review(t.app, podRequest([MULTI]))).allowed).toBe(false);
      t.policy.setPolicy(
        resolvedPolicy(`apiVersion: portcullis/v1
exceptions:
  - id: [${MULTI_DENY_IDS.join(', ')}]
    digest: ${MULTI_DIGEST}
    reason: test image, risks planted on purpose
    ticket: SEC-1
    expires: 2027-01-31
`),
      );
      const r = await review(t.app, podRequest([MULTI]));
      expect(r.allowed).toBe(true);
      // The medium findings remain: allowed with warnings.
      expect(r.warnings?.join('\n')).toContain('allowed with warnings');
      expect(scanImage).not.toHaveBeenCalled();
      expect(t.queue.depth()).toEqual({ waiting: 0, running: 0 });
    });

    it('scopes an exception to a namespace', async () => {
      const t = testApp(store, {}, { resolver: noRegistry });
      t.policy.setPolicy(
        resolvedPolicy(`apiVersion: portcullis/v1
exceptions:
  - id: [${MULTI_DENY_IDS.join(', ')}]
    namespaces: [team-a]
    reason: team-a accepts it
`),
      );
      expect((await review(t.app, podRequest([MULTI], { namespace: 'team-a' }))).allowed).toBe(true);
      expect((await review(t.app, podRequest([MULTI], { namespace: 'team-b' }))).allowed).toBe(false);
    });
  });

  describe('scan cache', () => {
    it('keeps store hits in process, while the current policy is still evaluated on every admission', async () => {
      const get = vi.fn(store.get.bind(store));
      const t = testApp({ ...store, get }, {}, { resolver: noRegistry });
      expect((await review(t.app, podRequest([MULTI]))).allowed).toBe(false);
      expect((await review(t.app, podRequest([MULTI]))).allowed).toBe(false);
      expect(get).toHaveBeenCalledTimes(1);
      t.policy.setPolicy(resolvedPolicy('apiVersion: portcullis/v1\nadmission: { mode: warn }\n'));
      expect((await review(t.app, podRequest([MULTI]))).allowed).toBe(true);
      // Misses are not cached: an image scanned meanwhile is seen at once.
      const none = vi.fn(async () => undefined);
      const t2 = testApp({ ...store, get: none }, {}, { resolver: noRegistry });
      await review(t2.app, podRequest([MIN]));
      await review(t2.app, podRequest([MIN]));
      expect(none).toHaveBeenCalledTimes(2);
    });
  });

  describe('decision cache', () => {
    it('reuses a judgement under the same policy and re-evaluates after a policy change or with the cache off', async () => {
      const base = realPolicyEngine();
      let evaluations = 0;
      const counting = {
        current: () => {
          const snap = base.current();
          return {
            ...snap,
            evaluate: (...a: Parameters<typeof snap.evaluate>) => (evaluations++, snap.evaluate(...a)),
          };
        },
      };
      const t = testApp(store, {}, { resolver: noRegistry, policy: counting as never });
      await review(t.app, podRequest([MULTI]));
      await review(t.app, podRequest([MULTI]));
      expect(evaluations).toBe(1);
      // Another namespace is another key: namespace-scoped exceptions must be able to differ.
      await review(t.app, podRequest([MULTI], { namespace: 'other' }));
      expect(evaluations).toBe(2);
      base.setPolicy(resolvedPolicy('apiVersion: portcullis/v1\ngates: { deny: { severity: critical } }\n'));
      await review(t.app, podRequest([MULTI]));
      expect(evaluations).toBe(3);
      const off = testApp(
        store,
        { decisionCacheTtlMs: 0 },
        { resolver: noRegistry, policy: counting as never },
      );
      await review(off.app, podRequest([MULTI]));
      await review(off.app, podRequest([MULTI]));
      expect(evaluations).toBe(5);
    });
  });

  describe('answer cache', () => {
    const TAGGED = '127.0.0.1:5000/fixtures/debian:multi';
    const countingResolver = (): DigestResolver & { calls: number } => {
      const r = {
        calls: 0,
        resolveDigest: async () => (r.calls++, MULTI_DIGEST),
      };
      return r;
    };

    it('answers the same pod again without judging it again, and judges again once the cache is off', async () => {
      const resolver = countingResolver();
      const t = testApp(store, {}, { resolver });
      const first = await review(t.app, podRequest([TAGGED], { uid: 'a' }));
      const second = await review(t.app, podRequest([TAGGED], { uid: 'b' }));
      expect(first.allowed).toBe(false);
      expect({ ...second, uid: 'a' }).toEqual(first);
      // the tag was resolved once: the second answer came from the answer cache
      expect(resolver.calls).toBe(1);
      // another namespace, policy or image set is another key
      await review(t.app, podRequest([TAGGED], { namespace: 'other' }));
      expect(resolver.calls).toBe(2);
      t.policy.setPolicy(resolvedPolicy('apiVersion: portcullis/v1\nadmission: { mode: warn }\n'));
      expect((await review(t.app, podRequest([TAGGED]))).allowed).toBe(true);
      expect(resolver.calls).toBe(3);

      const offResolver = countingResolver();
      const off = testApp(store, { decisionCacheTtlMs: 0 }, { resolver: offResolver });
      await review(off.app, podRequest([TAGGED]));
      await review(off.app, podRequest([TAGGED]));
      expect(offResolver.calls).toBe(2);
    });

    it('never caches a break-glass admission (each one is judged and logged) or an unknown image', async () => {
      const { logger, lines } = captureLogger();
      const t = testApp(
        store,
        { breakGlass: { namespaces: ['payments'] } },
        { resolver: noRegistry, logger },
      );
      const req = () =>
        podRequest([MULTI], {
          namespace: 'payments',
          annotations: { 'portcullis.dev/break-glass': 'INC-4711; expires=2026-11-28T12:00:00Z' },
        });
      await review(t.app, req());
      await review(t.app, req());
      expect(lines.filter((l) => l.msg === 'break-glass honoured')).toHaveLength(2);

      const empty = createMemoryStore();
      const unknown = testApp(empty, { unknown: 'deny' }, { resolver: noRegistry });
      const r1 = await review(unknown.app, podRequest([MIN]));
      expect(r1.status?.message).toContain('has not been scanned yet');
      await empty.put(toStored(readScan('min')));
      // the scan result is seen at once: the "not scanned yet" answer was not cached
      expect((await review(unknown.app, podRequest([MIN]))).allowed).toBe(true);
    });

    it('logs every admission with its own uid, cached answer or not: denies at info with the message', async () => {
      const { logger, lines } = captureLogger();
      const t = testApp(store, {}, { resolver: noRegistry, logger });
      await review(t.app, podRequest([MULTI], { uid: 'first' }));
      await review(t.app, podRequest([MULTI], { uid: 'second' }));
      await review(t.app, podRequest([MIN], { uid: 'third' }));
      const admissions = lines.filter((l) => l.msg === 'admission');
      expect(admissions.map((l) => [l.uid, l.level, l.result])).toEqual([
        ['first', 'info', 'deny'],
        ['second', 'info', 'deny'],
        ['third', 'debug', 'allow'],
      ]);
      expect(admissions[1]).toMatchObject({
        namespace: 'default',
        kind: 'Pod',
        allowed: false,
        mode: 'enforce',
        images: [{ image: MULTI, digest: MULTI_DIGEST, outcome: 'deny', basis: 'verdict' }],
      });
      expect(String(admissions[1]?.message)).toContain('PCS-SECRET-PRIVATE-KEY');
      expect(admissions[2]).not.toHaveProperty('message');
    });

    it('answers a cached admission in the turn its body arrived (no promise), one that waits for the store later', async () => {
      const t = testApp(store, {}, { resolver: noRegistry });
      const body = (uid: string) => JSON.stringify(toReview(podRequest([MULTI, MIN], { uid })));
      /** Sends a review through the raw listener; says whether the answer was written before emit('end') returned. */
      const send = (uid: string) => {
        let answered: string | undefined;
        const done = rawListener(t.requestListener, body(uid), (text) => (answered = text));
        return { sync: answered, done };
      };
      const first = send('first'); // nothing cached yet: the store is asked (a promise)
      expect(first.sync).toBeUndefined();
      const firstAnswer = await first.done;
      const second = send('second'); // the same pod again: decided from the caches, synchronously
      expect(second.sync).toBeDefined();
      expect(JSON.parse(second.sync as string)).toEqual(
        JSON.parse(firstAnswer.text.replace('"first"', '"second"')),
      );
      expect(JSON.parse(second.sync as string).response.allowed).toBe(false);
    });

    it('times an admission from its request arriving, body read included, in the latency histogram', async () => {
      const t = testApp(store, {}, { resolver: noRegistry });
      const data = Buffer.from(JSON.stringify(toReview(podRequest([MIN], { uid: 'slow-body' }))));
      const req = Object.assign(new EventEmitter(), {
        method: 'POST',
        url: '/validate',
        headers: { 'content-length': String(data.length) },
        resume() {},
      });
      const answered = new Promise<string>((resolve) => {
        const res = { statusCode: 0, setHeader() {}, end: (text: string) => resolve(text) };
        t.requestListener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      });
      await new Promise((r) => setTimeout(r, 60)); // the body arrives 60 ms after the headers
      req.emit('data', data);
      req.emit('end');
      expect(JSON.parse(await answered).response.uid).toBe('slow-body');
      const histogram = (await t.metrics.latency.get()).values;
      const sum = histogram.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
      expect(sum).toBeGreaterThanOrEqual(0.05);
    });

    it('writes the same bytes through the raw HTTPS listener as through express, whatever the uid holds', async () => {
      const t = testApp(store, {}, { resolver: noRegistry });
      for (const uid of ['plain', 'with "quotes" and \\ and \u2028 and é', 'plain']) {
        const req = podRequest([MULTI, MIN], { uid });
        const viaExpress = await request(t.app).post('/validate').send(toReview(req)).expect(200);
        const raw = await rawListener(t.requestListener, JSON.stringify(toReview(req)));
        expect(raw.status).toBe(200);
        expect(JSON.parse(raw.text)).toEqual(viaExpress.body);
        expect(raw.text).toBe(JSON.stringify(viaExpress.body));
        expect(viaExpress.body.response.uid).toBe(uid);
      }
    });
  });

  describe('modes', () => {
    it('warn mode allows multi with warnings of at most 120 characters', async () => {
      const { app } = testApp(store, { mode: 'warn' }, { resolver: noRegistry });
      const r = await review(app, podRequest([MULTI]));
      expect(r.allowed).toBe(true);
      expect(r.status).toBeUndefined();
      expect(r.warnings?.length).toBeGreaterThan(1);
      for (const w of r.warnings ?? []) expect(w.length).toBeLessThanOrEqual(120);
      expect(r.warnings?.[0]).toContain('warn mode');
      expect(r.warnings?.join('\n')).toContain('PCS-SECRET-PRIVATE-KEY');
      expect(r.auditAnnotations).toMatchObject({ decision: 'deny', mode: 'warn' });
    });

    it('audit mode allows silently but records the decision in audit annotations', async () => {
      const { app } = testApp(store, { mode: 'audit' }, { resolver: noRegistry });
      const r = await review(app, podRequest([MULTI]));
      expect(r.allowed).toBe(true);
      expect(r.warnings).toBeUndefined();
      expect(r.auditAnnotations).toMatchObject({ decision: 'deny', mode: 'audit' });
      expect(r.auditAnnotations?.images).toBe(`${MULTI}=deny`);
    });

    it('per-namespace modes override the global one', async () => {
      const { app } = testApp(store, { namespaceModes: { staging: 'warn' } }, { resolver: noRegistry });
      expect((await review(app, podRequest([MULTI], { namespace: 'staging' }))).allowed).toBe(true);
      expect((await review(app, podRequest([MULTI], { namespace: 'prod' }))).allowed).toBe(false);
    });

    it('takes the mode from the policy when the config does not set one', async () => {
      const t = testApp(store, {}, { resolver: noRegistry });
      t.policy.setPolicy(resolvedPolicy('apiVersion: portcullis/v1\nadmission: { mode: warn }\n'));
      expect((await review(t.app, podRequest([MULTI]))).allowed).toBe(true);
    });
  });

  describe('exemptions', () => {
    const broken: VerdictStore = {
      ...createMemoryStore(),
      get: async () => {
        throw new Error('store must not be asked');
      },
    };

    it('exempts kube-system and the webhook namespace without looking anything up', async () => {
      const { app } = testApp(broken, { namespace: 'portcullis' }, { resolver: noRegistry });
      for (const ns of ['kube-system', 'portcullis']) {
        const r = await review(app, podRequest([MULTI], { namespace: ns }));
        expect(r.allowed).toBe(true);
        expect(r.auditAnnotations?.basis).toBe('exempt-namespace');
      }
      expect((await review(app, podRequest([MULTI], { namespace: 'default' }))).allowed).toBe(false);
    });

    it('exempts namespaces listed in the policy and objects carrying the configured labels', async () => {
      const t = testApp(
        broken,
        { exemptLabels: { 'portcullis.dev/exempt': 'true' } },
        { resolver: noRegistry },
      );
      t.policy.setPolicy(
        resolvedPolicy('apiVersion: portcullis/v1\nadmission: { exemptNamespaces: [infra] }\n'),
      );
      expect((await review(t.app, podRequest([MULTI], { namespace: 'infra' }))).allowed).toBe(true);
      const labelled = podRequest([MULTI], { labels: { 'portcullis.dev/exempt': 'true' } });
      expect((await review(t.app, labelled)).auditAnnotations?.basis).toBe('exempt-label');
    });
  });

  describe('break-glass', () => {
    const ann = (v: string) => ({ 'portcullis.dev/break-glass': v });

    it('is honoured in an allowed namespace, with a warning and a log line', async () => {
      const { logger, lines } = captureLogger();
      const { app } = testApp(
        store,
        { breakGlass: { namespaces: ['payments'] } },
        { resolver: noRegistry, logger },
      );
      const r = await review(
        app,
        podRequest([MULTI], {
          namespace: 'payments',
          annotations: ann('INC-4711; expires=2026-11-28T12:00:00Z'),
        }),
      );
      expect(r.allowed).toBe(true);
      expect(r.warnings?.[0]).toContain('break-glass INC-4711 honoured');
      expect(r.auditAnnotations?.['break-glass']).toBe('INC-4711 until 2026-11-28T12:00:00Z');
      const log = lines.find((l) => l.msg === 'break-glass honoured');
      expect(log).toMatchObject({
        level: 'warn',
        ticket: 'INC-4711',
        namespace: 'payments',
        user: 'alice',
        wouldBe: 'deny',
      });
    });

    it('is refused (and logged) elsewhere, expired, too long or without a ticket', async () => {
      const { logger, lines } = captureLogger();
      const { app } = testApp(
        store,
        { breakGlass: { namespaces: ['payments'] } },
        { resolver: noRegistry, logger },
      );
      const cases: [string, string, string][] = [
        ['default', 'INC-1; expires=2026-11-28T12:00:00Z', 'not allowed in namespace default'],
        ['payments', 'INC-2; expires=2026-11-27T12:00:00Z', 'expired'],
        ['payments', 'INC-3; expires=2026-12-27T12:00:00Z', 'more than 72h away'],
        ['payments', 'expires=2026-11-28T12:00:00Z', 'must start with a ticket'],
      ];
      for (const [namespace, value, why] of cases) {
        const r = await review(app, podRequest([MULTI], { namespace, annotations: ann(value) }));
        expect(r.allowed, value).toBe(false);
        expect(r.status?.message).toContain(why);
      }
      expect(lines.filter((l) => l.msg === 'break-glass refused')).toHaveLength(4);
      expect(NOW.toISOString()).toBe('2026-11-27T16:00:00.000Z');
    });
  });

  describe('unknown images', () => {
    const unknownRef = `127.0.0.1:5000/fixtures/debian@${MULTI_DIGEST}`;

    it('deny: denies, says a scan was queued, and the next admission is decided from the scan', async () => {
      const scanImage = vi.fn(async (): Promise<ScanResult> => readScan('multi'));
      const t = testApp(createMemoryStore(), { unknown: 'deny' }, { resolver: noRegistry, scanImage });
      const r1 = await review(t.app, podRequest([unknownRef]));
      expect(r1.allowed).toBe(false);
      expect(r1.status?.message).toContain('has not been scanned yet; a scan was queued');
      await t.queue.idle();
      expect(scanImage).toHaveBeenCalledTimes(1);
      expect(scanImage.mock.calls[0]).toEqual([unknownRef, MULTI_DIGEST]);
      const r2 = await review(t.app, podRequest([unknownRef]));
      expect(r2.status?.message).toContain('PCS-MALWARE-EICAR-TEST-FILE');
    });

    it('allow-and-scan: allows with a warning and scans in the background', async () => {
      const scanImage = vi.fn(async (): Promise<ScanResult> => readScan('min'));
      const store2 = createMemoryStore();
      const t = testApp(store2, { unknown: 'allow-and-scan' }, { resolver: noRegistry, scanImage });
      const r = await review(t.app, podRequest([MIN]));
      expect(r.allowed).toBe(true);
      expect(r.warnings?.[0]).toContain('has not been scanned yet; allowed, a scan was queued');
      await t.queue.idle();
      expect((await store2.get(MIN_DIGEST))?.scan.findings.length).toBe(3);
    });

    it('scan: waits for the scan within the budget and decides on its findings', async () => {
      const t = testApp(
        createMemoryStore(),
        { unknown: 'scan' },
        {
          resolver: noRegistry,
          scanImage: async () => readScan('multi'),
        },
      );
      const r = await review(t.app, podRequest([unknownRef]));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain('(scanned at admission)');
      expect(r.status?.message).toContain('PCS-SECRET-PRIVATE-KEY');
    });

    it('scan: denies when the scan outlasts the budget, and the scan continues', async () => {
      let release!: () => void;
      const gate = new Promise<void>((res) => (release = res));
      const t = testApp(
        createMemoryStore(),
        { unknown: 'scan', scanBudgetMs: 200, deadlineMs: 1000, storeTimeoutMs: 500 },
        { resolver: noRegistry, scanImage: async () => (await gate, readScan('min')) },
      );
      const r = await review(t.app, podRequest([MIN]));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain('did not finish within 200 ms');
      expect(t.queue.depth().running).toBe(1);
      release();
      await t.queue.idle();
      expect((await review(t.app, podRequest([MIN]))).allowed).toBe(true);
    });

    it('the policy decides the unknown mode when the config does not', async () => {
      const t = testApp(
        createMemoryStore(),
        {},
        { resolver: noRegistry, scanImage: async () => readScan('min') },
      );
      t.policy.setPolicy(
        resolvedPolicy('apiVersion: portcullis/v1\nadmission: { unknown: allow-and-scan }\n'),
      );
      expect((await review(t.app, podRequest([MIN]))).allowed).toBe(true);
    });

    it('dry run: answers without queueing a scan', async () => {
      const scanImage = vi.fn(async (): Promise<ScanResult> => readScan('min'));
      const t = testApp(createMemoryStore(), { unknown: 'scan' }, { resolver: noRegistry, scanImage });
      const r = await review(t.app, podRequest([MIN], { dryRun: true }));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain('dry run: no scan queued');
      expect(t.queue.depth()).toEqual({ waiting: 0, running: 0 });
      expect(scanImage).not.toHaveBeenCalled();
    });

    it('treats a scan older than maxVerdictAge like an unknown image and rescans', async () => {
      const old = { ...readScan('min'), scannedAt: '2026-11-25T10:00:00Z' };
      const s = createMemoryStore();
      await s.put(toStored(old));
      const scanImage = vi.fn(async (): Promise<ScanResult> => readScan('min'));
      const t = testApp(s, { unknown: 'deny' }, { resolver: noRegistry, scanImage });
      const r = await review(t.app, podRequest([MIN]));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain('the stored scan is 54h old (max 24h)');
      // The config may override the policy's maximum age.
      const lenient = testApp(s, { maxVerdictAge: '7d' }, { resolver: noRegistry });
      expect((await review(lenient.app, podRequest([MIN]))).allowed).toBe(true);
      await t.queue.idle();
      expect(scanImage).toHaveBeenCalledTimes(1);
      expect((await review(t.app, podRequest([MIN]))).allowed).toBe(true);
    });

    it('applies the policy maxDbAge to the stored scan (stale DB → warning by default, deny when configured)', async () => {
      const s = createMemoryStore();
      await s.put(toStored({ ...readScan('min'), db: { builtAt: '2026-11-01T00:00:00Z' } }));
      const t = testApp(s, {}, { resolver: noRegistry });
      const r = await review(t.app, podRequest([MIN]));
      expect(r.allowed).toBe(true);
      expect(r.warnings?.join('\n')).toContain('vulnerability DB built 2026-11-01T00:00:00Z');
      // said once, not as both the verdict's reason and its warning
      expect(r.warnings?.filter((w) => w.includes('vulnerability DB built 2026-11-01'))).toHaveLength(1);
      t.policy.setPolicy(resolvedPolicy('apiVersion: portcullis/v1\ngates: { staleDb: deny }\n'));
      const denied = await review(t.app, podRequest([MIN]));
      expect(denied.allowed).toBe(false);
      expect(denied.status?.message.match(/vulnerability DB built 2026-11-01/g)).toHaveLength(1);
    });

    it('denies a stored scan that checked no vulnerabilities, saying so once', async () => {
      const s = createMemoryStore();
      const scan = readScan('min');
      const note = {
        code: 'DB_NOT_FOUND',
        message: 'no vulnerability DB at /db.sqlite: vulnerabilities were not checked',
      };
      await s.put(toStored({ ...scan, db: {}, notes: [...scan.notes, note] }));
      const t = testApp(s, {}, { resolver: noRegistry });
      const r = await review(t.app, podRequest([MIN]));
      expect(r.allowed).toBe(false);
      expect(r.status?.message).toContain('vulnerabilities not checked: no vulnerability DB at /db.sqlite');
      expect(r.status?.message.match(/no vulnerability DB at \/db\.sqlite/g)).toHaveLength(1);
    });
  });
});
