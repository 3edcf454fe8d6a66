import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  createSqliteStore,
  parseWebhookConfig,
  silentLogger,
  startWebhookServer,
  type WebhookServer,
} from '../../webhook/src/index.js';
import {
  MIN_DIGEST,
  MULTI_DIGEST,
  NOW,
  admissionRequests,
  podRequest,
  readScan,
  realPolicyEngine,
  toReview,
  toStored,
} from './helpers.js';
import { makeCerts } from '../helpers/tls.js';

/** SHA-256 fingerprint of the certificate the server presents. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

describe('HTTPS end to end', () => {
  let dir: string;
  let first: { ca: string; cert: string; key: string };
  let server: WebhookServer;
  let agent: Agent;
  const store = createMemoryStore();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pc-https-'));
    first = makeCerts(dir, 'a-');
    // The server reads fixed paths, as it would from a mounted Secret.
    renameSync(first.cert, join(dir, 'tls.crt'));
    renameSync(first.key, join(dir, 'tls.key'));
    await store.put(toStored(readScan('multi')));
    await store.put(toStored(readScan('min')));
    const config = parseWebhookConfig({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      logLevel: 'error',
      unknown: 'deny',
    });
    server = await startWebhookServer(config, {
      policy: realPolicyEngine(),
      store,
      logger: silentLogger,
      now: () => NOW,
      resolver: { resolveDigest: async () => `sha256:${'e'.repeat(64)}` },
    });
    agent = new Agent({ connect: { ca: first.ca } });
  });

  afterAll(async () => {
    await server?.close();
    await agent?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: unknown, path = '/validate') => {
    const res = await request(`https://127.0.0.1:${server.port}${path}?timeout=10s`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it.each(admissionRequests())(
    'answers %s over TLS with a v1 AdmissionReview echoing the uid',
    async (_name, req) => {
      const { status, body } = await post(toReview(req));
      expect(status).toBe(200);
      expect(body.apiVersion).toBe('admission.k8s.io/v1');
      expect(body.kind).toBe('AdmissionReview');
      expect(body.response.uid).toBe(req.uid);
      expect(body.response.patch).toBeUndefined();
      expect(typeof body.response.allowed).toBe('boolean');
      if (!body.response.allowed) expect(body.response.status.message).toContain('has not been scanned yet');
    },
  );

  it('denies multi and allows min over TLS', async () => {
    const deny = await post(toReview(podRequest([`r.example/a@${MULTI_DIGEST}`])));
    expect(deny.body.response.allowed).toBe(false);
    expect(deny.body.response.status.message).toContain('PCS-SECRET-PRIVATE-KEY');
    const allow = await post(toReview(podRequest([`r.example/a@${MIN_DIGEST}`])));
    expect(allow.body.response.allowed).toBe(true);
  });

  it('answers a malformed review with 400 over TLS', async () => {
    const { status, body } = await post({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {},
    });
    expect(status).toBe(400);
    expect(body.code).toBe('WEBHOOK_REVIEW_INVALID');
  });

  it('answers non-JSON with 400 and an oversized body with 413 on the lean /validate path', async () => {
    const raw = async (body: string) => {
      const res = await request(`https://127.0.0.1:${server.port}/validate`, {
        method: 'POST',
        dispatcher: agent,
        body,
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
    };
    expect(await raw('{"apiVersion":')).toEqual({
      status: 400,
      body: { code: 'WEBHOOK_REVIEW_INVALID', message: 'body is not valid JSON' },
    });
    const big = await raw(JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024) }));
    expect(big).toEqual({
      status: 413,
      body: { code: 'WEBHOOK_REVIEW_INVALID', message: 'body larger than 3mb' },
    });
    // Other routes still go through express.
    const metrics = await request(`https://127.0.0.1:${server.port}/metrics`, { dispatcher: agent });
    expect(await metrics.body.text()).toContain('portcullis_admission_decisions_total');
  });

  it('is refused by a client that does not trust its CA', async () => {
    const other = new Agent({ connect: { ca: makeCerts(dir, 'x-').ca } });
    await expect(
      request(`https://127.0.0.1:${server.port}/healthz`, { dispatcher: other }),
    ).rejects.toThrow();
    await other.close();
  });

  it('picks up a renewed certificate without a restart', async () => {
    const before = await servedFingerprint(server.port);
    const next = makeCerts(dir, 'b-');
    // Replace key and cert the way a Secret update does: new files renamed into place.
    renameSync(next.key, join(dir, 'tls.key'));
    renameSync(next.cert, join(dir, 'tls.crt'));
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await servedFingerprint(server.port);
    }
    expect(after).not.toBe(before);
    const renewed = new Agent({ connect: { ca: next.ca } });
    const res = await request(`https://127.0.0.1:${server.port}/readyz`, { dispatcher: renewed });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ status: 'ready', store: 'memory' });
    await renewed.close();
  });

  it('starts from the config alone: policy file and SQLite store it names', async () => {
    const seed = createSqliteStore(join(dir, 'verdicts.sqlite'));
    await seed.put(toStored(readScan('multi')));
    await seed.close();
    writeFileSync(join(dir, 'policy.yaml'), 'apiVersion: portcullis/v1\nadmission: { mode: warn }\n');
    const config = parseWebhookConfig({
      host: '127.0.0.1',
      port: 0,
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      policyFile: join(dir, 'policy.yaml'),
      store: `sqlite:${join(dir, 'verdicts.sqlite')}`,
      logLevel: 'error',
    });
    const own = await startWebhookServer(config, { logger: silentLogger, now: () => NOW });
    try {
      const any = new Agent({ connect: { rejectUnauthorized: false } });
      const res = await request(`https://127.0.0.1:${own.port}/validate`, {
        method: 'POST',
        dispatcher: any,
        body: JSON.stringify(toReview(podRequest([`r.example/a@${MULTI_DIGEST}`]))),
      });
      const body = (await res.body.json()) as { response: { allowed: boolean; warnings: string[] } };
      expect(body.response.allowed).toBe(true);
      expect(body.response.warnings[0]).toContain('warn mode');
      expect(own.store.kind).toBe('sqlite');
      await any.close();
    } finally {
      await own.close();
    }
  });

  it('refuses to start without TLS files', async () => {
    await expect(
      startWebhookServer(parseWebhookConfig({ port: 0 }), {
        policy: realPolicyEngine(),
        store: createMemoryStore(),
      }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_CONFIG_INVALID' });
  });
});
