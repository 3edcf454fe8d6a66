/**
 * bench/service.ts: the scan service's store-side work, on synthetic data (prints one JSON line; `npm run bench`
 * puts it in BENCHMARKS.md). Not a test: nothing here asserts a time.
 *
 * 1. Re-matching 1,000 stored inventories of 300 Debian 12 packages each (SQLite store) after a DB update that
 *    adds an advisory (test/fixtures/service/osv v1 → v2): no image is pulled.
 * 2. `affected` (reverse index) latency over the same 1,000 results: median of 9 calls, each reading the store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, importOsv, type Package, type StoredScan } from '../core/src/index.js';
import { findAffected } from '../service/src/affected.js';
import { rematchStored } from '../service/src/rematch.js';

const IMAGES = 1000;
const PACKAGES = 300;
const OSV = join(import.meta.dirname, '..', 'test', 'fixtures', 'service', 'osv');

function toPackage(name: string, version: string): Package {
  return {
    name,
    version,
    type: 'dpkg',
    ecosystem: 'Debian',
    purl: `pkg:deb/debian/${name}@${encodeURIComponent(version)}?distro=debian-12`,
    sourceName: name,
  } as Package;
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-service-'));
try {
  const v2 = join(dir, 'v2.db');
  importOsv(v2, [join(OSV, 'v2')]);
  const verdicts = createSqliteStore(join(dir, 'store.sqlite'));
  const at = new Date().toISOString();
  for (let i = 0; i < IMAGES; i++) {
    const packages = [toPackage('apt', '2.6.1'), toPackage('base-files', '12.4+deb12u15')];
    for (let p = packages.length; p < PACKAGES; p++)
      packages.push(toPackage(`lib-synthetic-${p}`, `1.${p}.${i % 7}`));
    const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
    const entry: StoredScan = {
      digest,
      scannedAt: at,
      storedAt: at,
      origin: 'scanner',
      scan: {
        schemaVersion: 1,
        image: {
          ref: `registry.example/team-${i % 20}/app-${i}@${digest}`,
          digest,
          configDigest: digest,
          os: { family: 'debian', version: '12.15' },
          layers: [],
        },
        packages,
        findings: [],
        notes: [],
        db: { path: 'v1' },
        analyzers: {},
        scannedAt: at,
      },
    };
    await verdicts.put(entry);
  }
  const policy = { apiVersion: 'portcullis/v1' as const };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await rematchStored({ verdicts, dbPath: v2, policy });
  const rematchWallMs = Math.round(performance.now() - t0);
  const c = process.cpuUsage(cpu0);
  const times: number[] = [];
  let hits = 0;
  for (let r = 0; r < 9; r++) {
    const s = performance.now();
    hits = findAffected(await verdicts.list(), 'CVE-2026-90002', policy).images.length;
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  await verdicts.close();
  console.log(
    JSON.stringify({
      images: IMAGES,
      packagesPerImage: PACKAGES,
      rematch: {
        wallMs: rematchWallMs,
        cpuMs: Math.round((c.user + c.system) / 1000),
        changed: summary.changed,
        imagesPerSecond: Math.round((IMAGES / rematchWallMs) * 1000),
      },
      affected: { medianMs: Math.round(times[4]! * 10) / 10, images: hits },
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
