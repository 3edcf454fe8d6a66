import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactSign, SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanResult } from '../../core/src/types/index.js';
import { SCAN_JWS_TYPE, createMemoryStore, type VerdictStore } from '../../webhook/src/index.js';
import { MULTI_DIGEST, NOW, podRequest, readScan, testApp, toReview } from './helpers.js';

const GITHUB = 'https://token.actions.githubusercontent.com';
const GITLAB = 'https://gitlab.com';
const nowS = Math.floor(NOW.getTime() / 1000);

let signer: { privateKey: CryptoKey; publicKey: CryptoKey };
let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
let ci: { privateKey: CryptoKey; publicKey: CryptoKey };
let ciStranger: { privateKey: CryptoKey; publicKey: CryptoKey };
let ciJwk: JWK;
let jwksServer: Server;
let jwksUrl = '';

beforeAll(async () => {
  signer = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('ES256', { extractable: true });
  ci = await generateKeyPair('RS256', { extractable: true });
  ciStranger = await generateKeyPair('RS256', { extractable: true });
  ciJwk = { ...(await exportJWK(ci.publicKey)), kid: 'ci-1', alg: 'RS256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [ciJwk] }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => {
  await new Promise<void>((r) => jwksServer.close(() => r()));
});

const signScan = async (scan: unknown, key: CryptoKey, typ = SCAN_JWS_TYPE): Promise<string> =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(scan)))
    .setProtectedHeader({ alg: 'ES256', typ, kid: 'ci-signer' })
    .sign(key);

const token = (
  claims: Record<string, unknown>,
  opts: { iss?: string; aud?: string; exp?: number; key?: CryptoKey } = {},
) =>
  new SignJWT({ repository: 'acme/shop', ref: 'refs/heads/main', jti: `jti-${Math.random()}`, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'ci-1' })
    .setIssuer(opts.iss ?? GITHUB)
    .setAudience(opts.aud ?? 'portcullis')
    .setIssuedAt(nowS - 60)
    .setExpirationTime(opts.exp ?? nowS + 300)
    .sign(opts.key ?? ci.privateKey);

async function pushApp(store: VerdictStore = createMemoryStore(), remote = false) {
  return testApp(store, {
    trustedKeys: [{ kid: 'ci-signer', alg: 'ES256', publicKeyPem: await exportSPKI(signer.publicKey) }],
    oidcIssuers: [
      {
        issuer: GITHUB,
        audience: 'portcullis',
        ...(remote ? { jwksUri: jwksUrl } : { jwks: { keys: [ciJwk] } }),
        claims: { repository: ['acme/*'], ref: ['refs/heads/main', 'refs/tags/v*'] },
        images: ['127.0.0.1:5000/fixtures/*'],
      },
      {
        issuer: GITLAB,
        audience: 'portcullis',
        jwks: { keys: [ciJwk] },
        claims: { project_path: 'acme/shop' },
      },
    ],
  });
}

