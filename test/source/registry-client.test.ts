import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createRegistryClient,
  openImage,
  type ProgressEvent,
  type RegistryClient,
} from '../../core/src/source/index.js';
import { freePort } from '../helpers/free-port.js';
import { drain, makeImage, ociManifest, sha256, type SyntheticImage } from './image-builder.js';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

/** A loopback HTTP server whose behaviour each test sets, recording every request. */
let server: Server;
let host: string;
let handler: Handler = (_req, res) => res.writeHead(404).end();
const requests: { method: string; path: string; authorization?: string }[] = [];
let scratch: string;
let img: SyntheticImage;
const clients: RegistryClient[] = [];

beforeAll(async () => {
  img = await makeImage();
  scratch = await mkdtemp(join(tmpdir(), 'portcullis-reg-'));
  await writeFile(join(scratch, 'empty.json'), '{}');
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const entry: (typeof requests)[number] = { method: req.method ?? '', path: url.pathname + url.search };
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    requests.push(entry);
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  requests.length = 0;
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(scratch, { recursive: true, force: true });
});

function client(opts: Parameters<typeof createRegistryClient>[0] = {}): RegistryClient {
  const c = createRegistryClient({ env: {}, dockerConfigPath: join(scratch, 'empty.json'), ...opts });
  clients.push(c);
  return c;
}

const code = (c: string) => expect.objectContaining({ code: c });
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const apiRequests = () => requests.filter((r) => r.path.startsWith('/v2/') && r.path !== '/v2/');

function serveManifest(res: ServerResponse, body: Buffer, type = OCI_MANIFEST, digest = sha256(body)): void {
  res.writeHead(200, {
    'content-type': type,
    'docker-content-digest': digest,
    'content-length': body.length,
  });
  res.end(body);
}

