/**
 * Quay lister against a loopback fake built from quay/quay `endpoints/api/repository.py` and `tag.py`:
 * repositories per namespace with an opaque `next_page` token, tags with `page`/`limit`/`has_additional`,
 * `onlyActiveTags`, `last_modified` in RFC 2822, and bearer (OAuth application token) auth only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogLister, type RegistrySettings } from '../../../core/src/source/index.js';
import { TEST_REGISTRY } from '../../helpers/env.js';
import { collect, rejectionOf, startFake, type FakeServer } from './fake-server.js';
import { testScriptedFailures } from './scripted-failures.js';
import { readFixtureRepos, testListsPullableReferences, type FixtureRepo } from './fixture-images.js';

import { TOKEN, env, createQuayHandler } from './quay-fake.js';

let fake: FakeServer;
let repos: FixtureRepo[];
const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => ({
  name: 'quay-io',
  kind: 'quay',
  url: fake.origin,
  registryHost: TEST_REGISTRY,
  namespaces: ['fixtures'],
  credentials: { tokenEnv: 'QUAY_TOKEN' },
  ...over,
});

beforeAll(async () => {
  repos = await readFixtureRepos();
  fake = await startFake(createQuayHandler(repos));
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

describe('the quay lister', () => {
  it('lists every repository of a namespace, passing next_page back until it is absent', async () => {
    const lister = createCatalogLister(settings(), { env });
    expect(await collect(lister.listRepositories())).toEqual(repos.map((r) => r.path));
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[0]!.url.searchParams.has('next_page')).toBe(false);
    expect(fake.requests[1]!.url.searchParams.get('next_page')).toMatch(/\w+/);
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('lists active tags over pages with digests and last_modified as the update time', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    const images = await collect(lister.listImages('fixtures/debian'));
    const debian = repos.find((r) => r.path === 'fixtures/debian')!;
    expect(images).toEqual(
      debian.tags.map((t) => ({
        registry: 'quay-io',
        repository: 'fixtures/debian',
        reference: `${TEST_REGISTRY}/fixtures/debian:${t.name}`,
        tag: t.name,
        digest: t.digest,
        updatedAt: new Date(Math.floor(t.updatedMs / 1000) * 1000).toISOString(),
      })),
    );
    expect(fake.requests.map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2']);
    expect(fake.requests.every((r) => r.url.searchParams.get('onlyActiveTags') === 'true')).toBe(true);
    expect(fake.requests.every((r) => r.url.pathname === '/api/v1/repository/fixtures/debian/tag/')).toBe(
      true,
    );
  });

  it('without a token, sees only what Quay shows anonymously', async () => {
    const lister = createCatalogLister(settings({ credentials: {} }), { env: {} });
    expect(await collect(lister.listRepositories())).toEqual([]);
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
  });

  testListsPullableReferences(() => createCatalogLister(settings(), { env }).listImages('fixtures/debian'));

  describe('errors', () => {
    it('answers 403 with REGISTRY_AUTH_FAILED', async () => {
      const err = await rejectionOf(
        collect(
          createCatalogLister(settings({ credentials: {} }), { env: {} }).listImages('fixtures/debian'),
        ),
      );
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('403 from quay-io');
    });

    it('answers 404 with REGISTRY_NOT_FOUND', async () => {
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env }).listImages('fixtures/nope')),
      );
      expect(err.code).toBe('REGISTRY_NOT_FOUND');
    });

    testScriptedFailures({
      fake: () => fake,
      list: (extras) => createCatalogLister(settings(), { env, ...extras }).listRepositories(),
      wrongCredentials: {
        env: { QUAY_TOKEN: 'bad-token-9' },
        secret: 'bad-token-9',
        mentions: ['401 from quay-io', 'QUAY_TOKEN'],
      },
      retryAfter: {
        reply: { status: 429, headers: { 'retry-after': '3' }, body: { detail: 'rate limited' } },
        waitMs: 3000,
        expected: () => repos.length,
      },
      rateLimited: {
        reply: { status: 429 },
        times: 3,
        maxRetries: 2,
        list: (extras) => createCatalogLister(settings(), { env, ...extras }).listImages('fixtures/debian'),
        requests: 3,
      },
      malformed: { body: 'not json at all', mentions: '/api/v1/repository' },
    });

    it('stops a next_page token that repeats itself', async () => {
      const page = { body: { repositories: [{ namespace: 'fixtures', name: 'x' }], next_page: 'same' } };
      fake.failNext(page, 3);
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
      expect(err.message).toContain('next_page');
    });

    it('needs namespaces', () => {
      expect(() => createCatalogLister(settings({ namespaces: [] }), { env })).toThrow(
        expect.objectContaining({ code: 'USAGE_INVALID' }),
      );
    });
  });
});
