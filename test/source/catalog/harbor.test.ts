/**
 * Harbor v2.0 lister against a loopback fake built from goharbor/harbor `api/v2.0/swagger.yaml`: Basic
 * auth (robot account), `page`/`page_size` (max 100) with `X-Total-Count` and `Link`, repository names
 * `project/repo` with the in-project part encoded twice in paths, artifacts with `tags[]` and `push_time`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCatalogLister,
  createRegistryClient,
  openImage,
  type RegistrySettings,
} from '../../../core/src/source/index.js';
import { Agent, type Dispatcher } from 'undici';
import { TEST_IMAGES, TEST_REGISTRY, skipReason } from '../../helpers/env.js';
import { makeTlsFiles } from '../registry-harness.js';
import { collect, createRecordingSleep, rejectionOf, startFake, type FakeServer } from './fake-server.js';
import { testScriptedFailures } from './scripted-failures.js';
import { readFixtureRepos, skipWithoutRegistry, type FixtureRepo } from './fixture-images.js';

import { USER, PASSWORD, env, createHarborHandler } from './harbor-fake.js';

let fake: FakeServer;
let repos: FixtureRepo[];
const settings = (over: Partial<RegistrySettings> = {}): RegistrySettings => ({
  name: 'harbor-prod',
  kind: 'harbor',
  url: fake.origin,
  registryHost: TEST_REGISTRY,
  credentials: { usernameEnv: 'HARBOR_USER', passwordEnv: 'HARBOR_PASSWORD' },
  ...over,
});

beforeAll(async () => {
  repos = await readFixtureRepos();
  fake = await startFake(createHarborHandler(repos));
});
beforeEach(() => fake.reset());
afterAll(async () => {
  await fake?.close();
});

describe('the harbor lister', () => {
  it('lists every repository of every project, following pages of 2 until X-Total-Count', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 2 });
    const names = await collect(lister.listRepositories());
    expect(names.sort()).toEqual([...repos.map((r) => r.path), 'team-a/app/web'].sort());
    const fixturePages = fake.requests
      .filter((r) => r.url.pathname === '/api/v2.0/projects/fixtures/repositories')
      .map((r) => r.url.searchParams.get('page'));
    expect(fixturePages).toEqual(['1', '2', '3']);
    await lister.close();
  });

  it('without X-Total-Count, follows pages while Link has rel="next"', async () => {
    const lister = createCatalogLister(settings({ projects: ['p'] }), { env, pageSize: 1 });
    fake.failNext({
      headers: { link: '</api/v2.0/projects/p/repositories?page=2&page_size=1>; rel="next"' },
      body: [{ name: 'p/one' }],
    });
    fake.failNext({
      headers: { link: '</api/v2.0/projects/p/repositories?page=1&page_size=1>; rel="prev"' },
      body: [{ name: 'p/two' }],
    });
    expect(await collect(lister.listRepositories())).toEqual(['p/one', 'p/two']);
    expect(fake.requests.map((r) => r.url.searchParams.get('page'))).toEqual(['1', '2']);
  });

  it('lists only the configured projects', async () => {
    const lister = createCatalogLister(settings({ projects: ['team-a'] }), { env });
    expect(await collect(lister.listRepositories())).toEqual(['team-a/app/web']);
  });

  it('gives one image per tag with digest and push_time, plus untagged artifacts by digest', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    const images = await collect(lister.listImages('fixtures/debian'));
    const debian = repos.find((r) => r.path === 'fixtures/debian')!;
    expect(images).toEqual([
      ...debian.tags.map((t) => ({
        registry: 'harbor-prod',
        repository: 'fixtures/debian',
        reference: `${TEST_REGISTRY}/fixtures/debian:${t.name}`,
        tag: t.name,
        digest: t.digest,
        updatedAt: new Date(t.updatedMs).toISOString(),
      })),
      {
        registry: 'harbor-prod',
        repository: 'fixtures/debian',
        reference: `${TEST_REGISTRY}/fixtures/debian@sha256:${'0f'.repeat(32)}`,
        digest: `sha256:${'0f'.repeat(32)}`,
        updatedAt: '2026-01-02T00:00:00.000Z',
      },
    ]);
  });

  it('encodes a nested repository name twice in the artifacts path (a%252Fb)', async () => {
    const lister = createCatalogLister(settings(), { env });
    const images = await collect(lister.listImages('team-a/app/web'));
    expect(images.map((i) => i.reference)).toContain(`${TEST_REGISTRY}/team-a/app/web:v2`);
    expect(fake.requests[0]!.rawUrl).toMatch(
      /^\/api\/v2\.0\/projects\/team-a\/repositories\/app%252Fweb\/artifacts\?/,
    );
  });

  it('keeps the API under a path prefix of url', async () => {
    const lister = createCatalogLister(settings({ url: `${fake.origin}/` }), { env });
    expect((await collect(lister.listRepositories())).length).toBe(repos.length + 1);
  });

  it.skipIf(skipWithoutRegistry())(
    'lists references the registry client pulls from the real registry',
    async () => {
      const lister = createCatalogLister(settings(), { env });
      const client = createRegistryClient({ env: {} });
      try {
        const tagged = (await collect(lister.listImages('fixtures/debian-v2s2'))).filter((i) => i.tag);
        expect(tagged).toHaveLength(2);
        for (const image of tagged) expect(await client.resolveDigest(image.reference)).toBe(image.digest);
        // No time in the config listing needed here, but resolveCreatedAt reads the pulled config's `created`.
        const layout = await openImage(`oci:${TEST_IMAGES}/oci:${tagged[0]!.tag as 'min' | 'multi'}`);
        await layout.close();
        expect(layout.meta.config.created).toBeDefined();
        expect(await lister.resolveCreatedAt(tagged[0]!)).toBe(
          new Date(layout.meta.config.created!).toISOString(),
        );
      } finally {
        await client.close();
      }
    },
  );

  describe('errors', () => {
    it('names an unset credential env var before sending anything', async () => {
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env: { HARBOR_USER: USER } }).listRepositories()),
      );
      expect(err).toMatchObject({ code: 'REGISTRY_AUTH_FAILED' });
      expect(err.message).toContain('HARBOR_PASSWORD');
      expect(fake.requests).toHaveLength(0);
    });

    it('answers 404 with REGISTRY_NOT_FOUND', async () => {
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env }).listImages('fixtures/nope')),
      );
      expect(err.code).toBe('REGISTRY_NOT_FOUND');
      expect(err.message).toContain('harbor-prod');
    });

    it('does not wait a Retry-After beyond the cap', async () => {
      const { sleep, waits } = createRecordingSleep();
      fake.failNext({ status: 429, headers: { 'retry-after': '3600' } });
      const err = await rejectionOf(
        collect(createCatalogLister(settings(), { env, sleep }).listRepositories()),
      );
      expect(err.code).toBe('REGISTRY_RATE_LIMITED');
      expect(err.message).toContain('3600 s');
      expect(waits).toEqual([]);
    });

    testScriptedFailures({
      fake: () => fake,
      list: (extras) => createCatalogLister(settings(), { env, ...extras }).listRepositories(),
      wrongCredentials: {
        env: { HARBOR_USER: USER, HARBOR_PASSWORD: 'wrong-pass-123' },
        secret: 'wrong-pass-123',
        mentions: ['401 from harbor-prod', 'HARBOR_USER and HARBOR_PASSWORD'],
      },
      forbidden: {
        reply: { status: 403, body: { errors: [{ code: 'FORBIDDEN', message: 'forbidden' }] } },
        mentions: '403 from harbor-prod',
      },
      retryAfter: {
        reply: {
          status: 429,
          headers: { 'retry-after': '7' },
          body: { errors: [{ code: 'TOO_MANY_REQUESTS' }] },
        },
        waitMs: 7000,
        list: (extras) => createCatalogLister(settings(), { env, ...extras }).listImages('fixtures/debian'),
        expected: () => 3,
      },
      // bounded: 10 scripted 429s, given up after the third attempt
      rateLimited: {
        reply: { status: 429, headers: { 'retry-after': '1' } },
        times: 10,
        maxRetries: 2,
        requests: 3,
        waits: [1000, 1000],
        mentions: 'harbor-prod',
      },
      malformed: { body: '[{"name": "fixtures"', mentions: '/api/v2.0/projects' },
    });

    it('reports a body of the wrong shape as REGISTRY_API_ERROR', async () => {
      fake.failNext({ status: 200, body: { projects: [] } });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
    });

    it('reports another status as REGISTRY_API_ERROR with the status', async () => {
      fake.failNext({ status: 418, body: { errors: [{ code: 'TEAPOT', message: 'short and stout' }] } });
      const err = await rejectionOf(collect(createCatalogLister(settings(), { env }).listRepositories()));
      expect(err.code).toBe('REGISTRY_API_ERROR');
      expect(err.message).toContain('418 from harbor-prod');
    });

    it('refuses plain HTTP to a host that is not loopback', async () => {
      const lister = createCatalogLister(settings({ url: 'http://harbor.invalid' }), { env });
      const err = await rejectionOf(collect(lister.listRepositories()));
      expect(err.code).toBe('REGISTRY_INSECURE_REFUSED');
    });
  });

  it('gives pull options with the Basic credentials from the env vars', async () => {
    const lister = createCatalogLister(settings(), { env });
    expect(await lister.resolvePullOptions()).toMatchObject({ username: USER, password: PASSWORD, env });
    const none = createCatalogLister(settings({ credentials: {} }), { env: {} });
    expect(await none.resolvePullOptions()).not.toHaveProperty('username');
  });

  it('sends every request through the injected dispatcher', async () => {
    const seen: string[] = [];
    class CountingAgent extends Agent {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        seen.push(String(options.path));
        return super.dispatch(options, handler);
      }
    }
    const dispatcher = new CountingAgent();
    try {
      const lister = createCatalogLister(settings(), { env, dispatcher, pageSize: 2 });
      await collect(lister.listRepositories());
      expect(seen.length).toBe(fake.requests.length);
      expect(seen.length).toBeGreaterThan(2);
    } finally {
      await dispatcher.close();
    }
  });

  it('reads Basic credentials from a docker config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portcullis-harbor-'));
    try {
      const config = join(dir, 'config.json');
      const host = new URL(fake.origin).host;
      await writeFile(
        config,
        JSON.stringify({
          auths: { [host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } },
        }),
      );
      const lister = createCatalogLister(settings({ credentials: { dockerConfig: config } }), { env: {} });
      expect((await collect(lister.listRepositories())).length).toBe(repos.length + 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops listing when the signal is aborted', async () => {
    const controller = new AbortController();
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    const seen: string[] = [];
    const err = await rejectionOf(
      (async () => {
        for await (const name of lister.listRepositories(controller.signal)) {
          seen.push(name);
          controller.abort();
        }
      })(),
    );
    expect(err.name).toBe('AbortError');
    expect(seen).toHaveLength(1);
  });

  const haveOpenssl = spawnSync('sh', ['-c', 'command -v openssl']).status === 0;
  describe.skipIf(!haveOpenssl && skipReason('openssl missing: no certificate for the TLS fake'))(
    'over TLS',
    () => {
      let dir: string;
      let tlsFake: FakeServer;
      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'portcullis-harbor-tls-'));
        await makeTlsFiles(dir);
        const tls = {
          key: await readFile(join(dir, 'server.key'), 'utf8'),
          cert: await readFile(join(dir, 'server.crt'), 'utf8'),
        };
        tlsFake = await startFake(createHarborHandler(repos), tls);
      });
      afterAll(async () => {
        await tlsFake?.close();
        if (dir) await rm(dir, { recursive: true, force: true });
      });

      it('lists over HTTPS when caCert names the CA', async () => {
        const lister = createCatalogLister(settings({ url: tlsFake.origin, caCert: join(dir, 'ca.crt') }), {
          env,
        });
        expect((await collect(lister.listRepositories())).length).toBe(repos.length + 1);
        await lister.close();
      });

      it('fails with REGISTRY_TLS without the CA, and does not fall back to plain HTTP', async () => {
        tlsFake.reset();
        const err = await rejectionOf(
          collect(createCatalogLister(settings({ url: tlsFake.origin }), { env }).listRepositories()),
        );
        expect(err.code).toBe('REGISTRY_TLS');
        expect(tlsFake.requests).toHaveLength(0);
      });

      it('says which caCert file it cannot read', () => {
        expect(() =>
          createCatalogLister(settings({ url: tlsFake.origin, caCert: join(dir, 'missing.crt') }), { env }),
        ).toThrow(
          expect.objectContaining({ code: 'USAGE_INVALID', message: expect.stringContaining('missing.crt') }),
        );
      });
    },
  );
});
