/**
 * ACR Enterprise Edition lister against a loopback fake of the `cr` 2018-12-01 OpenAPI (responses shaped
 * like the SDK models: ListNamespace / ListRepository / ListRepoTag, `PageNo`/`PageSize`/`TotalCount` as a
 * string, `ImageUpdate`/`ImageCreate` epoch ms strings, bare-hex `Digest`). The fake verifies every
 * request's ACS3-HMAC-SHA256 signature with its own implementation and refuses bad ones as the gateway does.
 * Modelled, not documented: a business error as HTTP 200 with `IsSuccess: false` and a `Code` such as
 * `INSTANCE_NOT_EXIST` / `REPO_NOT_EXIST` (the exact codes are unverified).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCatalogLister,
  createRegistryClient,
  type RegistrySettings,
} from '../../../core/src/source/index.js';
import { signAcs3, toAcs3CanonicalRequest } from '../../../core/src/source/registry/catalog/acs3.js';
import { TEST_REGISTRY } from '../../helpers/env.js';
import { verifyAcs3 } from './acs3-verify.js';
import {
  collect,
  createRecordingSleep,
  rejectionOf,
  startFake,
  type FakeReply,
  type FakeRequest,
  type FakeServer,
} from './fake-server.js';
import { readFixtureRepos, skipWithoutRegistry, type FixtureRepo } from './fixture-images.js';

const INSTANCE = 'cri-portcullis0test';
const KEY_ID = 'LTAI-test-key-id';
const KEY_SECRET = 'acr-test-secret-value';
const env = { ACR_AK: KEY_ID, ACR_SK: KEY_SECRET };

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

function acrOk(action: string, body: Record<string, unknown>): FakeReply {
  return { body: { Code: 'success', IsSuccess: true, RequestId: `req-${action}`, ...body } };
}

/** PageNo/PageSize slice with TotalCount as a string, as both SDKs type it. */
function acrPage(q: URLSearchParams, field: string, items: unknown[], action: string): FakeReply {
  const no = Number(q.get('PageNo') ?? '1');
  const size = Number(q.get('PageSize') ?? '30');
  if (size > 100)
    return { status: 400, body: { Code: 'PARAM_INVALID', Message: 'PageSize', RequestId: 'x' } };
  return acrOk(action, {
    PageNo: no,
    PageSize: size,
    TotalCount: String(items.length),
    [field]: items.slice((no - 1) * size, no * size),
  });
}

