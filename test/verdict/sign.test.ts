import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { readKeyFile, signVerdict, verifyVerdict } from '../../core/src/verdict/index.js';
import { NOW, readMultiScan } from '../policy/helpers.js';

const verdict = evaluatePolicy(readMultiScan(), DEFAULT_POLICY, { now: NOW }).verdict;
const ed = generateKeyPairSync('ed25519');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ed25519');

function tamper(jws: string): string {
  const [h, p, s] = jws.split('.');
  const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as { decision: string };
  payload.decision = 'allow';
  return [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), s].join('.');
}

describe('signVerdict / verifyVerdict', () => {
  for (const [alg, pair] of [
    ['EdDSA', ed],
    ['ES256', ec],
  ] as const) {
    describe(`with ${alg}`, () => {
      it('round-trips the verdict', async () => {
        const jws = await signVerdict(verdict, pair.privateKey, alg, 'ci-1');
        expect(jws.split('.')).toHaveLength(3);
        await expect(verifyVerdict(jws, pair.publicKey)).resolves.toEqual(verdict);
      });
      it('rejects a tampered payload', async () => {
        const jws = await signVerdict(verdict, pair.privateKey, alg);
        await expect(verifyVerdict(tamper(jws), pair.publicKey)).rejects.toMatchObject({
          code: 'VERDICT_SIGNATURE_INVALID',
        });
      });
    });
  }
  it('rejects a signature from another key', async () => {
    const jws = await signVerdict(verdict, other.privateKey, 'EdDSA');
    await expect(verifyVerdict(jws, [ed.publicKey, ec.publicKey])).rejects.toMatchObject({
      code: 'VERDICT_SIGNATURE_INVALID',
    });
  });
  it('finds the right key among several', async () => {
    const jws = await signVerdict(verdict, ed.privateKey, 'EdDSA');
    await expect(verifyVerdict(jws, [other.publicKey, ec.publicKey, ed.publicKey])).resolves.toMatchObject({
      decision: 'deny',
    });
  });
  it('refuses an algorithm that does not fit the key', async () => {
    await expect(signVerdict(verdict, ed.privateKey, 'ES256')).rejects.toMatchObject({
      code: 'VERDICT_KEY_INVALID',
    });
  });
  it('refuses to sign with a public key', async () => {
    await expect(signVerdict(verdict, ed.publicKey, 'EdDSA')).rejects.toMatchObject({
      code: 'VERDICT_KEY_INVALID',
    });
  });
  it('rejects garbage', async () => {
    await expect(verifyVerdict('not.a.jws', ed.publicKey)).rejects.toMatchObject({
      code: 'VERDICT_SIGNATURE_INVALID',
    });
  });
});

describe('readKeyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcs-keys-'));
  const write = (name: string, text: string): string => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('reads PEM PKCS#8 private and SPKI public keys, and they work together', async () => {
    const priv = await readKeyFile(
      write('ed.pem', ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    );
    const pub = await readKeyFile(
      write('ed.pub.pem', ed.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    );
    expect(priv).toMatchObject({ alg: 'EdDSA', kind: 'private' });
    expect(pub).toMatchObject({ alg: 'EdDSA', kind: 'public' });
    const jws = await signVerdict(verdict, priv, 'EdDSA');
    await expect(verifyVerdict(jws, pub)).resolves.toEqual(verdict);
  });
  it('reads JWK files with their kid', async () => {
    const jwk = { ...ec.privateKey.export({ format: 'jwk' }), kid: 'ci-2026' };
    const pubJwk = { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ci-2026' };
    const priv = await readKeyFile(write('ec.jwk', JSON.stringify(jwk)));
    const pub = await readKeyFile(write('ec.pub.jwk', JSON.stringify(pubJwk)));
    expect(priv).toMatchObject({ alg: 'ES256', kind: 'private', kid: 'ci-2026' });
    const jws = await signVerdict(verdict, priv, 'ES256');
    expect(JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString())).toMatchObject({
      kid: 'ci-2026',
    });
    await expect(verifyVerdict(jws, pub)).resolves.toEqual(verdict);
  });
  it('throws VERDICT_KEY_INVALID for RSA, garbage and missing files, without echoing key material', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(readKeyFile(write('rsa.pem', pem))).rejects.toMatchObject({ code: 'VERDICT_KEY_INVALID' });
    const junk = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n';
    const err = (await readKeyFile(write('junk.pem', junk)).catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'VERDICT_KEY_INVALID' });
    expect(err.message).not.toContain('c2VjcmV0');
    await expect(readKeyFile(write('x.txt', 'hello'))).rejects.toMatchObject({ code: 'VERDICT_KEY_INVALID' });
    await expect(readKeyFile(join(dir, 'missing.pem'))).rejects.toMatchObject({
      code: 'VERDICT_KEY_INVALID',
    });
  });
});
