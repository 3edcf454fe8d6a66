/**
 * The distribution lister against real registries: the shared loopback one (`fixtures/…`), and a
 * `docker-registry` with htpasswd auth started here and filled with skopeo, listed one entry per page so
 * every page is reached through the registry's own relative `Link` headers. A loopback fake covers what a
 * real registry will not do on demand (429, a malformed body).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogLister, openImage, type RegistrySettings } from '../../../core/src/source/index.js';
import {
  NO_IMAGES_REASON,
  TEST_IMAGES,
  TEST_REGISTRY,
  haveTestImages,
  skipReason,
} from '../../helpers/env.js';
import {
  haveRegistryTools,
  htpasswdAuth,
  pushImage,
  startRegistry,
  type RunningRegistry,
} from '../registry-harness.js';
import { collect, rejectionOf, startFake, type FakeServer } from './fake-server.js';
import { testScriptedFailures } from './scripted-failures.js';
import { skipWithoutRegistry } from './fixture-images.js';

/** The config `created` of a layout tag, read independently of any registry. */
async function layoutCreated(tag: 'min' | 'multi'): Promise<string | undefined> {
  const src = await openImage(`oci:${TEST_IMAGES}/oci:${tag}`);
  await src.close();
  return src.meta.config.created;
}

describe.skipIf(skipWithoutRegistry())(
  `the distribution lister on the shared registry ${TEST_REGISTRY}`,
  () => {
    const settings: RegistrySettings = {
      name: 'local',
      kind: 'distribution',
      url: `http://${TEST_REGISTRY}`,
    };

    it('lists the catalog one repository per page through Link headers', async () => {
      const lister = createCatalogLister(settings, { env: {}, pageSize: 1 });
      expect(await collect(lister.listRepositories())).toEqual(
        expect.arrayContaining(['fixtures/debian', 'fixtures/debian-v2s2']),
      );
      await lister.close();
    });

    it('lists tags as pull references with no time, and resolves createdAt lazily from the config', async () => {
      const lister = createCatalogLister(settings, { env: {}, pageSize: 1 });
      const images = (await collect(lister.listImages('fixtures/debian-v2s2'))).sort((a, b) =>
        a.reference.localeCompare(b.reference),
      );
      expect(images).toEqual(
        ['min', 'multi'].map((tag) => ({
          registry: 'local',
          repository: 'fixtures/debian-v2s2',
          reference: `${TEST_REGISTRY}/fixtures/debian-v2s2:${tag}`,
          tag,
        })),
      );
      const expected = await layoutCreated('multi');
      expect(expected).toMatch(/^\d{4}-/);
      const created = await lister.resolveCreatedAt(images[1]!);
      expect(created).toBe(new Date(expected!).toISOString());
      await lister.close();
    });

    it('answers an unknown repository with REGISTRY_NOT_FOUND naming the registry', async () => {
      const lister = createCatalogLister(settings, { env: {} });
      const err = await rejectionOf(collect(lister.listImages('fixtures/does-not-exist')));
      expect(err.code).toBe('REGISTRY_NOT_FOUND');
      expect(err.message).toContain('local');
    });
  },
);