describe('createRegistryClient', () => {
  describe('#ping', () => {
    it('reaches a plain-HTTP loopback registry after its HTTPS probe fails', async () => {
      handler = (_req, res) =>
        res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}');
      const result = await client().ping(host);
      expect(result).toEqual({ origin: `http://${host}`, apiVersion: 'registry/2.0' });
    });
  });

  describe('#getManifest', () => {
    it('sends an explicit Accept header and ignores Content-Type parameters', async () => {
      const body = ociManifest(img);
      let accept = '';
      handler = (req, res) => {
        accept = String(req.headers.accept);
        serveManifest(res, body, `${OCI_MANIFEST}; charset=utf-8`);
      };
      const m = await client().getManifest(`${host}/app:1`);
      expect(m.mediaType).toBe(OCI_MANIFEST);
      expect(m.digest).toBe(sha256(body));
      expect(m.document.kind).toBe('manifest');
      for (const t of ['oci.image.index', 'oci.image.manifest', 'manifest.list.v2', 'manifest.v2+json']) {
        expect(accept).toContain(t);
      }
    });

    it('refuses a body that does not match Docker-Content-Digest (SOURCE_DIGEST_MISMATCH)', async () => {
      const body = ociManifest(img);
      handler = (_req, res) => serveManifest(res, body, OCI_MANIFEST, sha256('something else'));
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(code('SOURCE_DIGEST_MISMATCH'));
    });

    it('refuses a body that does not match the digest it was pulled by', async () => {
      const body = ociManifest(img);
      handler = (_req, res) => serveManifest(res, body, OCI_MANIFEST, 'sha256:' + 'a'.repeat(64));
      await expect(client().getManifest(`${host}/app@sha256:${'a'.repeat(64)}`)).rejects.toThrow(
        code('SOURCE_DIGEST_MISMATCH'),
      );
    });

    it('refuses schema 1 (SOURCE_MANIFEST_UNSUPPORTED)', async () => {
      const body = Buffer.from('{"schemaVersion":1,"name":"app","fsLayers":[]}');
      handler = (_req, res) =>
        serveManifest(res, body, 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(
        code('SOURCE_MANIFEST_UNSUPPORTED'),
      );
    });

    it('caps manifest size (SOURCE_LIMIT_EXCEEDED)', async () => {
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(5000) }));
      handler = (_req, res) => serveManifest(res, body);
      await expect(client({ limits: { maxJsonBytes: 1024 } }).getManifest(`${host}/app:1`)).rejects.toThrow(
        code('SOURCE_LIMIT_EXCEEDED'),
      );
    });

    it.each([
      [403, 'REGISTRY_DENIED'],
      [404, 'REGISTRY_NOT_FOUND'],
      [418, 'REGISTRY_PROTOCOL'],
    ])('maps status %i to %s', async (status, expected) => {
      handler = (_req, res) =>
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end('{"errors":[{"code":"X","message":"no"}]}');
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(code(expected));
    });
  });

  describe('when the registry keeps failing', () => {
    it('gives up on 500 after a bounded number of retries (REGISTRY_UNAVAILABLE)', async () => {
      handler = (_req, res) => res.writeHead(500).end('boom');
      await expect(client({ limits: { maxRetries: 2 } }).getManifest(`${host}/app:1`)).rejects.toThrow(
        code('REGISTRY_UNAVAILABLE'),
      );
      expect(apiRequests()).toHaveLength(3);
    });

    it('gives up on a port nobody listens on (REGISTRY_UNAVAILABLE)', async () => {
      const closed = `127.0.0.1:${await freePort()}`;
      await expect(client({ limits: { maxRetries: 1 } }).ping(closed)).rejects.toThrow(
        code('REGISTRY_UNAVAILABLE'),
      );
    });

    it('recovers when a 503 is followed by success', async () => {
      const body = ociManifest(img);
      let calls = 0;
      handler = (_req, res) => (calls++ === 0 ? res.writeHead(503).end() : serveManifest(res, body));
      const m = await client().getManifest(`${host}/app:1`);
      expect(m.digest).toBe(sha256(body));
      expect(apiRequests()).toHaveLength(2);
    });

    it('stops answering a Basic 401 forever (REGISTRY_UNAUTHORIZED) and never shows the password', async () => {
      handler = (_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      const err: Error = await client({ username: 'u', password: 'hunter2-secret' })
        .getManifest(`${host}/app:1`)
        .then(
          () => new Error('resolved'),
          (e: unknown) => e as Error,
        );
      expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
      expect(JSON.stringify({ m: err.message, s: err.stack })).not.toContain('hunter2-secret');
      expect(apiRequests().length).toBeLessThanOrEqual(3);
    });

    it('stops when a Bearer token is never accepted (REGISTRY_UNAUTHORIZED)', async () => {
      handler = (_req, res, url) => {
        if (url.pathname === '/token') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t0k","expires_in":300}');
          return;
        }
        res
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://${host}/token",service="svc",scope="repository:app:pull"`,
          })
          .end();
      };
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(code('REGISTRY_UNAUTHORIZED'));
      expect(requests.filter((r) => r.path.startsWith('/token')).length).toBeLessThanOrEqual(2);
      expect(apiRequests().length).toBeLessThanOrEqual(3);
    });

    it('fails with REGISTRY_UNAUTHORIZED when Basic auth is required and no credentials exist', async () => {
      handler = (_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(code('REGISTRY_UNAUTHORIZED'));
    });

    it('refuses a token realm over plain HTTP to a non-loopback host (REGISTRY_INSECURE_REFUSED)', async () => {
      handler = (_req, res) =>
        res
          .writeHead(401, { 'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="s"' })
          .end();
      await expect(client().getManifest(`${host}/app:1`)).rejects.toThrow(code('REGISTRY_INSECURE_REFUSED'));
    });
  });

  describe('credentials', () => {
    const expectBasic = (user: string, pass: string) =>
      `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    const basicOnly =
      (wanted: string): Handler =>
      (req, res, url) => {
        if (req.headers.authorization !== wanted) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
          return;
        }
        if (url.pathname === '/v2/') res.writeHead(200).end('{}');
        else serveManifest(res, ociManifest(img));
      };

    it('come from username/password options', async () => {
      handler = basicOnly(expectBasic('alice', 'pw1'));
      await expect(
        client({ username: 'alice', password: 'pw1' }).getManifest(`${host}/app:1`),
      ).resolves.toBeDefined();
    });

    it('come from $PORTCULLIS_REGISTRY_AUTH', async () => {
      handler = basicOnly(expectBasic('bob', 'p:w2'));
      const c = client({ env: { PORTCULLIS_REGISTRY_AUTH: 'bob:p:w2' } });
      await expect(c.getManifest(`${host}/app:1`)).resolves.toBeDefined();
    });

    it('come from a docker config.json auths entry for the registry', async () => {
      handler = basicOnly(expectBasic('carol', 'pw3'));
      const config = join(scratch, 'config.json');
      const auth = Buffer.from('carol:pw3').toString('base64');
      await writeFile(
        config,
        JSON.stringify({ auths: { [`http://${host}`]: { auth }, 'other.io': { auth: 'eDp5' } } }),
      );
      await expect(client({ dockerConfigPath: config }).getManifest(`${host}/app:1`)).resolves.toBeDefined();
    });
  });

  describe('#openBlob', () => {
    it('fails the stream when blob bytes do not match the digest (SOURCE_DIGEST_MISMATCH)', async () => {
      handler = (_req, res) => res.writeHead(200).end(Buffer.from('not the layer'));
      const stream = await client().openBlob(`${host}/app`, sha256(img.layerGz));
      await expect(drain(stream)).rejects.toThrow(code('SOURCE_DIGEST_MISMATCH'));
    });

    it('follows a relative 307 redirect without sending registry credentials on', async () => {
      const digest = sha256(img.layerGz);
      handler = (req, res, url) => {
        if (url.pathname.startsWith('/storage/')) {
          res.writeHead(200).end(img.layerGz);
        } else if (req.headers.authorization === undefined) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
        } else {
          res.writeHead(307, { location: `/storage/${digest.slice(7)}?sig=abc` }).end();
        }
      };
      const stream = await client({ username: 'u', password: 'p' }).openBlob(`${host}/app`, digest, {
        size: img.layerGz.length,
      });
      expect(await drain(stream)).toEqual({ digest, bytes: img.layerGz.length });
      const storage = requests.find((r) => r.path.startsWith('/storage/'));
      expect(storage).toBeDefined();
      expect(storage!.authorization).toBeUndefined();
    });

    it('stops after too many redirects (REGISTRY_PROTOCOL)', async () => {
      handler = (_req, res, url) => res.writeHead(302, { location: `${url.pathname}x` }).end();
      await expect(client().openBlob(`${host}/app`, sha256('x'))).rejects.toThrow(code('REGISTRY_PROTOCOL'));
    });

    it('refuses a redirect to plain HTTP on a non-loopback host (REGISTRY_INSECURE_REFUSED)', async () => {
      handler = (_req, res) => res.writeHead(307, { location: 'http://storage.example.com/blob' }).end();
      await expect(client().openBlob(`${host}/app`, sha256('x'))).rejects.toThrow(
        code('REGISTRY_INSECURE_REFUSED'),
      );
    });
  });

  describe('listing', () => {
    const pages =
      (all: string[], field: 'tags' | 'repositories', base: string): Handler =>
      (_req, res, url) => {
        const last = url.searchParams.get('last');
        const start = last === null ? 0 : all.indexOf(last) + 1;
        const page = all.slice(start, start + 2);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (start + 2 < all.length) headers.link = `<${base}?last=${page[page.length - 1]}&n=2>; rel="next"`;
        res.writeHead(200, headers).end(JSON.stringify({ name: 'app', [field]: page }));
      };

    it('follows relative Link headers across pages of tags', async () => {
      const tags = ['a', 'b', 'c', 'd', 'e'];
      handler = pages(tags, 'tags', '/v2/app/tags/list');
      expect(await client().listTags(`${host}/app`, { pageSize: 2 })).toEqual(tags);
      expect(apiRequests()).toHaveLength(3);
    });

    it('follows Link headers across pages of the catalog', async () => {
      const repos = ['x/1', 'x/2', 'y/1', 'z/9'];
      handler = pages(repos, 'repositories', '/v2/_catalog');
      expect(await client().listCatalog(host, { pageSize: 2 })).toEqual(repos);
    });

    it('refuses a Link to another origin and a Link that loops (REGISTRY_PROTOCOL)', async () => {
      handler = (_req, res) =>
        res
          .writeHead(200, { link: '<https://evil.example.com/v2/_catalog?n=2>; rel="next"' })
          .end('{"repositories":[]}');
      await expect(client().listCatalog(host)).rejects.toThrow(code('REGISTRY_PROTOCOL'));
      handler = (_req, res) =>
        res.writeHead(200, { link: '</v2/_catalog>; rel="next"' }).end('{"repositories":[]}');
      await expect(client().listCatalog(host)).rejects.toThrow(code('REGISTRY_PROTOCOL'));
    });
  });

  describe('#resolveDigest', () => {
    it('uses HEAD and the Docker-Content-Digest header', async () => {
      const digest = sha256(ociManifest(img));
      handler = (_req, res) =>
        res.writeHead(200, { 'docker-content-digest': digest, 'content-type': OCI_MANIFEST }).end();
      expect(await client().resolveDigest(`${host}/app:1`)).toBe(digest);
      expect(apiRequests().map((r) => r.method)).toEqual(['HEAD']);
    });
  });
});