describe('POST /v1/verdicts', () => {
  describe('with a JWS-signed scan result', () => {
    it('stores it, and admission decides from it', async () => {
      const store = createMemoryStore();
      const { app } = await pushApp(store);
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(readScan('multi'), signer.privateKey) });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        digest: MULTI_DIGEST,
        scannedAt: '2026-11-27T15:52:00Z',
        origin: 'push-jws',
      });
      expect((await store.get(MULTI_DIGEST))?.pushedBy).toBe('key:ci-signer');
      const r = await request(app)
        .post('/validate')
        .send(toReview(podRequest([`127.0.0.1:5000/fixtures/debian@${MULTI_DIGEST}`])));
      expect(r.body.response.allowed).toBe(false);
      expect(r.body.response.status.message).toContain('PCS-MALWARE-EICAR-TEST-FILE');
    });

    it('refuses a signature by an untrusted key, a tampered payload and a wrong typ', async () => {
      const { app } = await pushApp();
      const bad = await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(readScan('min'), stranger.privateKey) });
      expect(bad.status).toBe(401);
      expect(bad.body).toMatchObject({
        code: 'VERDICT_SIGNATURE_INVALID',
        message: 'signature does not verify with any trusted key',
      });

      const good = await signScan(readScan('min'), signer.privateKey);
      const [h, , s] = good.split('.');
      const forged = Buffer.from(JSON.stringify({ ...readScan('min'), findings: [] })).toString('base64url');
      const tampered = await request(app)
        .post('/v1/verdicts')
        .send({ jws: `${h}.${forged}.${s}` });
      expect(tampered.status).toBe(401);
      expect(tampered.body.code).toBe('VERDICT_SIGNATURE_INVALID');

      const typ = await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(readScan('min'), signer.privateKey, 'JWT') });
      expect(typ.status).toBe(401);
      expect(typ.body.message).toContain('unexpected JWS typ');
    });

    it('refuses a signed payload that is not a usable scan result', async () => {
      const { app } = await pushApp();
      const noDigest = { ...readScan('min'), image: { ref: 'x', configDigest: 'sha256:1', layers: [] } };
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(noDigest, signer.privateKey) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'WEBHOOK_PUSH_INVALID' });
      expect(res.body.message).toContain('image.digest');
    });

    it('does not let an older scan replace a newer one', async () => {
      const store = createMemoryStore();
      const { app } = await pushApp(store);
      const newer = readScan('multi');
      const older: ScanResult = {
        ...readScan('min'),
        image: { ...readScan('min').image, digest: MULTI_DIGEST },
        scannedAt: '2026-11-27T10:00:00Z',
      };
      await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(newer, signer.privateKey) })
        .expect(201);
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ jws: await signScan(older, signer.privateKey) })
        .expect(201);
      expect(res.body.scannedAt).toBe('2026-11-27T15:52:00Z');
      expect((await store.get(MULTI_DIGEST))?.scan.findings.length).toBe(newer.findings.length);
    });
  });

  describe('with a CI OIDC token', () => {
    it('accepts a GitHub Actions token (body or Bearer header) and refuses its replay', async () => {
      const { app } = await pushApp();
      const t = await token({});
      const ok = await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min'), token: t });
      expect(ok.status).toBe(201);
      expect(ok.body.origin).toBe('push-oidc');
      const replay = await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min'), token: t });
      expect(replay.status).toBe(401);
      expect(replay.body).toEqual({
        code: 'WEBHOOK_TOKEN_INVALID',
        message: 'token was already used (replay)',
      });
      const header = await request(app)
        .post('/v1/verdicts')
        .set('authorization', `Bearer ${await token({})}`)
        .send({ scan: readScan('multi') });
      expect(header.status).toBe(201);
    });

    it('verifies against a remote JWKS (createRemoteJWKSet) too', async () => {
      const { app } = await pushApp(createMemoryStore(), true);
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min'), token: await token({}) });
      expect(res.status).toBe(201);
    });

    it('accepts a GitLab token checked on project_path', async () => {
      const { app } = await pushApp();
      const ok = await request(app)
        .post('/v1/verdicts')
        .send({
          scan: readScan('min'),
          token: await token({ project_path: 'acme/shop', ref: 'main' }, { iss: GITLAB }),
        });
      expect(ok.status).toBe(201);
      const bad = await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min'), token: await token({ project_path: 'evil/shop' }, { iss: GITLAB }) });
      expect(bad.status).toBe(401);
    });

    it.each([
      ['an expired token', () => token({}, { exp: nowS - 120 }), 'token expired'],
      [
        'a wrong repository claim',
        () => token({ repository: 'evil/shop' }),
        'claim repository="evil/shop" is not allowed',
      ],
      [
        'a wrong ref claim',
        () => token({ ref: 'refs/heads/feature' }),
        'claim ref="refs/heads/feature" is not allowed',
      ],
      [
        'a wrong audience',
        () => token({}, { aud: 'someone-else' }),
        'token rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)',
      ],
      [
        'an untrusted issuer',
        () => token({}, { iss: 'https://evil.example' }),
        'token issuer https://evil.example is not trusted',
      ],
      ['a token signed by another key', () => token({}, { key: ciStranger.privateKey }), 'token rejected'],
      [
        'a token without jti',
        () => token({ jti: undefined }),
        'token rejected (ERR_JWT_CLAIM_VALIDATION_FAILED)',
      ],
    ])('refuses %s', async (_name, make, message) => {
      const { app } = await pushApp();
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min'), token: await make() });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('WEBHOOK_TOKEN_INVALID');
      expect(res.body.message).toContain(message);
    });

    it('refuses a scan for an image outside the identity’s scope', async () => {
      const { app } = await pushApp();
      const other = {
        ...readScan('min'),
        image: { ...readScan('min').image, ref: 'docker.io/library/nginx:1' },
      };
      const res = await request(app)
        .post('/v1/verdicts')
        .send({ scan: other, token: await token({}) });
      expect(res.status).toBe(401);
      expect(res.body.message).toContain('outside what this CI identity may push for');
    });

    it('refuses bodies that are neither form', async () => {
      const { app } = await pushApp();
      await request(app)
        .post('/v1/verdicts')
        .send({ scan: readScan('min') })
        .expect(400);
      await request(app)
        .post('/v1/verdicts')
        .send({ token: await token({}) })
        .expect(400);
      await request(app)
        .post('/v1/verdicts')
        .set('content-type', 'application/json')
        .send('nope')
        .expect(400);
    });
  });
});
