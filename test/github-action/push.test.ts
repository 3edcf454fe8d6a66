/**
 * The Action's OIDC push reaches a real `portcullis webhook serve` (its own TLS certificate, an `oidcIssuers`
 * entry with the issuer's JWKS inline): the bundle runs under Node 24 with ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN
 * at a loopback token endpoint, as on a runner with `id-token: write`, and the next AdmissionReview for the
 * image's digest is decided from the pushed result — no background scan (`--unknown deny` only queues one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_IMAGES_REASON, ROOT, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { NODE24, node24SkipReason } from '../helpers/node24.js';
import { makeCerts } from '../helpers/tls.js';
import {
  reviewPod,
  startPushReceiver,
  type AdmissionReply,
  type WebhookProcess,
} from '../helpers/webhook-process.js';
import {
  runAction,
  startFakeGitHub,
  startTokenEndpoint,
  type FakeGitHub,
  type FakeTokenEndpoint,
} from './harness.js';

// GitHub's issuer, with its keys given inline (the webhook would otherwise fetch its well-known JWKS)
const ISSUER = 'https://token.actions.githubusercontent.com';
const AUDIENCE = 'portcullis-webhook';
const MIN = `${TEST_REGISTRY}/fixtures/debian:min`;

const skip = (!NODE24 && node24SkipReason()) || (!haveTestImages && skipReason(NO_IMAGES_REASON));

describe.skipIf(skip)('push-url: the Action pushes its scan with the job OIDC token to webhook serve', () => {
  let dir: string;
  /** The webhook; its stdout is the JSON-lines log. */
  let webhook: WebhookProcess;
  let url = '';
  let agent: Agent;
  let api: FakeGitHub;
  let tokens: FakeTokenEndpoint;
  let key: CryptoKey;
  /** The repository claim the next minted token carries. */
  let repository = 'Codertocat/Hello-World';
  const minted: string[] = [];

  const validate = (image: string, uid: string): Promise<AdmissionReply> => reviewPod(url, image, uid, agent);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-action-push-'));
    const certs = makeCerts(dir, 'w-');
    writeFileSync(join(dir, 'ca.pem'), certs.ca);
    agent = new Agent({ connect: { ca: certs.ca } });
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'gh-1', alg: 'RS256', use: 'sig' };
    writeFileSync(
      join(dir, 'webhook.json'),
      JSON.stringify({
        oidcIssuers: [
          {
            issuer: ISSUER,
            audience: AUDIENCE,
            claims: { repository: ['Codertocat/*'] },
            jwks: { keys: [jwk] },
          },
        ],
      }),
    );
    // GitHub's token claims, signed with the key the webhook's JWKS holds
    tokens = await startTokenEndpoint(async (audience) => {
      const jwt = await new SignJWT({
        repository,
        repository_owner: repository.split('/')[0],
        ref: 'refs/pull/2/merge',
        event_name: 'pull_request',
        job_workflow_ref: `${repository}/.github/workflows/ci.yml@refs/pull/2/merge`,
        jti: `jti-${minted.length}-${Date.now()}`,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'gh-1', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setSubject(`repo:${repository}:pull_request`)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
      minted.push(jwt);
      return jwt;
    });
    api = await startFakeGitHub();
    // a real vulnerability DB: a scan that checked no vulnerabilities is denied by the default policy
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'bin', 'portcullis.js'),
        'db',
        'import',
        join(ROOT, 'test', 'fixtures', 'osv', 'records'),
        '--db',
        join(dir, 'db.sqlite'),
      ],
      { env: { PATH: process.env.PATH, HOME: dir }, stdio: 'ignore' },
    );

    webhook = await startPushReceiver(dir, certs);
    url = webhook.url;
  });

  afterAll(async () => {
    await webhook?.stop();
    await agent?.close();
    await api?.close();
    await tokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const runWithPush = (): ReturnType<typeof runAction> =>
    runAction({
      node: NODE24 as string,
      workspace: dir,
      api,
      token: tokens,
      inputs: {
        image: `registry:${MIN}`,
        db: join(dir, 'db.sqlite'),
        'push-url': url,
        'push-audience': AUDIENCE,
        comment: 'false',
      },
      // the runner trusts the webhook's CA the way any Node process does
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') },
    });

  it('a push from an allowed repository is stored, and admission decides from it at once', async () => {
    const run = await runWithPush();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(tokens.audiences).toEqual([AUDIENCE]);
    const token = minted[0] as string;
    expect(run.stdout).toContain(`::add-mask::${token}`);
    expect(run.stdout.replaceAll(`::add-mask::${token}`, '')).not.toContain(token);
    expect(run.stdout).toMatch(
      /^push: stored: sha256:[0-9a-f]{64} at https:\/\/127\.0\.0\.1:\d+ \(HTTP 20\d\)$/m,
    );
    expect(webhook.stdout()).toMatch(/"msg":"verdict pushed".*"method":"oidc"/);
    expect(webhook.stdout() + webhook.stderr()).not.toContain(token);

    const reply = await validate(MIN, 'after-action-push');
    expect(reply.response.allowed, JSON.stringify(reply)).toBe(true);
    expect(reply.response.status?.message ?? '').not.toContain('has not been scanned yet');
    // and an image nobody pushed is still unknown (denied, a scan queued): the allow above came from the push
    const other = await validate(`${TEST_REGISTRY}/fixtures/debian-v2s2:min`, 'never-pushed');
    expect(other.response.allowed).toBe(false);
    expect(other.response.status?.message).toContain('has not been scanned yet');
  });

  it('a token of a repository outside the claim rules is refused: the step fails with PUSH_REFUSED, exit 2', async () => {
    repository = 'evil/fork';
    try {
      const run = await runWithPush();
      expect(run.code).toBe(2);
      const errors = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^::error::PUSH_REFUSED: .*HTTP 40[13]/);
      const token = minted.at(-1) as string;
      expect(run.stdout.replaceAll(`::add-mask::${token}`, '')).not.toContain(token);
      // the outputs were set before the push failed
      expect(run.outputs.verdict).toMatch(/^(allow|warn)$/);
    } finally {
      repository = 'Codertocat/Hello-World';
    }
  });

  it('without id-token permission (no ACTIONS_ID_TOKEN_REQUEST_URL) the step fails with PUSH_INVALID', async () => {
    const run = await runAction({
      node: NODE24 as string,
      workspace: dir,
      api,
      inputs: { image: `registry:${MIN}`, 'push-url': url, 'push-audience': AUDIENCE, comment: 'false' },
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^::error::PUSH_INVALID: push-url is set but no OIDC token could be requested .*id-token: write/m,
    );
  });
});
