/**
 * bench/service.ts: the scan service's store-side work, on synthetic data (prints one JSON line; `npm run bench`
 * puts it in BENCHMARKS.md). Not a test: nothing here asserts a time.
 *
 * 1. Re-matching 1,000 stored inventories of 300 Debian 12 packages each (SQLite store) after a DB update that
 *    adds an advisory (test/fixtures/service/osv v1 → v2): no image is pulled.
 * 2. `affected` latency through the store's reverse index (`readAffected`: what the CLI and
 *    `/api/v1/affected/{id}` run) over SQLite stores of 1,000 and 10,000 results (`BENCH_SERVICE_SIZES`):
 *    an advisory ~1 % of the images have (by id and by alias) and one every image has (the answer is the whole
 *    store). Medians of 9 calls. At 1,000, the old whole-store scan (`list()` + `findAffected`) once, to compare.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSqliteStore,
  importOsv,
  type Finding,
  type Package,
  type StoredScan,
  type VerdictStore,
} from '../core/src/index.js';
import { findAffected, readAffected } from '../service/src/affected.js';
import { rematchStored } from '../service/src/rematch.js';
import { toSyntheticStored } from '../test/helpers/stored-scan.js';

const REMATCH_IMAGES = 1000;
const PACKAGES = 300;
const SIZES = (process.env.BENCH_SERVICE_SIZES ?? '1000,10000').split(',').map(Number);
/** Advisories the synthetic images draw from (each image has 19 of them, plus one every image has). */
const POOL = 2000;
const OSV = join(import.meta.dirname, '..', 'test', 'fixtures', 'service', 'osv');
const policy = { apiVersion: 'portcullis/v1' as const };

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

function toVuln(id: string, alias: string, pkg: Package): Finding {
  return {
    type: 'vulnerability',
    id,
    aliases: [alias],
    severity: 'medium',
    title: `synthetic ${id}`,
    location: { path: 'var/lib/dpkg/status' },
    package: {
      name: pkg.name,
      version: pkg.version,
      ecosystem: pkg.ecosystem,
      purl: pkg.purl,
      fixedVersion: '9.9.9',
    },
  };
}

/** Image `i`: 300 packages; with `vulns`, 20 vulnerability findings (one shared by all, 19 from the pool). */
function toEntry(i: number, at: string, vulns: boolean): StoredScan {
  const packages = [toPackage('apt', '2.6.1'), toPackage('base-files', '12.4+deb12u15')];
  for (let p = packages.length; p < PACKAGES; p++)
    packages.push(toPackage(`lib-synthetic-${p}`, `1.${p}.${i % 7}`));
  const findings: Finding[] = [];
  if (vulns) {
    findings.push(toVuln('PCS-BENCH-ALL', 'CVE-2026-99999', packages[1]!));
    for (let k = 0; k < 19; k++) {
      const a = (i * 7 + k * 131) % POOL;
      findings.push(toVuln(`PCS-BENCH-${a}`, `CVE-2026-${10000 + a}`, packages[2 + k]!));
    }
  }
  const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
  return toSyntheticStored({
    ref: `registry.example/team-${i % 20}/app-${i}@${digest}`,
    digest,
    at,
    os: { family: 'debian', version: '12.15' },
    packages,
    findings,
    db: { path: 'v1' },
  });
}

async function fill(verdicts: VerdictStore, images: number, vulns: boolean): Promise<void> {
  const at = new Date().toISOString();
  for (let i = 0; i < images; i++) await verdicts.put(toEntry(i, at, vulns));
}

/** Median ms of 9 calls, and the last call's image count. */
async function timeAffected(
  verdicts: VerdictStore,
  id: string,
): Promise<{ medianMs: number; images: number }> {
  const times: number[] = [];
  let images = 0;
  for (let r = 0; r < 9; r++) {
    const s = performance.now();
    images = (await readAffected(verdicts, id, policy)).images.length;
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { medianMs: Math.round(times[4]! * 10) / 10, images };
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-service-'));
try {
  const v2 = join(dir, 'v2.db');
  importOsv(v2, [join(OSV, 'v2')]);
  const rematchStore = createSqliteStore(join(dir, 'rematch.sqlite'));
  await fill(rematchStore, REMATCH_IMAGES, false);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await rematchStored({ verdicts: rematchStore, dbPath: v2, policy });
  const rematchWallMs = Math.round(performance.now() - t0);
  const c = process.cpuUsage(cpu0);
  await rematchStore.close();

  const affected = [];
  for (const size of SIZES) {
    const path = join(dir, `affected-${size}.sqlite`);
    const verdicts = createSqliteStore(path);
    await fill(verdicts, size, true);
    const row: Record<string, unknown> = {
      images: size,
      storeMb: Math.round(statSync(path).size / 1e6),
      rare: await timeAffected(verdicts, 'PCS-BENCH-42'),
      rareByAlias: await timeAffected(verdicts, 'cve-2026-10042'),
      everyImage: await timeAffected(verdicts, 'PCS-BENCH-ALL'),
    };
    if (size <= 1000) {
      const s = performance.now();
      findAffected(await verdicts.list(), 'PCS-BENCH-42', policy);
      row.wholeStoreScanMs = Math.round(performance.now() - s);
    }
    affected.push(row);
    await verdicts.close();
    rmSync(path, { force: true });
  }
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      loadAverage: loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
      images: REMATCH_IMAGES,
      packagesPerImage: PACKAGES,
      rematch: {
        wallMs: rematchWallMs,
        cpuMs: Math.round((c.user + c.system) / 1000),
        changed: summary.changed,
        imagesPerSecond: Math.round((REMATCH_IMAGES / rematchWallMs) * 1000),
      },
      affected,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
