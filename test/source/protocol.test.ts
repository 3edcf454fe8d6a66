import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRegistryClient,
  isAttestation,
  isLoopbackHost,
  isPlatformMatch,
  parseManifestDocument,
  parsePlatform,
  selectPlatform,
  type ImageIndex,
} from '../../core/src/source/index.js';
import { parseChallenges } from '../../core/src/source/registry/auth.js';
import { toRegistryKey } from '../../core/src/source/registry/credentials.js';
import { parseNextLink } from '../../core/src/source/registry/link.js';

const code = (c: string) => expect.objectContaining({ code: c });
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('parseChallenges', () => {
  it('reads Bearer parameters including a quoted scope with spaces and commas', () => {
    const [c] = parseChallenges(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    );
    expect(c).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:samalba/my-app:pull,push',
      },
    });
  });

  it('reads several challenges in one header and across headers', () => {
    const out = parseChallenges(['Basic realm="a", Bearer realm="b",error="invalid_token"', 'Negotiate']);
    expect(out.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate']);
    expect(out[1]!.params).toEqual({ realm: 'b', error: 'invalid_token' });
  });
});

describe('parseNextLink', () => {
  const base = new URL('http://127.0.0.1:5000/v2/_catalog?n=2');
  it('resolves distribution-style relative links', () => {
    expect(parseNextLink('</v2/_catalog?last=b&n=2>; rel="next"', base, 'x')).toBe('/v2/_catalog?last=b&n=2');
  });
  it('ignores other relations and returns undefined without a next link', () => {
    expect(parseNextLink('</v2/x?p=1>; rel="prev"', base, 'x')).toBeUndefined();
    expect(parseNextLink(undefined, base, 'x')).toBeUndefined();
  });
  it('refuses a link to another origin', () => {
    expect(() => parseNextLink('<http://127.0.0.1:6000/v2/_catalog>; rel=next', base, 'x')).toThrow(
      code('REGISTRY_PROTOCOL'),
    );
  });
});

describe('toRegistryKey', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['http://127.0.0.1:5000', '127.0.0.1:5000'],
    ['ghcr.io/some/path', 'ghcr.io'],
  ])('maps %s to %s', (key, expected) => expect(toRegistryKey(key)).toBe(expected));
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1:5000', true],
    ['127.9.8.7', true],
    ['localhost:80', true],
    ['[::1]:5000', true],
    ['128.0.0.1', false],
    ['registry.example.com', false],
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (host, expected) => expect(isLoopbackHost(host)).toBe(expected));
});

