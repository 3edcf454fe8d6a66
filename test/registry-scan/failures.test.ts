import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../core/src/cli/program.js';
import type { Policy } from '../../core/src/index.js';
import { createRegistryScanTask, runRegistryScan } from '../../core/src/registry-scan/index.js';
import { createMemoryStore, createMemoryTaskStore } from '../../core/src/store/index.js';
import { startFake, type FakeServer } from '../source/catalog/fake-server.js';

const sha = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

// a manifest media type no image reader knows (a registry may hold any OCI artifact)
const HELM_INDEX = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json' });
const CORRUPT_SERVED = JSON.stringify({ schemaVersion: 2, note: 'tampered' });
const CORRUPT_CLAIMED = sha('the original manifest');

/**
 * A distribution registry whose every repository fails a pull differently: 401, 404, 429 forever, a manifest
 * that does not match its digest, and an unsupported media type.
 */
function registry(req: { method: string; url: URL }): {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
} {
  const p = req.url.pathname;
  if (p === '/v2/') return { status: 200, body: {} };
  if (p === '/v2/_catalog')
    return { body: { repositories: ['team/auth', 'team/gone', 'team/busy', 'team/corrupt', 'team/chart'] } };
  const tags = /^\/v2\/(.+)\/tags\/list$/.exec(p);
  if (tags) return { body: { name: tags[1], tags: ['1.0'] } };
  const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(p);
  if (!m) return { status: 404, body: { errors: [{ code: 'NOT_FOUND' }] } };
  const [, repo] = m;
  switch (repo) {
    case 'team/auth':
      return {
        status: 401,
        body: { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
      };
    case 'team/gone':
      return { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] } };
    case 'team/busy':
      return {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { errors: [{ code: 'TOOMANYREQUESTS' }] },
      };
    case 'team/corrupt':
      return {
        headers: {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': CORRUPT_CLAIMED,
        },
        body: CORRUPT_SERVED,
      };
    case 'team/chart':
      return {
        headers: {
          'content-type': 'application/vnd.example.unknown+json',
          'docker-content-digest': sha(HELM_INDEX),
        },
        body: HELM_INDEX,
      };
  }
  return { status: 404, body: {} };
}