function createAcrHandler(repos: FixtureRepo[], clock: () => number) {
  const all = [
    ...repos,
    {
      path: 'team-b/api',
      real: false,
      tags: [
        {
          name: 'v3',
          digest: `sha256:${'cd'.repeat(32)}`,
          updatedMs: 1_700_000_000_000,
          createdMs: 1_600_000_000_000,
        },
      ],
    },
  ];
  const ids = new Map(all.map((r, i) => [`crr-${i}`, r]));
  const nonces = new Set<string>();
  return (req: FakeRequest): FakeReply => {
    const v = verifyAcs3(req, { [KEY_ID]: KEY_SECRET }, clock());
    if (!v.ok) {
      const status = v.code.startsWith('InvalidAccessKeyId') ? 404 : 400;
      return {
        status,
        body: { RequestId: 'r', HostId: 'cr.cn-hangzhou.aliyuncs.com', Code: v.code, Message: v.message },
      };
    }
    const nonce = String(req.headers['x-acs-signature-nonce']);
    if (nonces.has(nonce))
      return { status: 400, body: { Code: 'SignatureNonceUsed', Message: 'nonce used' } };
    nonces.add(nonce);
    if (req.method !== 'POST' || req.url.pathname !== '/' || req.headers['x-acs-version'] !== '2018-12-01') {
      return { status: 400, body: { Code: 'InvalidParameter', Message: 'bad request form' } };
    }
    const q = req.url.searchParams;
    if (q.get('InstanceId') !== INSTANCE) return acrOk('x', { Code: 'INSTANCE_NOT_EXIST', IsSuccess: false });
    const action = String(req.headers['x-acs-action']);
    if (action === 'ListNamespace') {
      const names = [...new Set(all.map((r) => r.path.split('/')[0]!))];
      return acrPage(
        q,
        'Namespaces',
        names.map((n, i) => ({
          NamespaceId: `crn-${i}`,
          NamespaceName: n,
          NamespaceStatus: 'NORMAL',
          InstanceId: INSTANCE,
          AutoCreateRepo: true,
        })),
        action,
      );
    }
    if (action === 'ListRepository') {
      const ns = q.get('RepoNamespaceName');
      const name = q.get('RepoName');
      const list = [...ids]
        .filter(
          ([, r]) =>
            (ns === null || r.path.startsWith(`${ns}/`)) && (name === null || r.path.endsWith(`/${name}`)),
        )
        .map(([id, r]) => ({
          RepoId: id,
          RepoNamespaceName: r.path.split('/')[0],
          RepoName: r.path.split('/').slice(1).join('/'),
          RepoStatus: 'NORMAL',
          RepoType: 'PRIVATE',
          CreateTime: 1_600_000_000_000,
          ModifiedTime: 1_700_000_000_000,
          InstanceId: INSTANCE,
        }));
      return acrPage(q, 'Repositories', list, action);
    }
    if (action === 'ListRepoTag') {
      const repo = ids.get(q.get('RepoId') ?? '');
      if (!repo) return acrOk(action, { Code: 'REPO_NOT_EXIST', IsSuccess: false });
      const images = repo.tags.map((t) => ({
        Tag: t.name,
        Digest: t.digest.replace(/^sha256:/, ''),
        ImageId: t.digest.slice(7, 19),
        ImageSize: 1234,
        ImageCreate: String(t.createdMs),
        ImageUpdate: String(t.updatedMs),
        Status: 'NORMAL',
      }));
      return acrPage(q, 'Images', images, action);
    }
    return { status: 400, body: { Code: 'InvalidAction.NotFound', Message: action } };
  };
}

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

  it.skipIf(skipWithoutRegistry())(
    'lists references the registry client pulls from the real registry',
    async () => {
      const client = createRegistryClient({ env: {} });
      try {
        const images = await collect(
          createCatalogLister(settings(), { env }).listImages('fixtures/debian-v2s2'),
        );
        expect(images).toHaveLength(2);
        for (const image of images) expect(await client.resolveDigest(image.reference)).toBe(image.digest);
      } finally {
        await client.close();
      }
    },
  );

  describe('errors', () => {
    it('is refused by the fake with a wrong secret: REGISTRY_AUTH_FAILED naming both env vars', async () => {
      const err = await rejectionOf(
        collect(
          createCatalogLister(settings(), { env: { ...env, ACR_SK: 'not-the-secret' } }).listRepositories(),
        ),
      );
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('SignatureDoesNotMatch');
      expect(err.message).toContain('ACR_AK and ACR_SK');
      expect(err.message).not.toContain('not-the-secret');
    });

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

    it('maps 403 to REGISTRY_AUTH_FAILED', async () => {
      fake.failNext({
        status: 403,
        body: { Code: 'Forbidden.RAM', Message: 'User not authorized to operate on the specified resource.' },
      });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
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

    it('retries a throttled call (429 Throttling.User, Retry-After) with a fresh signature and nonce', async () => {
      const { sleep, waits } = createRecordingSleep();
      fake.failNext({
        status: 429,
        headers: { 'retry-after': '2' },
        body: { Code: 'Throttling.User', Message: 'Request was denied due to user flow control.' },
      });
      const names = await collect(
        createCatalogLister(settings({ namespaces: ['team-b'] }), { env, sleep }).listRepositories(),
      );
      expect(names).toEqual(['team-b/api']);
      expect(waits).toEqual([2000]);
      expect(fake.requests).toHaveLength(2);
      const [first, second] = fake.requests;
      expect(first!.headers['x-acs-signature-nonce']).not.toBe(second!.headers['x-acs-signature-nonce']);
      expect(first!.headers.authorization).not.toBe(second!.headers.authorization);
    });

    it('gives up on endless 429s with REGISTRY_RATE_LIMITED', async () => {
      const { sleep } = createRecordingSleep();
      fake.failNext({ status: 429, body: { Code: 'Throttling' } }, 4);
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env, sleep, maxRetries: 3 }).listRepositories()),
      );
      expect(err.code).toBe('REGISTRY_RATE_LIMITED');
      expect(fake.requests).toHaveLength(4);
    });

    it('reports a malformed body as REGISTRY_API_ERROR', async () => {
      fake.failNext({ status: 200, body: '{"Code":"success","Namespaces":[' });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
      expect(err.message).toContain('acr-prod');
    });

    it('asks for kind-specific settings up front', () => {
      expect(() => createCatalogLister(settings({ instanceId: undefined }), { env })).toThrow(
        expect.objectContaining({ code: 'USAGE_INVALID' }),
      );
    });
  });
});
