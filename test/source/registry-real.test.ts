import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRegistryClient,
  openImage,
  type ImageSource,
  type SourceOptions,
} from '../../core/src/source/index.js';
import { NO_IMAGES_REASON, TEST_IMAGES, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import { drain } from './image-builder.js';
import {
  haveRegistryTools,
  htpasswdAuth,
  makeTlsFiles,
  pushImage,
  startRegistry,
  startTokenServer,
  type RunningRegistry,
  type TokenServer,
} from './registry-harness.js';

const code = (c: string) => expect.objectContaining({ code: c });
const registryUp =
  spawnSync('curl', ['-fsS', '-o', '/dev/null', '--max-time', '3', `http://${TEST_REGISTRY}/v2/`]).status ===
  0;
const canRun = haveTestImages && haveRegistryTools;
const NO_TOOLS_REASON =
  'docker-registry, skopeo, htpasswd or openssl missing (scripts/test-images.sh installs them)';
const skipOwn = !canRun && skipReason(haveTestImages ? NO_TOOLS_REASON : NO_IMAGES_REASON);
const skipShared =
  !(haveTestImages && registryUp) &&
  skipReason(`no registry at ${TEST_REGISTRY}: run \`bash scripts/test-images.sh registry-start\``);

/** No ambient credentials: an empty env and an empty docker config. */
let scratch: string;
let base: SourceOptions;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'portcullis-realreg-'));
  await writeFile(join(scratch, 'empty-config.json'), '{}');
  base = { env: {}, dockerConfigPath: join(scratch, 'empty-config.json') };
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Opens, checks every layer stream verifies, closes; returns the metadata. */
async function openAndVerify(input: string, opts: SourceOptions): Promise<ImageSource['meta']> {
  const src = await openImage(input, opts);
  try {
    for (const layer of src.meta.layers) {
      expect((await drain(await src.openLayer(layer))).digest).toBe(layer.digest);
    }
    return src.meta;
  } finally {
    await src.close();
  }
}

async function layoutMeta(tag: 'min' | 'multi'): Promise<ImageSource['meta']> {
  const src = await openImage(`oci:${TEST_IMAGES}/oci:${tag}`);
  await src.close();
  return src.meta;
}

describe.skipIf(skipShared)(`the shared plain-HTTP registry at ${TEST_REGISTRY}`, () => {
  it.each(['fixtures/debian', 'fixtures/debian-v2s2'])(
    'serves %s:multi with the layout diffIds',
    async (repo) => {
      const meta = await openAndVerify(`${TEST_REGISTRY}/${repo}:multi`, base);
      const layout = await layoutMeta('multi');
      expect(meta.layers.map((l) => l.diffId)).toEqual(layout.layers.map((l) => l.diffId));
      expect(meta.ref).toBe(`${TEST_REGISTRY}/${repo}:multi`);
      expect(meta.digest).toMatch(/^sha256:/);
    },
  );

  it('gives the OCI push the same manifest and config digest as the layout', async () => {
    const meta = await openAndVerify(`registry:${TEST_REGISTRY}/fixtures/debian:min`, base);
    const layout = await layoutMeta('min');
    expect(meta.digest).toBe(layout.digest);
    expect(meta.configDigest).toBe(layout.configDigest);
  });

  it('resolves tags to the digest a GET verifies, and lists tags and the paginated catalog', async () => {
    const client = createRegistryClient(base);
    try {
      const ref = `${TEST_REGISTRY}/fixtures/debian-v2s2:min`;
      const digest = await client.resolveDigest(ref);
      expect((await client.getManifest(ref)).digest).toBe(digest);
      expect((await client.getManifest(`${TEST_REGISTRY}/fixtures/debian-v2s2@${digest}`)).mediaType).toBe(
        'application/vnd.docker.distribution.manifest.v2+json',
      );
      expect((await client.listTags(`${TEST_REGISTRY}/fixtures/debian`)).sort()).toEqual(
        expect.arrayContaining(['min', 'multi']),
      );
      const catalog = await client.listCatalog(TEST_REGISTRY, { pageSize: 1 });
      expect(catalog).toEqual(expect.arrayContaining(['fixtures/debian', 'fixtures/debian-v2s2']));
      expect((await client.ping(TEST_REGISTRY)).apiVersion).toBe('registry/2.0');
    } finally {
      await client.close();
    }
  });

  it('reports an unknown tag as REGISTRY_NOT_FOUND', async () => {
    await expect(openImage(`${TEST_REGISTRY}/fixtures/debian:no-such-tag`, base)).rejects.toThrow(
      code('REGISTRY_NOT_FOUND'),
    );
  });
});

