/**
 * Quay lister against a loopback fake built from quay/quay `endpoints/api/repository.py` and `tag.py`:
 * repositories per namespace with an opaque `next_page` token, tags with `page`/`limit`/`has_additional`,
 * `onlyActiveTags`, `last_modified` in RFC 2822, and bearer (OAuth application token) auth only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCatalogLister,
  createRegistryClient,
  type RegistrySettings,
} from '../../../core/src/source/index.js';
import { TEST_REGISTRY } from '../../helpers/env.js';
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

const TOKEN = 'quay-oauth-app-token';
const env = { QUAY_TOKEN: TOKEN };
/** The fake's repository page size (Quay's REPOS_PER_PAGE is 100; 2 here to get several pages). */
const REPOS_PER_PAGE = 2;

/** Quay formats dates with email.utils.formatdate: RFC 2822, `-0000`. */
function toRfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '-0000');
}

const invalidToken: FakeReply = {
  status: 401,
  body: {
    detail: 'Invalid token',
    error_message: 'Invalid token',
    error_type: 'invalid_token',
    title: 'invalid_token',
    status: 401,
  },
};

function createQuayHandler(repos: FixtureRepo[]) {
  const tokens = new Map<string, number>();
  return (req: FakeRequest): FakeReply => {
    const auth = req.headers.authorization;
    if (auth !== undefined && auth !== `Bearer ${TOKEN}`) return invalidToken;
    const path = req.url.pathname;
    const q = req.url.searchParams;
    if (path === '/api/v1/repository') {
      const namespace = q.get('namespace');
      if (!namespace)
        return {
          status: 400,
          body: { message: 'namespace, starred or public are required for this API call' },
        };
      // A private namespace: anonymous callers see nothing (Quay filters by visibility).
      const visible = auth === undefined ? [] : repos.filter((r) => r.path.startsWith(`${namespace}/`));
      const token = q.get('next_page');
      const start = token === null ? 0 : tokens.get(token);
      if (start === undefined) return { status: 400, body: { message: 'Invalid next_page token' } };
      const slice = visible.slice(start, start + REPOS_PER_PAGE);
      const body: Record<string, unknown> = {
        repositories: slice.map((r) => ({
          namespace,
          name: r.path.slice(namespace.length + 1),
          description: null,
          is_public: false,
          kind: 'image',
          state: 'NORMAL',
        })),
      };
      if (start + REPOS_PER_PAGE < visible.length) {
        const next = randomBytes(12).toString('base64url');
        tokens.set(next, start + REPOS_PER_PAGE);
        body.next_page = next;
      }
      return { body };
    }
    const m = /^\/api\/v1\/repository\/([^/]+)\/([^/]+)\/tag\/$/.exec(path);
    if (m) {
      if (auth === undefined)
        return { status: 403, body: { detail: 'Unauthorized', status: 403, title: 'unauthorized' } };
      const repo = repos.find((r) => r.path === `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
      if (!repo) return { status: 404, body: { detail: 'Not Found', status: 404, title: 'not_found' } };
      const page = Number(q.get('page') ?? '1');
      const limit = Math.min(Math.max(Number(q.get('limit') ?? '50'), 1), 100);
      let tags = repo.tags.map((t) => ({
        name: t.name,
        reversion: false,
        start_ts: Math.floor(t.updatedMs / 1000),
        manifest_digest: t.digest,
        is_manifest_list: false,
        size: 1234,
        last_modified: toRfc2822(t.updatedMs),
      }));
      if (q.get('onlyActiveTags') !== 'true') {
        // Tag history: a dead tag that only appears without onlyActiveTags.
        tags = [
          ...tags,
          { ...tags[0]!, name: 'deleted-long-ago', end_ts: 1_600_000_000 } as (typeof tags)[number],
        ];
      }
      const slice = tags.slice((page - 1) * limit, page * limit);
      return { body: { tags: slice, page, has_additional: page * limit < tags.length } };
    }
    return { status: 404, body: { detail: 'Not Found', status: 404 } };
  };
}

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

  it.skipIf(skipWithoutRegistry())(
    'lists references the registry client pulls from the real registry',
    async () => {
      const client = createRegistryClient({ env: {} });
      try {
        const images = await collect(createCatalogLister(settings(), { env }).listImages('fixtures/debian'));
        expect(images).toHaveLength(2);
        for (const image of images) expect(await client.resolveDigest(image.reference)).toBe(image.digest);
      } finally {
        await client.close();
      }
    },
  );

  describe('errors', () => {
    it('answers 401 with REGISTRY_AUTH_FAILED naming the token env var', async () => {
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env: { QUAY_TOKEN: 'bad-token-9' } }).listRepositories()),
      );
      expect(err.code).toBe('REGISTRY_AUTH_FAILED');
      expect(err.message).toContain('401 from quay-io');
      expect(err.message).toContain('QUAY_TOKEN');
      expect(err.message).not.toContain('bad-token-9');
    });

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

    it('waits what Retry-After asks after a 429, then succeeds', async () => {
      const { sleep, waits } = createRecordingSleep();
      fake.failNext({ status: 429, headers: { 'retry-after': '3' }, body: { detail: 'rate limited' } });
      const names = await collect(createCatalogLister(settings(), { env, sleep }).listRepositories());
      expect(names).toHaveLength(repos.length);
      expect(waits).toEqual([3000]);
    });

    it('gives up on endless 429s with REGISTRY_RATE_LIMITED', async () => {
      const { sleep } = createRecordingSleep();
      fake.failNext({ status: 429 }, 3);
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env, sleep, maxRetries: 2 }).listImages('fixtures/debian')),
      );
      expect(err.code).toBe('REGISTRY_RATE_LIMITED');
      expect(fake.requests).toHaveLength(3);
    });

    it('reports a malformed body as REGISTRY_API_ERROR', async () => {
      fake.failNext({ status: 200, body: 'not json at all' });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
      expect(err.message).toContain('/api/v1/repository');
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
