// Issue 2, hostile inputs through the public CLI: each ends in exit 2 and exactly one line
// `portcullis: CODE: message` on stderr, nothing on stdout, and (for registries) a bounded number of requests.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';
import {
  makeDockerArchive,
  makeGzipBombLayer,
  makeTar,
  sha256,
  writeBlob,
  writeOciLayout,
} from './build-image.js';
import { createScratch, portcullis, toErrorCode, type CliRun } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await createScratch('hostile'));
});
afterAll(async () => {
  await cleanup();
});

function expectOneErrorLine(run: CliRun, code: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(toErrorCode(run.stderr), run.stderr).toMatch(code);
}

describe('hostile archives through `portcullis sbom` and `scan`', () => {
  it('a truncated gzip docker-save archive (the Alpine sample cut at 60%)', async () => {
    const whole = await readFile(join(ROOT, 'examples', 'alpine-311.tar.gz'));
    const path = join(dir, 'truncated.tar.gz');
    await writeFile(path, whole.subarray(0, Math.floor(whole.length * 0.6)));
    expectOneErrorLine(await portcullis(['sbom', `docker-archive:${path}`]), /^SOURCE_ARCHIVE_INVALID$/);
    expectOneErrorLine(await portcullis(['scan', path, '--format', 'json']), /^SOURCE_ARCHIVE_INVALID$/);
  });

  it('a docker-save archive with a ../ member', async () => {
    const path = join(dir, 'dotdot.tar');
    await writeFile(
      path,
      await makeDockerArchive(
        [{ name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.11.5\n' }],
        [{ name: '../../tmp/portcullis-e2e-escaped', data: 'escaped' }],
      ),
    );
    expectOneErrorLine(await portcullis(['sbom', `docker-archive:${path}`]), /^SOURCE_PATH_UNSAFE$/);
  });

  it('a layer with a ../ entry', async () => {
    const path = join(dir, 'layer-dotdot.tar');
    await writeFile(
      path,
      await makeDockerArchive([
        { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.11.5\n' },
        { name: '../../etc/cron.d/evil', data: '* * * * * root sh\n' },
      ]),
    );
    expectOneErrorLine(await portcullis(['sbom', `docker-archive:${path}`]), /^LAYER_PATH_UNSAFE$/);
  });

  it('a truncated plain docker-save tar', async () => {
    const whole = await makeDockerArchive([
      { name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.11.5\n' },
      { name: 'srv/data.bin', data: Buffer.alloc(64 * 1024, 7) },
    ]);
    const path = join(dir, 'truncated.tar');
    await writeFile(path, whole.subarray(0, whole.length - 40 * 1024));
    expectOneErrorLine(await portcullis(['sbom', `docker-archive:${path}`]), /^SOURCE_ARCHIVE_INVALID$/);
  });

  it('an OCI layout whose layer blob does not match its digest', async () => {
    const layout = join(dir, 'mismatch-layout');
    const good = await makeTar([{ name: 'etc/os-release', data: 'ID=alpine\nVERSION_ID=3.11.5\n' }]);
    const blob = await writeBlob(layout, good);
    await writeOciLayout(layout, 'x', [
      {
        ...blob,
        diffId: sha256(good),
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        createdBy: 'ADD / /',
      },
    ]);
    // same size, one byte changed: only the digest check can notice
    const tampered = Buffer.from(good);
    tampered[600] = (tampered[600] ?? 0) ^ 1;
    await writeFile(join(layout, 'blobs', 'sha256', blob.digest.slice('sha256:'.length)), tampered);
    expectOneErrorLine(await portcullis(['sbom', `oci:${layout}:x`]), /^SOURCE_DIGEST_MISMATCH$/);
  });

  it('a gzip bomb layer (256 MiB of zeros, about 1000:1) inside an OCI layout', async () => {
    const layout = join(dir, 'bomb-layout');
    const bomb = await makeGzipBombLayer(256 * 1024 * 1024);
    const blob = await writeBlob(layout, bomb.blob);
    expect((256 * 1024 * 1024) / blob.size).toBeGreaterThan(1000);
    await writeOciLayout(layout, 'bomb', [
      {
        ...blob,
        diffId: bomb.diffId,
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        createdBy: 'ADD zeros.bin /',
      },
    ]);
    const run = await portcullis(['sbom', `oci:${layout}:bomb`]);
    expectOneErrorLine(run, /^LAYER_LIMIT_EXCEEDED$/);
    expect(run.stderr).toMatch(/ratio/);
    expectOneErrorLine(
      await portcullis(['scan', `oci:${layout}:bomb`, '--format', 'sarif']),
      /^LAYER_LIMIT_EXCEEDED$/,
    );
  });
});

/** A loopback registry that answers every request with `answer`, counting requests. */
interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

async function startHostileRegistry(
  answer: (req: { url: string }, port: number) => Answer,
): Promise<{ host: string; hits: () => number; stop: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const a = answer({ url: req.url ?? '/' }, (server.address() as AddressInfo).port);
    res
      .writeHead(a.status, { 'docker-distribution-api-version': 'registry/2.0', ...a.headers })
      .end(a.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('hostile registries through `portcullis sbom`', () => {
  it('one that answers 401 forever (a token is issued, then refused) ends in REGISTRY_UNAUTHORIZED', async () => {
    const reg = await startHostileRegistry((req, port): Answer =>
      req.url.startsWith('/token')
        ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"token":"never-accepted"}' }
        : {
            status: 401,
            headers: {
              'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="e2e",scope="repository:a/b:pull"`,
            },
          },
    );
    try {
      const run = await portcullis(['sbom', `${reg.host}/a/b:1`, '--username', 'u', '--password', 'p']);
      expectOneErrorLine(run, /^REGISTRY_UNAUTHORIZED$/);
      expect(reg.hits()).toBeLessThan(20);
    } finally {
      await reg.stop();
    }
  });

  it('one with Basic auth that refuses every credential ends in REGISTRY_UNAUTHORIZED', async () => {
    const reg = await startHostileRegistry(() => ({
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="e2e"' },
    }));
    try {
      const run = await portcullis([
        'sbom',
        `registry:${reg.host}/a/b:1`,
        '--username',
        'u',
        '--password',
        'p',
      ]);
      expectOneErrorLine(run, /^REGISTRY_UNAUTHORIZED$/);
      expect(reg.hits()).toBeLessThan(20);
    } finally {
      await reg.stop();
    }
  });

  it('one that answers 500 to everything ends in REGISTRY_UNAVAILABLE after bounded retries', async () => {
    const reg = await startHostileRegistry(() => ({ status: 500, body: 'internal error' }));
    try {
      const run = await portcullis(['sbom', `${reg.host}/a/b:1`]);
      expectOneErrorLine(run, /^REGISTRY_UNAVAILABLE$/);
      expect(reg.hits()).toBeGreaterThan(0);
      expect(reg.hits()).toBeLessThan(20);
    } finally {
      await reg.stop();
    }
  });
});
