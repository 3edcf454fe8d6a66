// The template's OIDC push reaches admission: gitlab-ci-local runs portcullis-image with PORTCULLIS_PUSH_URL
// set; the job pushes its scan with `--oidc-token-env PORTCULLIS_ID_TOKEN` to a real `portcullis webhook serve`
// (real TLS, a loopback GitLab-like issuer given as an inline JWKS), and the next AdmissionReview for that
// digest is decided from the pushed scan. gitlab-ci-local cannot mint `id_tokens:`, so the test signs a
// GitLab-shaped token (RS256, project_path, ref…) and passes it as the PORTCULLIS_ID_TOKEN variable.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { Agent } from 'undici';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NO_IMAGES_REASON, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { makeCerts } from '../helpers/tls.js';
import {
  reviewPod,
  startPushReceiver,
  type AdmissionReply,
  type WebhookProcess,
} from '../helpers/webhook-process.js';
import { PLANTED_SECRETS, daysFrom, portcullis, type JsonReport } from '../e2e/helpers.js';
import {
  CHECKOUT_CLI,
  createProject,
  gclMissing,
  readArtifacts,
  readJobLog,
  runPipeline,
  type Project,
} from './helpers.js';

const ISSUER = 'https://gitlab.example.test';
const AUDIENCE = 'portcullis-webhook.example.test';
const MULTI = `${TEST_REGISTRY}/fixtures/debian:multi`;
const MIN = `${TEST_REGISTRY}/fixtures/debian:min`;

const missing = gclMissing();
const skip =
  (missing !== undefined && skipReason(missing)) || (!haveTestImages && skipReason(NO_IMAGES_REASON));

