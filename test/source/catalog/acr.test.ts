/**
 * ACR Enterprise Edition lister against a loopback fake of the `cr` 2018-12-01 OpenAPI (responses shaped
 * like the SDK models: ListNamespace / ListRepository / ListRepoTag, `PageNo`/`PageSize`/`TotalCount` as a
 * string, `ImageUpdate`/`ImageCreate` epoch ms strings, bare-hex `Digest`). The fake verifies every
 * request's ACS3-HMAC-SHA256 signature with its own implementation and refuses bad ones as the gateway does.
 * Modelled, not documented: a business error as HTTP 200 with `IsSuccess: false` and a `Code` such as
 * `INSTANCE_NOT_EXIST` / `REPO_NOT_EXIST` (the exact codes are unverified).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogLister, openImage, type RegistrySettings } from '../../../core/src/source/index.js';
import { signAcs3, toAcs3CanonicalRequest } from '../../../core/src/source/registry/catalog/acs3.js';
import { TEST_REGISTRY, haveTestImages, skipReason } from '../../helpers/env.js';
import {
  haveRegistryTools,
  htpasswdAuth,
  pushImage,
  startRegistry,
  type RunningRegistry,
} from '../registry-harness.js';
import { collect, rejectionOf, startFake, type FakeServer } from './fake-server.js';
import { testScriptedFailures } from './scripted-failures.js';
import { readFixtureRepos, testListsPullableReferences, type FixtureRepo } from './fixture-images.js';

import { INSTANCE, KEY_ID, env, TEMP_USER, TEMP_TOKEN, createAcrHandler } from './acr-fake.js';

describe('ACS3-HMAC-SHA256', () => {
  it('signs the darabonba-openapi test vector (utils/client_test.go Test_GetAuthorization)', () => {
    const req = {
      method: '',
      path: '',
      query: { test: 'ok', empty: '' },
      headers: { 'x-acs-test': 'http', 'x-acs-TEST': 'https' },
      payloadHash: '55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23',
    };
    expect(toAcs3CanonicalRequest(req).canonicalRequest).toBe(
      '\n/\nempty=&test=ok\nx-acs-test:http,https\n\nx-acs-test\n55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23',
    );
    expect(signAcs3(req, { accessKeyId: 'acesskey', accessKeySecret: 'secret' })).toBe(
      'ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,Signature=4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3',
    );
  });

  it('changes the signature when a signed header or the secret changes', () => {
    const req = {
      method: 'POST',
      path: '/',
      query: { A: 'b c*~' },
      headers: { 'x-acs-action': 'ListNamespace' },
      payloadHash: 'e3',
    };
    const a = signAcs3(req, { accessKeyId: 'k', accessKeySecret: 's' });
    expect(
      signAcs3(
        { ...req, headers: { 'x-acs-action': 'ListRepository' } },
        { accessKeyId: 'k', accessKeySecret: 's' },
      ),
    ).not.toBe(a);
    expect(signAcs3(req, { accessKeyId: 'k', accessKeySecret: 't' })).not.toBe(a);
    expect(toAcs3CanonicalRequest(req).canonicalRequest).toContain('A=b%20c%2A~');
  });
});

let fake: FakeServer;
let repos: FixtureRepo[];
let fakeNow = Date.now();
const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => ({
  name: 'acr-prod',
  kind: 'acr',
  url: `http://${TEST_REGISTRY}`,
  endpoint: fake.origin,
  instanceId: INSTANCE,
  regionId: 'cn-hangzhou',
  accessKeyIdEnv: 'ACR_AK',
  accessKeySecretEnv: 'ACR_SK',
  ...over,
});

beforeAll(async () => {
  repos = await readFixtureRepos();
  fake = await startFake(createAcrHandler(repos, () => fakeNow));
});
beforeEach(() => {
  fake.reset();
  fakeNow = Date.now();
});
afterAll(async () => {
  await fake?.close();
});

describe('the acr lister', () => {
  it('lists namespaces then repositories, every PageNo until TotalCount, each request signed', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 2 });
    const names = await collect(lister.listRepositories());
    expect(names.sort()).toEqual([...repos.map((r) => r.path), 'team-b/api'].sort());
    const pages = fake.requests
      .filter(
        (r) =>
          r.headers['x-acs-action'] === 'ListRepository' &&
          r.url.searchParams.get('RepoNamespaceName') === 'fixtures',
      )
      .map((r) => r.url.searchParams.get('PageNo'));
    expect(pages).toEqual(['1', '2', '3']);
    expect(
      fake.requests.every((r) =>
        String(r.headers.authorization).startsWith('ACS3-HMAC-SHA256 Credential=LTAI-test-key-id,'),
      ),
    ).toBe(true);
    expect(
      fake.requests.every(
        (r) =>
          r.headers['x-acs-content-sha256'] ===
          'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      ),
    ).toBe(true);
  });

  it('lists only the configured namespaces without ListNamespace', async () => {
    const lister = createCatalogLister(settings({ namespaces: ['team-b'] }), { env });
    expect(await collect(lister.listRepositories())).toEqual(['team-b/api']);
    expect(fake.requests.some((r) => r.headers['x-acs-action'] === 'ListNamespace')).toBe(false);
  });

  it('lists tags with sha256 digests and ImageUpdate/ImageCreate as RFC 3339, over pages', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    const images = await collect(lister.listImages('fixtures/debian'));
    const debian = repos.find((r) => r.path === 'fixtures/debian')!;
    expect(images).toEqual(
      debian.tags.map((t) => ({
        registry: 'acr-prod',
        repository: 'fixtures/debian',
        reference: `${TEST_REGISTRY}/fixtures/debian:${t.name}`,
        tag: t.name,
        digest: t.digest,
        updatedAt: new Date(t.updatedMs).toISOString(),
        createdAt: new Date(t.createdMs).toISOString(),
      })),
    );
    expect(
      fake.requests
        .filter((r) => r.headers['x-acs-action'] === 'ListRepoTag')
        .map((r) => r.url.searchParams.get('PageNo')),
    ).toEqual(['1', '2']);
  });

  testListsPullableReferences(() =>
    createCatalogLister(settings(), { env }).listImages('fixtures/debian-v2s2'),
  );

  describe('errors', () => {
    it('is refused for an unknown access key (404 InvalidAccessKeyId.NotFound) as an auth failure', async () => {
      const err = await rejectionOf(
        collect(
          createCatalogLister(settings(), { env: { ...env, ACR_AK: 'LTAI-nobody' } }).listRepositories(),
        ),
      );
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('InvalidAccessKeyId.NotFound');
    });

    it('is refused when its clock is off by more than 15 minutes (the injected now is what it signs)', async () => {
      const lister = createCatalogLister(settings(), { env, now: () => new Date(Date.now() - 3_600_000) });
      const err = await rejectionOf(collect(lister.listRepositories()));
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('InvalidTimeStamp');
    });

    it('names an unset key env var', async () => {
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env: { ACR_AK: KEY_ID } }).listRepositories()),
      );
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('ACR_SK');
      expect(fake.requests).toHaveLength(0);
    });

    it('reports an unknown repository and an unknown instance as REGISTRY_NOT_FOUND', async () => {
      const lister = createCatalogLister(settings(), { env });
      expect((await rejectionOf(collect(lister.listImages('fixtures/nope')))).code).toBe(
        'REGISTRY_NOT_FOUND',
      );
      const other = createCatalogLister(settings({ instanceId: 'cri-other' }), { env });
      const err = await rejectionOf(collect(other.listRepositories()));
      expect(err.code).toBe('REGISTRY_NOT_FOUND');
      expect(err.message).toContain('INSTANCE_NOT_EXIST');
    });

    testScriptedFailures({
      fake: () => fake,
      list: (extras) => createCatalogLister(settings(), { env, ...extras }).listRepositories(),
      // refused by the fake for a wrong secret (SignatureDoesNotMatch)
      wrongCredentials: {
        env: { ...env, ACR_SK: 'not-the-secret' },
        secret: 'not-the-secret',
        mentions: ['SignatureDoesNotMatch', 'ACR_AK and ACR_SK'],
      },
      forbidden: {
        reply: {
          status: 403,
          body: {
            Code: 'Forbidden.RAM',
            Message: 'User not authorized to operate on the specified resource.',
          },
        },
      },
      // a throttled call (429 Throttling.User, Retry-After) is retried with a fresh signature and nonce
      retryAfter: {
        reply: {
          status: 429,
          headers: { 'retry-after': '2' },
          body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
        },
        waitMs: 2000,
        list: (extras) =>
          createCatalogLister(settings({ namespaces: ['team-b'] }), { env, ...extras }).listRepositories(),
        expected: () => ['team-b/api'],
        requests: 2,
        check: ([first, second]) => {
          expect(first!.headers['x-acs-signature-nonce']).not.toBe(second!.headers['x-acs-signature-nonce']);
          expect(first!.headers.authorization).not.toBe(second!.headers.authorization);
        },
      },
      rateLimited: {
        reply: { status: 429, body: { Code: 'Throttling' } },
        times: 4,
        maxRetries: 3,
        requests: 4,
      },
      malformed: { body: '{"Code":"success","Namespaces":[', mentions: 'acr-prod' },
    });

    it('asks for kind-specific settings up front', () => {
      expect(() => createCatalogLister(settings({ instanceId: undefined }), { env })).toThrow(
        expect.objectContaining({ code: 'USAGE_INVALID' }),
      );
    });
  });

  describe('pull credentials', () => {
    const tokenCalls = () =>
      fake.requests.filter((r) => r.headers['x-acs-action'] === 'GetAuthorizationToken');

    it('gets a temporary login with the AccessKey, and renews it only near its expiry', async () => {
      let now = Date.now();
      const lister = createCatalogLister(settings(), { env, now: () => new Date(now) });
      expect(await lister.resolvePullOptions()).toMatchObject({ username: TEMP_USER, password: TEMP_TOKEN });
      await lister.resolvePullOptions();
      expect(tokenCalls()).toHaveLength(1);
      now += 56 * 60_000;
      fakeNow = now;
      await lister.resolvePullOptions();
      expect(tokenCalls()).toHaveLength(2);
    });

    it('uses configured credentials instead, without asking for a token', async () => {
      const lister = createCatalogLister(settings({ credentials: { usernameEnv: 'U', passwordEnv: 'P' } }), {
        env: { ...env, U: 'fixed-user', P: 'fixed-pass' },
      });
      expect(await lister.resolvePullOptions()).toMatchObject({
        username: 'fixed-user',
        password: 'fixed-pass',
      });
      expect(tokenCalls()).toHaveLength(0);
    });

    const canRunOwn = haveTestImages && haveRegistryTools;
    describe.skipIf(!canRunOwn && skipReason('docker-registry, skopeo, htpasswd or test images missing'))(
      'against a registry that only accepts the temporary login',
      () => {
        let dir: string;
        let reg: RunningRegistry;
        beforeAll(async () => {
          dir = await mkdtemp(join(tmpdir(), 'portcullis-acr-'));
          await writeFile(join(dir, 'none.json'), '{}');
          reg = await startRegistry(dir, { auth: await htpasswdAuth(dir, TEMP_USER, TEMP_TOKEN) });
          await pushImage('min', `${reg.host}/fixtures/debian:min`, `${TEMP_USER}:${TEMP_TOKEN}`);
        }, 300_000);
        afterAll(async () => {
          await reg?.stop();
          if (dir) await rm(dir, { recursive: true, force: true });
        });

        it('pulls a listed image with it, and not without it', async () => {
          const lister = createCatalogLister(settings({ url: `http://${reg.host}` }), { env });
          const [image] = await collect(lister.listImages('fixtures/debian'));
          expect(image!.reference).toBe(`${reg.host}/fixtures/debian:min`);
          const src = await openImage(image!.reference, {
            ...(await lister.resolvePullOptions()),
            dockerConfigPath: join(dir, 'none.json'),
          });
          await src.close();
          expect(src.meta.layers).toHaveLength(1);
          const anonymous = await rejectionOf(
            openImage(image!.reference, { env: {}, dockerConfigPath: join(dir, 'none.json') }),
          );
          expect(anonymous.code).toBe('REGISTRY_UNAUTHORIZED');
        });
      },
    );
  });
});
