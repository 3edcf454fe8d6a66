// Issue 11 item 17: registry stalls end at a deadline with REGISTRY_TIMEOUT naming the registry, the
// repository and what was being read (an unanswered manifest took 123 s; a dripping one ran until the server
// gave up, and the error was "INTERNAL: other side closed"). Loopback servers that never answer, stall, or
// drip a byte a second; the deadlines are short here and the defaults are long.
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../core/src/cli/program.js';
import { scan } from '../../core/src/scan/index.js';
import { openImage } from '../../core/src/source/index.js';
import { makeImage, sha256 } from './image-builder.js';

const servers: { close(): void }[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `body` one byte per `everyMs`, forever if `body` runs out (the socket is closed by the test). */
function drip(res: ServerResponse, body: Buffer, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(body.subarray(i % body.length, (i % body.length) + 1));
    i++;
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Time an attempt took, and what it threw. */
async function attempt(fn: () => Promise<unknown>): Promise<{ ms: number; err: unknown }> {
  const start = Date.now();
  try {
    await fn();
  } catch (err) {
    return { ms: Date.now() - start, err };
  }
  throw new Error('expected a failure');
}

describe('registry deadlines', () => {
  it('an unanswered manifest request ends at the headers deadline, naming host, repository and manifest', async () => {
    const host = await listen(createNetServer(() => undefined)); // accepts, never writes a byte
    const { ms, err } = await attempt(() =>
      openImage(`${host}/team/app:1`, { limits: { registryHeadersTimeoutMs: 500 } }),
    );
    expect(err).toMatchObject({ code: 'REGISTRY_TIMEOUT' });
    const message = (err as Error).message;
    expect(message).toContain(`${host}: reading manifest ${host}/team/app:1`);
    expect(message).toContain('/v2/team/app/manifests/1');
    expect(message).toMatch(/no (response|connection) within 500 ms \(headers deadline\)/);
    // not retried: one TLS probe and one request, each bounded by the 500 ms deadline (it took 123 s)
    expect(ms).toBeLessThan(10_000);
  }, 30_000);

  it('a manifest dripping a byte a second ends at the image deadline, naming it', async () => {
    const img = await makeImage();
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: img.configDigest }));
    const host = await listen(
      createHttpServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        if (req.url === '/v2/') res.end('{}');
        else drip(res, manifest, 1000);
      }),
    );
    const { ms, err } = await attempt(() =>
      openImage(`${host}/team/app:1`, {
        limits: { registryImageTimeoutMs: 2500, registryBodyIdleTimeoutMs: 5000 },
      }),
    );
    expect(err).toMatchObject({ code: 'REGISTRY_TIMEOUT' });
    expect((err as Error).message).toBe(
      `${host}: reading manifest ${host}/team/app:1 (/v2/team/app/manifests/1): the 2500 ms deadline for ${host}/team/app:1 ran out (registry image deadline)`,
    );
    expect(ms).toBeLessThan(10_000);
  }, 30_000);

  it('a body that stalls after the headers ends at the body idle deadline', async () => {
    const host = await listen(
      createHttpServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        if (req.url === '/v2/') res.end('{}');
        else res.write('{"schemaVersion"'); // and nothing more
      }),
    );
    const { err } = await attempt(() =>
      openImage(`${host}/team/app:1`, { limits: { registryBodyIdleTimeoutMs: 500 } }),
    );
    expect(err).toMatchObject({ code: 'REGISTRY_TIMEOUT' });
    expect((err as Error).message).toContain(
      `${host}: reading manifest ${host}/team/app:1 (/v2/team/app/manifests/1): no data for 500 ms (body idle deadline)`,
    );
  }, 30_000);

  it('a dropped connection mid-body is REGISTRY_UNAVAILABLE naming what was read, not INTERNAL', async () => {
    const host = await listen(
      createHttpServer((req, res) => {
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'content-length': '500',
        });
        if (req.url === '/v2/') {
          res.end('{}');
          return;
        }
        res.write('{"schemaVersion"');
        setTimeout(() => res.socket?.destroy(), 50);
      }),
    );
    const { err } = await attempt(() => openImage(`${host}/team/app:1`));
    expect(err).toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    expect((err as Error).message).toContain(`${host}: reading manifest ${host}/team/app:1`);
  }, 30_000);

  it('a layer blob dripping a byte a second fails the scan at the image deadline, naming the blob', async () => {
    const img = await makeImage();
    const layerDigest = sha256(img.layerGz);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: img.configDigest,
          size: img.config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: img.layerGz.length,
          },
        ],
      }),
    );
    const host = await listen(
      createHttpServer((req, res) => {
        if (req.url === '/v2/') res.writeHead(200).end('{}');
        else if (req.url?.includes('/manifests/'))
          res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end(manifest);
        else if (req.url?.endsWith(img.configDigest)) res.writeHead(200).end(img.config);
        else {
          res.writeHead(200, { 'content-length': String(img.layerGz.length) });
          drip(res, img.layerGz, 1000);
        }
      }),
    );
    const { ms, err } = await attempt(() =>
      scan(`${host}/team/app:1`, {
        scanners: [],
        source: { limits: { registryImageTimeoutMs: 3000, registryBodyIdleTimeoutMs: 5000 } },
      }),
    );
    expect(err).toMatchObject({ code: 'REGISTRY_TIMEOUT' });
    const message = (err as Error).message;
    expect(message).toContain(`reading blob ${layerDigest} of ${host}/team/app`);
    expect(message).toContain(`the 3000 ms deadline for ${host}/team/app:1 ran out`);
    expect(ms).toBeLessThan(15_000);
  }, 30_000);

  it('the CLI takes the deadlines as flags (and refuses a bad duration)', async () => {
    const host = await listen(createNetServer(() => undefined));
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream,
      stderr: { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream,
      env: { HOME: '/nonexistent' },
      now: () => new Date(),
    };
    const code = await runCli(
      ['sbom', `${host}/team/app:1`, '--registry-header-timeout', '300ms', '--registry-timeout', '5s'],
      io as never,
    );
    expect(code).toBe(2);
    expect(out.join('')).toMatch(
      new RegExp(
        `REGISTRY_TIMEOUT: ${host.replace(/\./g, '\\.')}: reading manifest .*300 ms \\(headers deadline\\)`,
      ),
    );
    out.length = 0;
    expect(await runCli(['sbom', `${host}/team/app:1`, '--registry-timeout', 'soon'], io as never)).toBe(2);
    expect(out.join('')).toMatch(/USAGE_INVALID: invalid duration "soon"/);
  }, 30_000);
});