describe.skipIf(skip)(
  'Portcullis.gitlab-ci.yml pushes to the admission webhook with the job OIDC token',
  () => {
    let work: string;
    /** The webhook; its stdout is the JSON-lines log. */
    let webhook: WebhookProcess;
    let url = '';
    let agent: Agent;
    let issuerKey: CryptoKey;
    let project: Project;
    let base: Record<string, string>;

    /** A token shaped like GitLab's `id_tokens:` (FORMATS-registries-ci.md §GitLab CI): claims are strings. */
    const gitlabToken = (projectPath: string): Promise<string> =>
      new SignJWT({
        namespace_path: projectPath.split('/')[0],
        project_path: projectPath,
        project_id: '20',
        ref: 'main',
        ref_type: 'branch',
        ref_path: 'refs/heads/main',
        ref_protected: 'true',
        pipeline_source: 'push',
        jti: `jti-${Math.random()}`,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'gitlab-1', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setSubject(`project_path:${projectPath}:ref_type:branch:ref:main`)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('5m')
        .sign(issuerKey);

    const validate = (image: string, uid: string): Promise<AdmissionReply> =>
      reviewPod(url, image, uid, agent);

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'portcullis-gitlab-push-'));
      const certs = makeCerts(work, 'w-');
      await writeFile(join(work, 'ca.pem'), certs.ca);
      agent = new Agent({ connect: { ca: certs.ca } });
      const issuer = await generateKeyPair('RS256', { extractable: true });
      issuerKey = issuer.privateKey;
      const jwk = { ...(await exportJWK(issuer.publicKey)), kid: 'gitlab-1', alg: 'RS256', use: 'sig' };
      await writeFile(
        join(work, 'webhook.json'),
        JSON.stringify({
          oidcIssuers: [
            {
              issuer: ISSUER,
              audience: AUDIENCE,
              claims: { project_path: ['acme/*'], ref_protected: ['true'] },
              images: [`${TEST_REGISTRY}/fixtures/*`],
              jwks: { keys: [jwk] },
            },
          ],
        }),
      );
      // one policy for the job and the webhook: the fixture image's planted risks are excepted, so an allow at
      // admission can only come from a stored scan (unknown images are denied with --unknown deny)
      const policy = stringify({
        apiVersion: 'portcullis/v1',
        exceptions: [
          {
            id: '*',
            images: [`${TEST_REGISTRY}/fixtures/debian:*`],
            reason: 'fixture image: planted risks, reviewed',
            owner: 'gitlab-template-test',
            expires: daysFrom(new Date(), 30),
          },
        ],
      });
      await writeFile(join(work, 'policy.yaml'), policy);

      webhook = await startPushReceiver(work, certs, ['--policy', join(work, 'policy.yaml')]);
      url = webhook.url;

      const dbPath = join(work, 'db.sqlite');
      const imported = await portcullis(['db', 'import', join(FIXTURES, 'osv', 'records'), '--db', dbPath]);
      expect(imported.code, imported.stderr).toBe(0);
      project = await createProject(join(work, 'project'), { 'portcullis.yaml': policy });
      base = {
        PORTCULLIS_CLI: CHECKOUT_CLI,
        PORTCULLIS_DB: dbPath,
        PORTCULLIS_PUSH_URL: url,
        PORTCULLIS_PUSH_AUDIENCE: AUDIENCE,
        PORTCULLIS_PUSH_CA_CERT: join(work, 'ca.pem'),
      };
    });

    afterAll(async () => {
      await webhook?.stop();
      await agent?.close();
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('the job pushes its scan, and the next AdmissionReview for that digest is decided from it', async () => {
      const token = await gitlabToken('acme/shop');
      const run = await runPipeline(
        project,
        { ...base, PORTCULLIS_IMAGE: MULTI, PORTCULLIS_ID_TOKEN: token },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'PASS' });
      const report = JSON.parse(
        (await readArtifacts(project, 'portcullis-image'))['portcullis-report.json'] as string,
      ) as JsonReport & { image: { digest: string } };
      const jobLog = await readJobLog(project, 'portcullis-image');
      expect(jobLog).toContain(`pushed the scan of ${report.image.digest} to ${url}`);
      expect(webhook.stdout()).toMatch(
        new RegExp(
          `"msg":"verdict pushed".*"digest":"${report.image.digest}".*"method":"oidc".*"pushedBy":"${ISSUER} acme/shop@main"`,
        ),
      );

      const reply = await validate(MULTI, 'after-gitlab-push');
      expect(reply.response.status?.message ?? '').not.toContain('has not been scanned yet');
      expect(reply.response.allowed, JSON.stringify(reply)).toBe(true);
      // the same digest by a digest reference is judged from the same stored scan; the policy's image scope
      // applies to the reference the pod names: `fixtures/debian:*` does not cover `fixtures/debian@sha256:…`
      const byDigest = await validate(`${TEST_REGISTRY}/fixtures/debian@${report.image.digest}`, 'by-digest');
      expect(byDigest.response.status?.message ?? '').not.toContain('has not been scanned yet');
      expect(byDigest.response.allowed, JSON.stringify(byDigest)).toBe(false);
      expect(byDigest.response.status?.message).toMatch(/RUSTSEC-2021-0003|deny ≥ high/);

      for (const s of [token, ...PLANTED_SECRETS]) {
        expect(run.output).not.toContain(s);
        expect(jobLog).not.toContain(s);
        expect(webhook.stdout() + webhook.stderr()).not.toContain(s);
      }
    });

    it('a token of a project outside the claim rules is refused: the job fails with the reason, nothing is stored', async () => {
      const token = await gitlabToken('evil/fork');
      const run = await runPipeline(
        project,
        { ...base, PORTCULLIS_IMAGE: MIN, PORTCULLIS_ID_TOKEN: token },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      const jobLog = await readJobLog(project, 'portcullis-image');
      expect(jobLog).toMatch(/portcullis: PUSH_REFUSED: .*HTTP 401.*WEBHOOK_TOKEN_INVALID.*project_path/);
      // the report was still written and uploaded
      const a = await readArtifacts(project, 'portcullis-image');
      expect((JSON.parse(a['portcullis-report.json'] as string) as JsonReport).schemaVersion).toBe(1);
      expect(run.output + jobLog + webhook.stdout() + webhook.stderr()).not.toContain(token);
      const reply = await validate(MIN, 'after-refused');
      expect(reply.response.allowed).toBe(false);
      expect(reply.response.status?.message).toContain('has not been scanned yet');
    });

    it('without PORTCULLIS_PUSH_URL the job pushes nothing', async () => {
      const before = (webhook.stdout().match(/"msg":"verdict pushed"/g) ?? []).length;
      const { PORTCULLIS_PUSH_URL: _unused, ...noPush } = base;
      const run = await runPipeline(
        project,
        { ...noPush, PORTCULLIS_IMAGE: MIN, PORTCULLIS_ID_TOKEN: await gitlabToken('acme/shop') },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'PASS' });
      expect(await readJobLog(project, 'portcullis-image')).not.toContain('pushed the scan');
      expect((webhook.stdout().match(/"msg":"verdict pushed"/g) ?? []).length).toBe(before);
    });
  },
);