describe('platform selection', () => {
  const index: ImageIndex = {
    kind: 'index',
    manifests: [
      {
        digest: D('a'),
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
      { digest: D('b'), platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { digest: D('c'), platform: { os: 'linux', architecture: 'arm64' } },
      { digest: D('d'), platform: { os: 'linux', architecture: 'amd64' } },
      { digest: D('e'), platform: { os: 'linux', architecture: 'amd64', variant: 'v3' } },
    ],
  };

  it('takes the first match and skips attestations', () => {
    expect(selectPlatform(index, parsePlatform('linux/amd64'), 'i').digest).toBe(D('d'));
    expect(isAttestation(index.manifests[0]!)).toBe(true);
  });

  it('treats arm64 without a variant as v8, and matches variants exactly', () => {
    expect(selectPlatform(index, parsePlatform('linux/arm64/v8'), 'i').digest).toBe(D('c'));
    expect(selectPlatform(index, parsePlatform('linux/amd64/v3'), 'i').digest).toBe(D('e'));
    expect(
      isPlatformMatch(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' }),
    ).toBe(false);
    expect(() => selectPlatform(index, parsePlatform('linux/arm/v7'), 'i')).toThrow(
      code('SOURCE_PLATFORM_NOT_FOUND'),
    );
  });

  it('never falls back to an attestation that carries no platform', () => {
    const bare: ImageIndex = {
      kind: 'index',
      manifests: [
        { digest: D('1'), annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
        { digest: D('2') },
      ],
    };
    expect(selectPlatform(bare, parsePlatform('linux/amd64'), 'i').digest).toBe(D('2'));
    const onlyAttestation: ImageIndex = { kind: 'index', manifests: [bare.manifests[0]!] };
    expect(() => selectPlatform(onlyAttestation, parsePlatform('linux/amd64'), 'i')).toThrow(
      code('SOURCE_PLATFORM_NOT_FOUND'),
    );
  });

  it('refuses malformed platform strings', () => {
    expect(() => parsePlatform('linux')).toThrow(code('SOURCE_REFERENCE_INVALID'));
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(code('SOURCE_REFERENCE_INVALID'));
  });
});

describe('parseManifestDocument', () => {
  it('lists every problem of an invalid manifest at once', () => {
    const bad = Buffer.from(
      JSON.stringify({
        schemaVersion: 3,
        config: { digest: 'md5:x' },
        layers: [{ digest: D('a'), size: -1 }, 7],
      }),
    );
    try {
      parseManifestDocument(bad, 'application/vnd.oci.image.manifest.v1+json', 'm');
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'SOURCE_MANIFEST_INVALID' });
      const paths = (err as { problems: { path: string }[] }).problems.map((p) => p.path);
      expect(paths).toEqual(['/schemaVersion', '/config/digest', '/layers/0/size', '/layers/1']);
    }
  });

  it('refuses artifacts whose config is not an image config', () => {
    const helm = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: D('a'), size: 1 },
        layers: [],
      }),
    );
    expect(() => parseManifestDocument(helm, undefined, 'm')).toThrow(code('SOURCE_MANIFEST_UNSUPPORTED'));
  });

  it('reads a Docker manifest list as an index and a Docker v2 manifest as a manifest', () => {
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [{ digest: D('a'), size: 1, platform: { os: 'linux', architecture: 'amd64' } }],
      }),
    );
    expect(
      parseManifestDocument(list, 'application/vnd.docker.distribution.manifest.list.v2+json', 'l').kind,
    ).toBe('index');
    const v2 = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: D('b'), size: 2 },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: D('c'), size: 3 }],
      }),
    );
    const doc = parseManifestDocument(v2, undefined, 'm');
    expect(doc.kind === 'manifest' && doc.layers[0]!.digest).toBe(D('c'));
  });

  it('keeps unknown media types of index entries', () => {
    const idx = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: 'application/x-future', digest: D('f'), size: 3 }],
      }),
    );
    const doc = parseManifestDocument(idx, 'application/vnd.oci.image.index.v1+json', 'i');
    expect(doc.kind === 'index' && doc.manifests[0]!.mediaType).toBe('application/x-future');
  });
});

describe('plain HTTP to hosts that are not loopback', () => {
  // An injected dispatcher resolves every name to loopback, so "registry.test" stands for a remote host.
  let server: Server;
  let port: number;
  const dispatcher = new Agent({
    connect: {
      lookup: (_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
        opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
    } as never,
  });
  beforeAll(async () => {
    server = createServer((_req, res) =>
      res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await dispatcher.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is refused unless the host is listed as insecure (REGISTRY_INSECURE_REFUSED)', async () => {
    const strict = createRegistryClient({ env: {}, dispatcher });
    await expect(strict.ping(`registry.test:${port}`)).rejects.toThrow(code('REGISTRY_INSECURE_REFUSED'));
    await strict.close();
  });

  it('is used for a host in insecureRegistries whose server does not speak TLS', async () => {
    const lenient = createRegistryClient({
      env: {},
      dispatcher,
      insecureRegistries: [`registry.test:${port}`],
    });
    expect(await lenient.ping(`registry.test:${port}`)).toEqual({
      origin: `http://registry.test:${port}`,
      apiVersion: 'registry/2.0',
    });
    await lenient.close();
  });
});
