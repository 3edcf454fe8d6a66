/**
 * bench/console.ts: the operator console's first Images page on a store of 10,000 synthetic images (prints one
 * JSON line; `npm run bench` puts it in BENCHMARKS.md). Not a test: nothing here asserts a time.
 *
 * Each image: 300 Debian packages and 12 findings (vulnerabilities of several severities, a secret, a baseline
 * check), stored in the SQLite store the embedded service uses. Measured through the real app over HTTP
 * (express, no TLS, signed in): the time from creating the app to the first `GET /images` answer (it waits
 * for the start-up evaluation of the store), then medians of 5 for the first page, a filtered and sorted
 * page and the overview, one page while the index rebuilds after a task change, one exact
 * `GET /api/v1/images?limit=50` (the API evaluates the store's projections per request) while that rebuild runs,
 * then its median of 5 alone, and the median of 5 `listProjections()` (the store read inside it). Last, a
 * restart: a second app on the same store, from creation to its first Images page (the snapshot the first
 * app saved, marked as refreshing) and to the end of its own first build.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  createSqliteStore,
  createMemoryTaskStore,
  emptyProgress,
  type Finding,
  type TaskStore,
} from '../core/src/index.js';
import { createServiceApp } from '../service/src/app.js';
import { IMAGE_SNAPSHOT_NAME } from '../service/src/image-index.js';
import { createLogger } from '../service/src/logger.js';
import { createServiceMetrics } from '../service/src/metrics.js';
import type { TaskRunner } from '../service/src/runner.js';
import { parseTokensFile, toTokenDigest } from '../service/src/tokens.js';
import { toSyntheticStored } from '../test/helpers/stored-scan.js';

const IMAGES = Number(process.env.BENCH_CONSOLE_IMAGES ?? 10_000);
const PACKAGES = 300;
const TOKEN = 'bench-console-token';

function toFindings(i: number): Finding[] {
  const sev = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
  const out: Finding[] = [];
  for (let k = 0; k < 10; k++)
    out.push({
      type: 'vulnerability',
      id: `CVE-2026-${1000 + ((i + k) % 500)}`,
      severity: sev[(i + k) % 5]!,
      title: 'synthetic',
      location: { path: '/var/lib/dpkg/status' },
      package: {
        name: `lib-synthetic-${k}`,
        version: '1.0',
        fixedVersion: '1.1',
        ecosystem: 'Debian:12',
        purl: `pkg:deb/debian/lib-synthetic-${k}@1.0`,
      },
    });
  out.push({
    type: 'sensitive-file',
    id: 'PCS-SECRET-AWS-SECRET-ACCESS-KEY',
    severity: i % 3 === 0 ? 'critical' : 'low',
    title: 'key',
    location: { path: '/root/.aws/credentials' },
    evidence: 'aws_secret_access_key = ****',
  });
  out.push({ type: 'baseline', id: 'PCS-BASELINE-ROOT', severity: 'medium', title: 'root', location: {} });
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-console-'));
try {
  const verdicts = createSqliteStore(join(dir, 'store.sqlite'));
  const at = new Date().toISOString();
  for (let i = 0; i < IMAGES; i++) {
    const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
    const entry = toSyntheticStored({
      ref: `registry.example/team-${i % 50}/app-${i}@${digest}`,
      digest,
      at,
      packages: Array.from({ length: PACKAGES }, (_, p) => ({
        name: `lib-synthetic-${p}`,
        version: `1.${p}`,
        type: 'dpkg' as const,
        ecosystem: 'Debian' as const,
        purl: `pkg:deb/debian/lib-synthetic-${p}@1.${p}?distro=debian-12`,
        layerDigest: digest,
        path: '/var/lib/dpkg/status',
      })),
      findings: toFindings(i),
    });
    await verdicts.put(entry);
  }
  // the console starts evaluating the store (its image index) as the app is created, as at service start-up
  const startApp = async (tasks: TaskStore) => {
    const app = createServiceApp({
      policy: () => ({
        apiVersion: 'portcullis/v1',
        registries: [{ name: 'example', kind: 'distribution', url: 'https://registry.example' }],
      }),
      tasks,
      verdicts,
      runner: {} as TaskRunner,
      tokens: parseTokensFile(`tokens: [{ name: bench, role: read, sha256: ${toTokenDigest(TOKEN)} }]`),
      logger: createLogger({ level: 'error', write: () => {} }),
      metrics: createServiceMetrics(),
    });
    const signIn = await request(app).post('/sign-in').type('form').send({ token: TOKEN });
    return { app, cookie: (signIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]! };
  };
  const tasks = createMemoryTaskStore();
  const t0 = performance.now();
  const { app, cookie } = await startApp(tasks);
  const one = async (path: string, headers: Record<string, string> = { cookie }): Promise<number> => {
    const s = performance.now();
    const res = await request(app).get(path).set(headers);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return Math.round(performance.now() - s);
  };
  const median = async (path: string): Promise<number> => {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) runs.push(await one(path));
    return runs.sort((a, b) => a - b)[2]!;
  };
  // the first page waits for the start-up evaluation: this is the time from start to the first page
  await one('/images');
  const indexBuildMs = Math.round(performance.now() - t0);
  const firstPage = await median('/images');
  const filtered = await median('/images?severity=critical&sort=reference&offset=500');
  const overview = await median('/overview');
  // a task changed: the next page waits at most 300 ms for the rebuild, then shows the previous snapshot
  await tasks.create({
    id: 'bench',
    trigger: 'manual',
    scope: { registries: [], scanners: [] },
    status: 'running',
    progress: emptyProgress(),
    createdAt: new Date().toISOString(),
  });
  const duringRebuild = await one('/images');
  const api = { authorization: `Bearer ${TOKEN}` };
  // the first API call overlaps the index rebuild the task change started; the median is the call alone
  const apiFirstPage = await one('/api/v1/images?limit=50', api);
  const apiRuns: number[] = [];
  for (let r = 0; r < 5; r++) apiRuns.push(await one('/api/v1/images?limit=50', api));
  // what the exact API call spends reading the store (parsing every projection), before evaluating them
  const listRuns: number[] = [];
  for (let r = 0; r < 5; r++) {
    const s = performance.now();
    await verdicts.listProjections();
    listRuns.push(Math.round(performance.now() - s));
  }
  // a restart: a new app on the same store serves the snapshot the first one saved after its builds, marked as
  // refreshing, while its own first build runs; then the time until that build replaced it
  const saved = await verdicts.readSnapshot(IMAGE_SNAPSHOT_NAME);
  if (!saved) throw new Error('no saved image index snapshot');
  const t1 = performance.now();
  const restarted = await startApp(createMemoryTaskStore());
  const page = async () => {
    const res = await request(restarted.app).get('/images').set({ cookie: restarted.cookie });
    if (res.status !== 200) throw new Error(`/images after restart: ${res.status}`);
    return res.text.includes('a newer evaluation is running');
  };
  if (!(await page())) throw new Error('the first page after a restart was not the saved snapshot');
  const restartToFirstPage = Math.round(performance.now() - t1);
  while (await page()) await new Promise((r) => setTimeout(r, 50));
  const restartToBuilt = Math.round(performance.now() - t1);
  await verdicts.close();
  console.log(
    JSON.stringify({
      bench: 'console',
      images: IMAGES,
      packagesPerImage: PACKAGES,
      findingsPerImage: 12,
      startToFirstPageMs: indexBuildMs,
      restartWithSnapshotToFirstPageMs: restartToFirstPage,
      restartToFirstBuildMs: restartToBuilt,
      savedSnapshotMb: (saved.body.length / 1e6).toFixed(1),
      firstPageMedianMs: firstPage,
      filteredSortedPageMedianMs: filtered,
      overviewMedianMs: overview,
      pageDuringRebuildMs: duringRebuild,
      apiImagesFirstPageMs: apiFirstPage,
      apiImagesMedianMs: apiRuns.sort((a, b) => a - b)[2],
      listProjectionsMedianMs: listRuns.sort((a, b) => a - b)[2],
      targetMs: 1000,
      loadAverage: loadavg()[0]!.toFixed(1),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
