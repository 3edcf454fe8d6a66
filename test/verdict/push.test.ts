import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCAN_JWS_TYPE, pushScanResult, signScanResult, toPushUrl } from '../../core/src/verdict/index.js';
import { toVerdictKey } from '../../core/src/verdict/keys.js';
import type { ScanResult } from '../../core/src/types/scan.js';
import { SCAN_JWS_TYPE as WEBHOOK_SCAN_JWS_TYPE } from '../../webhook/src/index.js';
import { freePort } from '../helpers/free-port.js';
import { makeCerts } from '../helpers/tls.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const scan: ScanResult = {
  schemaVersion: 1,
  image: { ref: 'reg.example/app:1', digest: DIGEST, configDigest: `sha256:${'cd'.repeat(32)}`, layers: [] },
  packages: [],
  findings: [],
  notes: [],
  analyzers: {},
  scannedAt: '2026-12-01T10:00:00.000Z',
};
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.secret-token-body.sig';

/** The error a push rejected with (the test fails if it resolved). */
async function pushError(...args: Parameters<typeof pushScanResult>): Promise<Error & { code: string }> {
  return pushScanResult(...args).then(
    () => {
      throw new Error('the push resolved');
    },
    (e: unknown) => e as Error & { code: string },
  );
}

interface Seen {
  path: string;
  body: Record<string, unknown>;
}

describe('push client (real HTTPS loopback server)', () => {
  let dir: string;
  let ca: string;
  let server: Server;
  let base: string;
  const seen: Seen[] = [];
  /** What the server answers next: status and JSON body. */
  let answer: { status: number; body: unknown } = { status: 201, body: {} };
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'push-client-'));
    const certs = makeCerts(dir, 'p-');
    ca = certs.ca;
    server = createServer({ cert: readFileSync(certs.cert), key: readFileSync(certs.key) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the same JWS type the webhook accepts', () => {
    expect(SCAN_JWS_TYPE).toBe('portcullis-scan+jws');
    expect(WEBHOOK_SCAN_JWS_TYPE).toBe(SCAN_JWS_TYPE);
  });

  it('signs a scan result as a portcullis-scan+jws that verifies with the public key', async () => {
    const jws = await signScanResult(scan, toVerdictKey(privateKey));
    expect(decodeProtectedHeader(jws)).toMatchObject({ alg: 'EdDSA', typ: SCAN_JWS_TYPE });
    const { payload } = await compactVerify(jws, publicKey);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(scan);
  });

  it('posts {jws} to /v1/verdicts of a base URL, trusting the given CA', async () => {
    seen.length = 0;
    answer = { status: 201, body: { digest: DIGEST, scannedAt: scan.scannedAt, origin: 'push-jws' } };
    const r = await pushScanResult(scan, { url: base, signKey: toVerdictKey(privateKey), caCert: ca });
    expect(r).toEqual({ status: 201, digest: DIGEST, stored: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/v1/verdicts');
    expect(Object.keys(seen[0]?.body ?? {})).toEqual(['jws']);
    const { payload } = await compactVerify(seen[0]?.body.jws as string, publicKey);
    expect(JSON.parse(new TextDecoder().decode(payload)).image.digest).toBe(DIGEST);
  });

  it('posts {scan, token} with an OIDC token, and says when the webhook keeps a newer scan', async () => {
    seen.length = 0;
    answer = { status: 201, body: { digest: DIGEST, scannedAt: '2026-12-02T00:00:00.000Z' } };
    const r = await pushScanResult(scan, { url: `${base}/v1/verdicts/`, oidcToken: TOKEN, caCert: ca });
    expect(r.stored).toBe(false);
    expect(seen[0]?.path).toBe('/v1/verdicts');
    expect(seen[0]?.body).toEqual({ scan, token: TOKEN });
  });

  it('refuses with PUSH_REFUSED, the status and the server reason, never the token', async () => {
    answer = {
      status: 401,
      body: { code: 'WEBHOOK_TOKEN_INVALID', message: `claim repository is not allowed ${TOKEN}` },
    };
    const err = await pushError(scan, { url: base, oidcToken: TOKEN, caCert: ca });
    expect(err.code).toBe('PUSH_REFUSED');
    expect(err.message).toContain('HTTP 401');
    expect(err.message).toContain('WEBHOOK_TOKEN_INVALID: claim repository is not allowed');
    expect(err.message).not.toContain(TOKEN);
  });

  it('fails with PUSH_UNREACHABLE naming the URL when the CA is not trusted', async () => {
    const err = await pushError(scan, { url: base, signKey: toVerdictKey(privateKey) });
    expect(err.code).toBe('PUSH_UNREACHABLE');
    expect(err.message).toContain(`${base}/v1/verdicts`);
    expect(err.message).toMatch(/TLS|certificate/i);
  });

  it('fails with PUSH_UNREACHABLE when nothing listens', async () => {
    const port = await freePort();
    const err = await pushError(scan, {
      url: `https://127.0.0.1:${port}`,
      signKey: toVerdictKey(privateKey),
    });
    expect(err.code).toBe('PUSH_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('refuses bad input before sending anything (PUSH_INVALID)', async () => {
    seen.length = 0;
    const key = toVerdictKey(privateKey);
    const bad = async (s: ScanResult, o: Parameters<typeof pushScanResult>[1]): Promise<string> =>
      pushScanResult(s, o).then(
        () => 'resolved',
        (e: { code: string; message: string }) => `${e.code}: ${e.message}`,
      );
    expect(await bad(scan, { url: base })).toMatch(/^PUSH_INVALID: .*exactly one credential/);
    expect(await bad(scan, { url: base, signKey: key, oidcToken: TOKEN })).toMatch(/^PUSH_INVALID/);
    expect(await bad(scan, { url: base, oidcToken: ' ' })).toMatch(/^PUSH_INVALID: .*empty/);
    const { digest: _d, ...noDigest } = scan.image;
    expect(await bad({ ...scan, image: noDigest }, { url: base, signKey: key })).toMatch(
      /^PUSH_INVALID: .*no manifest digest/,
    );
    expect(await bad({ ...scan, scannedAt: '' }, { url: base, signKey: key })).toMatch(
      /^PUSH_INVALID: .*scannedAt/,
    );
    expect(await bad(scan, { url: base.replace('https:', 'http:'), signKey: key })).toMatch(
      /^PUSH_INVALID: .*must be https/,
    );
    expect(seen).toHaveLength(0);
  });

  it('builds the route from a base URL with or without a path', () => {
    expect(toPushUrl('https://h:8443').href).toBe('https://h:8443/v1/verdicts');
    expect(toPushUrl('https://h/prefix/').href).toBe('https://h/prefix/v1/verdicts');
    expect(toPushUrl('https://h/v1/verdicts').href).toBe('https://h/v1/verdicts');
  });
});