describe('registry scan: a failure cause per image (loopback registry)', () => {
  let fake: FakeServer;
  beforeAll(async () => {
    fake = await startFake(registry);
  });
  afterAll(() => fake.close());

  it('logs 401, 404, 429 loops, digest mismatch and unsupported media type, each in words a user can act on', async () => {
    const policy: Policy = {
      apiVersion: 'portcullis/v1',
      registries: [
        {
          name: 'harbor-prod',
          kind: 'distribution',
          url: fake.origin,
          credentials: { usernameEnv: 'HARBOR_USER', passwordEnv: 'HARBOR_PASSWORD' },
        },
      ],
    };
    const tasks = createMemoryTaskStore();
    const verdicts = createMemoryStore();
    const slept: number[] = [];
    const req = {
      policy,
      scanners: ['secret' as const],
      tasks,
      verdicts,
      env: { HARBOR_USER: 'ci', HARBOR_PASSWORD: 'wrong' },
      listerOptions: {
        // Retry-After is honoured (recorded here), without waiting in a test
        sleep: async (ms: number) => {
          slept.push(ms);
        },
        maxRetries: 2,
      },
    };
    const task = await createRegistryScanTask(req);
    const done = await runRegistryScan(task, req);
    const log = await tasks.readLog(task.id);
    const cause = (repo: string): string =>
      log.find((e) => e.reference.includes(`/${repo}:`))?.cause ?? `no entry for ${repo}`;

    expect(done.status).toBe('failed');
    expect(done.progress).toEqual({ inScope: 5, scanned: 0, skipped: 0, failed: 5, notScanned: 0 });
    expect(log.every((e) => e.outcome === 'failed')).toBe(true);
    expect(cause('team/auth')).toMatch(/^401 from harbor-prod: check HARBOR_USER and HARBOR_PASSWORD/);
    expect(cause('team/gone')).toMatch(/^404 from harbor-prod: the image is gone/);
    expect(cause('team/busy')).toMatch(
      /^429 from harbor-prod: still rate limited after retries; lower throttle\.imagesPerHour/,
    );
    expect(slept.filter((ms) => ms === 1000).length).toBeGreaterThanOrEqual(2);
    expect(cause('team/corrupt')).toMatch(/^digest mismatch from harbor-prod/);
    expect(cause('team/chart')).toMatch(/^unsupported media type from harbor-prod/);
    // the password never appears in a cause
    expect(JSON.stringify(log)).not.toContain('wrong');
    expect(await verdicts.get(CORRUPT_CLAIMED)).toBeUndefined();
  });

  it('applies scan.retention after the task: old tasks and results not seen again are deleted', async () => {
    const policy: Policy = {
      apiVersion: 'portcullis/v1',
      registries: [
        { name: 'r', kind: 'distribution', url: fake.origin, repositories: { include: ['team/gone'] } },
      ],
      scan: { retention: { tasks: '30d', vulnerabilities: '90d' } },
    };
    const tasks = createMemoryTaskStore();
    const verdicts = createMemoryStore();
    const day = 86_400_000;
    const ago = (days: number): string => new Date(Date.now() - days * day).toISOString();
    const old = {
      id: 'old',
      trigger: 'schedule' as const,
      scope: { registries: ['r'], scanners: [] },
      status: 'succeeded' as const,
      progress: { inScope: 0, scanned: 0, skipped: 0, failed: 0, notScanned: 0 },
      createdAt: ago(31),
    };
    await tasks.create(old);
    await tasks.create({ ...old, id: 'recent', createdAt: ago(29) });
    const scanOf = (digest: string) => ({
      schemaVersion: 1 as const,
      image: { ref: 'x', digest, configDigest: 'sha256:c', layers: [] },
      packages: [],
      findings: [],
      notes: [],
      analyzers: {},
      scannedAt: ago(91),
    });
    await verdicts.put({
      digest: 'sha256:stale',
      scan: scanOf('sha256:stale'),
      scannedAt: ago(91),
      storedAt: ago(91),
      origin: 'scanner',
    });
    await verdicts.put({
      digest: 'sha256:seen',
      scan: scanOf('sha256:seen'),
      scannedAt: ago(10),
      storedAt: ago(10),
      origin: 'scanner',
    });
    const req = { policy, tasks, verdicts, env: {} };
    const task = await createRegistryScanTask(req);
    await runRegistryScan(task, req);
    expect((await tasks.list()).map((t) => t.id).sort()).toEqual(['recent', task.id].sort());
    expect(await verdicts.get('sha256:stale')).toBeUndefined();
    expect((await verdicts.get('sha256:seen'))?.digest).toBe('sha256:seen');
  });

  it('the CLI redraws one progress line on a TTY, and exits 2 when every image failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-tty-'));
    try {
      const policyFile = join(dir, 'p.yaml');
      writeFileSync(
        policyFile,
        `apiVersion: portcullis/v1\nregistries:\n  - { name: r, kind: distribution, url: "${fake.origin}", repositories: { include: [team/gone, team/auth] } }\n`,
      );
      const chunks = { out: '', err: '' };
      const sink = (key: 'out' | 'err') =>
        Object.assign(
          new Writable({
            write(c: Buffer, _e, cb) {
              chunks[key] += c.toString();
              cb();
            },
          }),
          { isTTY: true },
        );
      const code = await runCli(
        [
          'registry',
          'scan',
          '--policy',
          policyFile,
          '--store',
          `sqlite:${join(dir, 's.sqlite')}`,
          '--scanners',
          'secret',
        ],
        { stdout: sink('out'), stderr: sink('err'), env: { HOME: dir }, now: () => new Date() },
      );
      expect(code).toBe(2);
      // progress is redrawn in place on stderr; stdout gets only the summary, no per-image lines
      expect(chunks.err).toContain(
        '\r\x1b[2Kin scope 2, scanned 0, skipped 0 (time range), failed 1, not scanned 0',
      );
      expect(chunks.out.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^task [0-9a-f-]{36} failed: in scope 2, scanned 0, skipped 0 \(time range\), failed 2, not scanned 0$/,
        ),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