const canRunOwn = haveTestImages && haveRegistryTools;
describe.skipIf(
  !canRunOwn &&
    skipReason(haveTestImages ? 'docker-registry, skopeo, htpasswd or openssl missing' : NO_IMAGES_REASON),
)('the distribution lister on a registry with Basic auth started here', () => {
  let scratch: string;
  let reg: RunningRegistry;
  const env = { REG_USER: 'carol', REG_PASSWORD: 'catalog-pass-1' };
  const settings = (): RegistrySettings => ({
    name: 'own',
    kind: 'distribution',
    url: `http://${reg.host}`,
    credentials: { usernameEnv: 'REG_USER', passwordEnv: 'REG_PASSWORD' },
  });

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'portcullis-catalog-'));
    reg = await startRegistry(scratch, { auth: await htpasswdAuth(scratch, env.REG_USER, env.REG_PASSWORD) });
    const creds = `${env.REG_USER}:${env.REG_PASSWORD}`;
    for (const dest of ['team/a:min', 'team/b:min', 'team/c:min'])
      await pushImage('min', `${reg.host}/${dest}`, creds);
    await pushImage('multi', `${reg.host}/team/a:multi`, creds);
  }, 300_000);
  afterAll(async () => {
    await reg?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('lists every repository and tag with credentials from the env vars, one per page', async () => {
    const lister = createCatalogLister(settings(), { env, pageSize: 1 });
    expect(await collect(lister.listRepositories())).toEqual(['team/a', 'team/b', 'team/c']);
    const images = (await collect(lister.listImages('team/a'))).sort((a, b) =>
      a.reference.localeCompare(b.reference),
    );
    expect(images.map((i) => i.reference)).toEqual([`${reg.host}/team/a:min`, `${reg.host}/team/a:multi`]);
    expect(await lister.resolveCreatedAt(images[0]!)).toBe(
      new Date((await layoutCreated('min'))!).toISOString(),
    );
    await lister.close();
  });

  it('fails with REGISTRY_AUTH_FAILED naming the env vars, without the password', async () => {
    const lister = createCatalogLister(settings(), { env: { ...env, REG_PASSWORD: 'wrong-pass-77' } });
    const err = await rejectionOf(collect(lister.listRepositories()));
    expect(err.code).toBe('REGISTRY_AUTH_FAILED');
    expect(err.message).toContain('401 from own');
    expect(err.message).toContain('REG_USER and REG_PASSWORD');
    expect(err.message).not.toContain('wrong-pass-77');
    const err2 = await rejectionOf(collect(createCatalogLister(settings(), { env: {} }).listRepositories()));
    expect(err2.code).toBe('REGISTRY_AUTH_FAILED');
    expect(err2.message).toContain('REG_USER');
  });
});

describe('the distribution lister against a fake', () => {
  let fake: FakeServer;
  let fail = false;
  beforeAll(async () => {
    fake = await startFake((req) => {
      if (req.url.pathname === '/v2/') return { body: {} };
      if (req.url.pathname === '/v2/_catalog') {
        // A relative Link with the next `last`, as distribution builds it.
        if (!req.url.searchParams.has('last'))
          return {
            headers: { link: '</v2/_catalog?last=a&n=1>; rel="next"' },
            body: { repositories: ['a'] },
          };
        return { body: { repositories: ['b'] } };
      }
      return {
        status: 404,
        body: { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] },
      };
    });
  });
  beforeEach(() => {
    fake.reset();
    fail = false;
  });
  afterAll(async () => {
    await fake?.close();
  });
  const settings = (): RegistrySettings => ({ name: 'fake-dist', kind: 'distribution', url: fake.origin });

  it('follows a relative Link resolved against the base', async () => {
    expect(await collect(createCatalogLister(settings(), { env: {} }).listRepositories())).toEqual([
      'a',
      'b',
    ]);
    expect(
      fake.requests
        .filter((r) => r.url.pathname === '/v2/_catalog')
        .map((r) => r.url.searchParams.get('last')),
    ).toEqual([null, 'a']);
    expect(fail).toBe(false);
  });

  testScriptedFailures({
    fake: () => fake,
    list: (extras) => createCatalogLister(settings(), { env: {}, ...extras }).listRepositories(),
    retryAfter: {
      reply: { status: 429, headers: { 'retry-after': '4' } },
      waitMs: 4000,
      expected: () => ['a', 'b'],
    },
    rateLimited: { reply: { status: 429 }, times: 3, maxRetries: 2, mentions: 'fake-dist' },
    malformed: { body: '{"repositories": [', mentions: 'fake-dist' },
  });
});
