/**
 * CI results reach admission (issue 11 item 3): a real `portcullis webhook serve` process with its own TLS
 * certificate and `trustedKeys` / `oidcIssuers` receives `portcullis scan --push` from a real CLI process, and
 * the next AdmissionReview for that digest is judged by the pushed scan, not "a scan was queued".
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REGISTRY, haveTestImages, skipReason, NO_IMAGES_REASON } from '../helpers/env.js';
import { makeCerts } from '../helpers/tls.js';
import {
  reviewPod,
  startPushReceiver,
  type AdmissionReply,
  type WebhookProcess,
} from '../helpers/webhook-process.js';
import { createScratch, portcullisBinary, PLANTED_SECRETS } from './helpers.js';

const ISSUER = 'https://ci.example.test';
const MULTI = `${TEST_REGISTRY}/fixtures/debian:multi`;
const MIN = `${TEST_REGISTRY}/fixtures/debian:min`;

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'scan --push → webhook serve → admission (real processes, real TLS)',
  () => {
    /** The webhook; its stdout is the JSON-lines log. */
    let webhook: WebhookProcess;
    let url = '';
    let dir = '';
    let cleanup: () => Promise<void>;
    let agent: Agent;
    let ciKey: CryptoKey;
    const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: dir });

    const validate = (image: string, uid: string): Promise<AdmissionReply> =>
      reviewPod(url, image, uid, agent);

    const ciToken = (repository: string): Promise<string> =>
      new SignJWT({ repository, ref: 'refs/heads/main', jti: `jti-${Math.random()}` })
        .setProtectedHeader({ alg: 'ES256', kid: 'ci-1' })
        .setIssuer(ISSUER)
        .setAudience('portcullis')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(ciKey);

    beforeAll(async () => {
      const scratch = await createScratch('push');
      dir = scratch.dir;
      cleanup = scratch.cleanup;
      const certs = makeCerts(dir, 'w-');
      await writeFile(join(dir, 'ca.pem'), certs.ca);
      agent = new Agent({ connect: { ca: certs.ca } });

      const trusted = generateKeyPairSync('ed25519');
      const stranger = generateKeyPairSync('ed25519');
      await writeFile(join(dir, 'signing.pem'), trusted.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await writeFile(
        join(dir, 'stranger.pem'),
        stranger.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      const ci = await generateKeyPair('ES256', { extractable: true });
      ciKey = ci.privateKey;
      const jwk = { ...(await exportJWK(ci.publicKey)), kid: 'ci-1', alg: 'ES256', use: 'sig' };
      const config = {
        trustedKeys: [
          { alg: 'EdDSA', publicKeyPem: trusted.publicKey.export({ type: 'spki', format: 'pem' }) },
        ],
        oidcIssuers: [
          {
            issuer: ISSUER,
            audience: 'portcullis',
            claims: { repository: ['acme/*'] },
            jwks: { keys: [jwk] },
          },
        ],
      };
      await writeFile(join(dir, 'webhook.json'), JSON.stringify(config));

      webhook = await startPushReceiver(dir, certs);
      url = webhook.url;
    });

    afterAll(async () => {
      await webhook?.stop();
      await agent?.close();
      await cleanup?.();
    });

    it('denies the pushed multi image with the scan reasons, not "a scan was queued"', async () => {
      const report = join(dir, 'multi.json');
      const run = await portcullisBinary(
        [
          'scan',
          `registry:${MULTI}`,
          '--format',
          'json',
          '--output',
          report,
          '--push',
          url,
          '--sign-key',
          join(dir, 'signing.pem'),
          '--push-ca-cert',
          join(dir, 'ca.pem'),
        ],
        env(),
      );
      const json = JSON.parse(await readFile(report, 'utf8')) as {
        image: { digest: string };
        scannedAt: string;
        verdict: { decision: string; reasons: string[] };
      };
      expect(run.stderr).toContain(`pushed the scan of ${json.image.digest} to ${url}`);
      expect(run.code).toBe(1);
      expect(json.verdict.decision).toBe('deny');
      expect(Date.parse(json.scannedAt)).not.toBeNaN();
      expect(webhook.stdout()).toMatch(/"msg":"verdict pushed".*"method":"jws"/);

      const reply = await validate(MULTI, 'after-push');
      expect(reply.response.allowed).toBe(false);
      const message = reply.response.status?.message ?? '';
      expect(message).not.toContain('a scan was queued');
      expect(message).not.toContain('has not been scanned yet');
      // the webhook's policy is the CLI's default: the same findings give the same deny reasons
      const denyReasons = json.verdict.reasons.filter((r) => r.includes('(deny ≥ high)'));
      expect(denyReasons.length).toBeGreaterThan(0);
      for (const r of denyReasons.slice(0, 2)) expect(message).toContain(r.split(' (deny')[0]);
      for (const s of PLANTED_SECRETS) expect(JSON.stringify(reply)).not.toContain(s);
    });

    it('refuses a push signed by an unknown key, and scan --push exits 2 saying so', async () => {
      const run = await portcullisBinary(
        [
          'scan',
          `registry:${MIN}`,
          '--format',
          'json',
          '--output',
          join(dir, 'min-stranger.json'),
          '--push',
          url,
          '--sign-key',
          join(dir, 'stranger.pem'),
          '--push-ca-cert',
          join(dir, 'ca.pem'),
        ],
        env(),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^portcullis: PUSH_REFUSED: .*HTTP 401.*VERDICT_SIGNATURE_INVALID/m);
      expect(run.stderr).toContain('trusted key');
      // the report was still written for the CI job to keep
      expect(JSON.parse(await readFile(join(dir, 'min-stranger.json'), 'utf8')).schemaVersion).toBe(1);
      // nothing was stored: the min image is still unknown to the webhook
      const reply = await validate(MIN, 'after-refused');
      expect(reply.response.allowed).toBe(false);
      expect(reply.response.status?.message).toContain('has not been scanned yet');
    });

    it('accepts an OIDC push from an allowed CI identity (--oidc-token-env), judged at admission', async () => {
      const token = await ciToken('acme/shop');
      const report = join(dir, 'min.json');
      const run = await portcullisBinary(
        [
          'scan',
          `registry:${MIN}`,
          '--format',
          'json',
          '--output',
          report,
          '--push',
          url,
          '--oidc-token-env',
          'CI_JOB_JWT',
          '--push-ca-cert',
          join(dir, 'ca.pem'),
        ],
        { ...env(), CI_JOB_JWT: token },
      );
      expect(run.stderr).toContain('pushed the scan of sha256:');
      expect([0, 1]).toContain(run.code);
      expect(webhook.stdout()).toMatch(/"msg":"verdict pushed".*"method":"oidc"/);
      const json = JSON.parse(await readFile(report, 'utf8')) as { verdict: { decision: string } };
      const reply = await validate(MIN, 'after-oidc');
      expect(reply.response.status?.message ?? '').not.toContain('has not been scanned yet');
      expect(reply.response.allowed).toBe(json.verdict.decision !== 'deny');
    });

    it('refuses an OIDC token of a repository outside the claim rules, without printing the token', async () => {
      const token = await ciToken('evil/fork');
      const run = await portcullisBinary(
        [
          'push',
          join(dir, 'min.json'),
          '--to',
          url,
          '--oidc-token-env',
          'CI_JOB_JWT',
          '--push-ca-cert',
          join(dir, 'ca.pem'),
        ],
        { ...env(), CI_JOB_JWT: token },
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/PUSH_REFUSED: .*HTTP 401.*WEBHOOK_TOKEN_INVALID.*repository/);
      expect(run.stderr + run.stdout).not.toContain(token);
      expect(webhook.stdout()).toContain('WEBHOOK_TOKEN_INVALID');
      expect(webhook.stderr() + webhook.stdout()).not.toContain(token);
    });

    it('pushes a report written earlier with `portcullis push REPORT.json --to URL`', async () => {
      const run = await portcullisBinary(
        [
          'push',
          join(dir, 'multi.json'),
          '--to',
          `${url}/v1/verdicts`,
          '--sign-key',
          join(dir, 'signing.pem'),
          '--push-ca-cert',
          join(dir, 'ca.pem'),
        ],
        env(),
      );
      expect(run.stderr).toContain('pushed the scan of sha256:');
      expect(run.code).toBe(1); // the report's verdict: deny
    });
  },
);