describe('openImage from a registry', () => {
  it('selects the platform from an index, verifies the config and streams verified layers', async () => {
    const arm = await makeImage('arm64', 'arm');
    const blobs = new Map<string, Buffer>();
    for (const i of [img, arm]) {
      blobs.set(i.configDigest, i.config);
      blobs.set(sha256(i.layerGz), i.layerGz);
      blobs.set(sha256(ociManifest(i)), ociManifest(i));
    }
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: sha256(ociManifest(arm)),
            size: ociManifest(arm).length,
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: OCI_MANIFEST,
            digest: sha256(ociManifest(img)),
            size: ociManifest(img).length,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    handler = (_req, res, url) => {
      const m = /^\/v2\/team\/app\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
      if (!m) return void res.writeHead(url.pathname === '/v2/' ? 200 : 404).end('{}');
      if (m[1] === 'manifests') {
        if (m[2] === 'v1') return serveManifest(res, index, 'application/vnd.oci.image.index.v1+json');
        const body = blobs.get(m[2]!);
        return body ? serveManifest(res, body) : void res.writeHead(404).end();
      }
      const blob = blobs.get(m[2]!);
      if (!blob) return void res.writeHead(404).end();
      res.writeHead(200).end(blob);
    };
    const events: ProgressEvent[] = [];
    const src = await openImage(`registry:${host}/team/app:v1`, {
      env: {},
      platform: 'linux/arm64',
      onProgress: (e) => events.push(e),
    });
    try {
      expect(src.meta.ref).toBe(`${host}/team/app:v1`);
      expect(src.meta.indexDigest).toBe(sha256(index));
      expect(src.meta.digest).toBe(sha256(ociManifest(arm)));
      expect(src.meta.configDigest).toBe(arm.configDigest);
      expect(src.meta.layers[0]!.diffId).toBe(arm.diffId);
      expect((await drain(await src.openLayer(src.meta.layers[0]!))).digest).toBe(sha256(arm.layerGz));
      expect(events.filter((e) => e.kind === 'manifest').map((e) => e.digest)).toEqual([
        sha256(index),
        sha256(ociManifest(arm)),
      ]);
      expect(events).toContainEqual({
        kind: 'blob',
        digest: sha256(arm.layerGz),
        bytes: arm.layerGz.length,
        total: arm.layerGz.length,
        done: true,
      });
    } finally {
      await src.close();
    }
  });
});
