/**
 * GitLab lister against a loopback fake built from gitlab `doc/api/container_registry.md` and
 * `doc/api/rest/_index.md`: group and project registry repositories (`:id` numeric or URL-encoded path),
 * tags, tag details with `digest` and `created_at`; offset paging with `X-Next-Page`/`Link`; `PRIVATE-TOKEN`
 * everywhere and `JOB-TOKEN` on project endpoints only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogLister, type RegistrySettings } from '../../../core/src/source/index.js';
import { TEST_REGISTRY } from '../../helpers/env.js';
import { collect, rejectionOf, startFake, type FakeServer } from './fake-server.js';
import { testScriptedFailures } from './scripted-failures.js';
import { readFixtureRepos, testListsPullableReferences, type FixtureRepo } from './fixture-images.js';

import { PRIVATE_TOKEN, JOB_TOKEN, env, createGitlabHandler } from './gitlab-fake.js';

let fake: FakeServer;
let repos: FixtureRepo[];
const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => ({
  name: 'gitlab-self',
  kind: 'gitlab',
  url: fake.origin,
  groups: ['fixtures'],
  credentials: { tokenEnv: 'GITLAB_TOKEN' },
  ...over,
});

beforeAll(async () => {
  repos = await readFixtureRepos();
  fake = await startFake(createGitlabHandler(repos));
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

describe('the gitlab lister', () => {
  it('lists a group’s repositories over pages following X-Next-Page, with PRIVATE-TOKEN', async () => {
    const names = await collect(createCatalogLister(settings(), { env, pageSize: 2 }).listRepositories());
    expect(names).toEqual(repos.map((r) => r.path));
    expect(fake.requests.map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(fake.requests.every((r) => r.headers['private-token'] === PRIVATE_TOKEN)).toBe(true);
  });

  it('lists a project by URL-encoded path once even when its group is listed too', async () => {
    const lister = createCatalogLister(settings({ projects: ['fixtures/debian'] }), { env });
    expect(await collect(lister.listRepositories())).toEqual(repos.map((r) => r.path));
    expect(
      fake.requests.some((r) =>
        r.rawUrl.startsWith('/api/v4/projects/fixtures%2Fdebian/registry/repositories?'),
      ),
    ).toBe(true);
  });

  it('lists tags over Link-only pages, with digest and created_at from the tag details', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    const images = await collect(lister.listImages('fixtures/debian'));
    const debian = repos.find((r) => r.path === 'fixtures/debian')!;
    expect(images).toEqual(
      debian.tags.map((t) => ({
        registry: 'gitlab-self',
        repository: 'fixtures/debian',
        reference: `${TEST_REGISTRY}/fixtures/debian:${t.name}`,
        tag: t.name,
        digest: t.digest,
        createdAt: new Date(t.createdMs).toISOString(),
      })),
    );
    const tagPages = fake.requests
      .filter((r) => r.url.pathname.endsWith('/tags'))
      .map((r) => r.url.searchParams.get('page'));
    expect(tagPages).toEqual(['1', '2']);
    expect(fake.requests.filter((r) => /\/tags\/(min|multi)$/.test(r.url.pathname))).toHaveLength(2);
  });

  it('uses JOB-TOKEN for CI_JOB_TOKEN on project endpoints', async () => {
    const lister = createCatalogLister(
      settings({ groups: undefined, projects: ['11'], credentials: { tokenEnv: 'CI_JOB_TOKEN' } }),
      {
        env: { CI_JOB_TOKEN: JOB_TOKEN },
      },
    );
    expect(await collect(lister.listRepositories())).toEqual(['fixtures/debian']);
    expect(fake.requests[0]!.headers['job-token']).toBe(JOB_TOKEN);
    expect(fake.requests[0]!.headers['private-token']).toBeUndefined();
  });

  it('pulls from registryHost when it is set instead of the API location', async () => {
    const lister = createCatalogLister(settings({ registryHost: 'registry.example.test:5050' }), { env });
    const [first] = await collect(lister.listImages('fixtures/debian'));
    expect(first!.reference).toBe('registry.example.test:5050/fixtures/debian:min');
  });

  testListsPullableReferences(() =>
    createCatalogLister(settings(), { env }).listImages('fixtures/debian-v2s2'),
  );

  describe('errors', () => {
    it('answers a job token on the group endpoint with REGISTRY_AUTH_FAILED', async () => {
      const lister = createCatalogLister(settings({ credentials: { tokenEnv: 'CI_JOB_TOKEN' } }), {
        env: { CI_JOB_TOKEN: JOB_TOKEN },
      });
      expect((await rejectionOf(collect(lister.listRepositories()))).code).toBe('REGISTRY_AUTH_FAILED');
    });

    it('answers an unknown group with REGISTRY_NOT_FOUND, and an unknown repository too', async () => {
      const lister = createCatalogLister(settings({ groups: ['nope'] }), { env });
      expect((await rejectionOf(collect(lister.listRepositories()))).code).toBe('REGISTRY_NOT_FOUND');
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env }).listImages('fixtures/nope')),
      );
      expect(err.code).toBe('REGISTRY_NOT_FOUND');
    });

    it('skips a tag deleted between the list and its details', async () => {
      const lister = createCatalogLister(settings(), { env });
      await collect(lister.listRepositories());
      fake.reset();
      // tag list first page (Link-only), then a 404 for the first tag's details, then the rest as usual.
      const images: string[] = [];
      const it = lister.listImages('fixtures/debian')[Symbol.asyncIterator]();
      const first = await it.next();
      images.push(String((first.value as { tag?: string } | undefined)?.tag));
      fake.failNext({ status: 404, body: { message: '404 Tag Not Found' } });
      for (let r = await it.next(); !r.done; r = await it.next()) images.push(String(r.value.tag));
      expect(images).toEqual(['min']);
    });

    testScriptedFailures({
      fake: () => fake,
      list: (extras) => createCatalogLister(settings(), { env, ...extras }).listRepositories(),
      wrongCredentials: {
        env: { GITLAB_TOKEN: 'glpat-wrong' },
        secret: 'glpat-wrong',
        mentions: ['401 from gitlab-self', 'GITLAB_TOKEN'],
      },
      forbidden: { reply: { status: 403, body: { message: '403 Forbidden' } } },
      retryAfter: {
        reply: { status: 429, headers: { 'retry-after': '5' }, body: { message: 'Retry later' } },
        waitMs: 5000,
        expected: () => repos.length,
      },
      rateLimited: {
        reply: { status: 429, body: { message: 'Retry later' } },
        times: 2,
        maxRetries: 1,
        requests: 2,
      },
      malformed: { body: '<html>proxy error</html>' },
    });

    it('reports a bad X-Next-Page as REGISTRY_API_ERROR', async () => {
      fake.failNext({
        status: 200,
        headers: { 'x-next-page': 'soon' },
        body: [{ id: 1, project_id: 2, path: 'a/b' }],
      });
      expect(
        (await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()))).code,
      ).toBe('REGISTRY_API_ERROR');
    });

    it('stops pagination that points back at a page it already read', async () => {
      const page = { headers: { 'x-next-page': '1' }, body: [{ id: 1, project_id: 2, path: 'a/b' }] };
      fake.failNext(page, 2);
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
      expect(err.message).toContain('pagination loops');
      expect(fake.requests).toHaveLength(1);
    });

    it('refuses a next Link to another origin', async () => {
      fake.failNext({
        status: 200,
        headers: {
          link: '<https://evil.example/api/v4/groups/fixtures/registry/repositories?page=2>; rel="next"',
        },
        body: [{ id: 1, project_id: 2, path: 'a/b' }],
      });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.message).toContain('another origin');
    });

    it('needs groups or projects', () => {
      expect(() => createCatalogLister(settings({ groups: undefined }), { env })).toThrow(
        expect.objectContaining({ code: 'USAGE_INVALID' }),
      );
    });
  });
});