describe.skipIf(skipOwn)('registries this suite starts', () => {
  describe('with htpasswd (Basic) auth', () => {
    let reg: RunningRegistry;
    beforeAll(async () => {
      const dir = await mkdtemp(join(scratch, 'htpasswd-'));
      reg = await startRegistry(dir, { auth: await htpasswdAuth(dir, 'alice', 's3cret-pass') });
      await pushImage('min', `${reg.host}/team/app:min`, 'alice:s3cret-pass');
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it('pulls with username/password and every layer verifies', async () => {
      const meta = await openAndVerify(`${reg.host}/team/app:min`, {
        ...base,
        username: 'alice',
        password: 's3cret-pass',
      });
      expect(meta.configDigest).toBe((await layoutMeta('min')).configDigest);
    });

    it('pulls with $PORTCULLIS_REGISTRY_AUTH', async () => {
      const src = await openImage(`${reg.host}/team/app:min`, {
        ...base,
        env: { PORTCULLIS_REGISTRY_AUTH: 'alice:s3cret-pass' },
      });
      await src.close();
      expect(src.meta.layers).toHaveLength(1);
    });

    it('pulls with a docker config.json auths entry', async () => {
      const config = join(scratch, 'docker-config.json');
      await writeFile(
        config,
        JSON.stringify({
          auths: { [reg.host]: { auth: Buffer.from('alice:s3cret-pass').toString('base64') } },
        }),
      );
      const src = await openImage(`${reg.host}/team/app:min`, { ...base, dockerConfigPath: config });
      await src.close();
      expect(src.meta.layers).toHaveLength(1);
    });

    it('fails with REGISTRY_UNAUTHORIZED without or with wrong credentials', async () => {
      await expect(openImage(`${reg.host}/team/app:min`, base)).rejects.toThrow(
        code('REGISTRY_UNAUTHORIZED'),
      );
      const err = await openImage(`${reg.host}/team/app:min`, {
        ...base,
        username: 'alice',
        password: 'wrong-pw-xyz',
      }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect(String(err?.message)).not.toContain('wrong-pw-xyz');
    });
  });

  describe('with token (Bearer) auth', () => {
    let reg: RunningRegistry;
    let tokens: TokenServer;
    beforeAll(async () => {
      const dir = await mkdtemp(join(scratch, 'token-'));
      tokens = await startTokenServer(dir, 'bob', 'tok-pass');
      reg = await startRegistry(dir, { auth: tokens.authYaml });
      await pushImage('min', `${reg.host}/team/svc:min`, 'bob:tok-pass');
    });
    afterAll(async () => {
      await reg?.stop();
      await tokens?.stop();
    });

    it('gets a scoped token from the realm and pulls; the layers verify', async () => {
      tokens.requests.length = 0;
      const meta = await openAndVerify(`${reg.host}/team/svc:min`, {
        ...base,
        username: 'bob',
        password: 'tok-pass',
      });
      expect(meta.configDigest).toBe((await layoutMeta('min')).configDigest);
      expect(
        tokens.requests.some((r) => r.user === 'bob' && r.scopes.includes('repository:team/svc:pull')),
      ).toBe(true);
    });

    it('lists tags and the catalog with tokens for their scopes', async () => {
      const client = createRegistryClient({ ...base, username: 'bob', password: 'tok-pass' });
      try {
        expect(await client.listTags(`${reg.host}/team/svc`)).toEqual(['min']);
        expect(await client.listCatalog(reg.host)).toEqual(['team/svc']);
      } finally {
        await client.close();
      }
    });

    it('fails with REGISTRY_UNAUTHORIZED anonymously and with a wrong password, in a bounded number of tries', async () => {
      tokens.requests.length = 0;
      await expect(openImage(`${reg.host}/team/svc:min`, base)).rejects.toThrow(
        code('REGISTRY_UNAUTHORIZED'),
      );
      expect(tokens.requests.length).toBeGreaterThan(0);
      expect(tokens.requests.length).toBeLessThanOrEqual(2);
      await expect(
        openImage(`${reg.host}/team/svc:min`, { ...base, username: 'bob', password: 'nope' }),
      ).rejects.toThrow(code('REGISTRY_UNAUTHORIZED'));
    });
  });

  describe('with TLS', () => {
    let reg: RunningRegistry;
    let caCert: string;
    beforeAll(async () => {
      const dir = await mkdtemp(join(scratch, 'tls-'));
      const tls = await makeTlsFiles(dir);
      caCert = tls.caCert;
      reg = await startRegistry(dir, { tls: tls.tlsYaml });
      await pushImage('min', `${reg.host}/secure/app:min`);
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it('pulls over HTTPS when the CA is given, and the layers verify', async () => {
      const meta = await openAndVerify(`${reg.host}/secure/app:min`, { ...base, caCert });
      expect(meta.configDigest).toBe((await layoutMeta('min')).configDigest);
      const client = createRegistryClient({ ...base, caCert });
      try {
        expect((await client.ping(reg.host)).origin).toBe(`https://${reg.host}`);
      } finally {
        await client.close();
      }
    });

    it('fails with REGISTRY_TLS without the CA (and does not fall back to plain HTTP)', async () => {
      await expect(openImage(`${reg.host}/secure/app:min`, base)).rejects.toThrow(code('REGISTRY_TLS'));
    });
  });
});
