/**
 * Vulnerability DB benchmark: import every shared OSV record, then match 10,000 packages.
 * Run: `npx tsx bench/vulndb.ts [osv dir]`. Prints one JSON line.
 * Targets: import ≤ 10 s, matching 10,000 packages ≤ 100 ms.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as os_ from 'node:os';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { matchPackages } from '../core/src/matchers/index.js';
import type { Ecosystem, OsInfo, Package, PackageType } from '../core/src/types/index.js';
import { importOsv, openVulnDb } from '../core/src/vulndb/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const osvDir =
  process.argv[2] ?? process.env.PORTCULLIS_SHARED_DATA ?? join(root, '..', 'shared', 'data', 'osv');
if (!existsSync(osvDir)) {
  console.log(JSON.stringify({ bench: 'vulndb', skipped: `OSV data not found at ${osvDir}` }));
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
const dbPath = join(work, 'db.sqlite');
try {
  const imp = (() => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const result = importOsv(dbPath, [osvDir]);
    const c = process.cpuUsage(c0);
    return { result, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  })();
  const imported = imp.result;
  const importMs = imp.ms;

  // Names that real advisories affect, OS (Alpine v3.11) and application ecosystems mixed.
  const raw = new Database(dbPath, { readonly: true });
  const names = raw
    .prepare(
      "SELECT DISTINCT ecosystem, name FROM affected WHERE ecosystem IN ('Alpine:v3.11', 'PyPI', 'Go', 'crates.io') ORDER BY ecosystem, name",
    )
    .all() as { ecosystem: string; name: string }[];
  raw.close();
  const kind: Record<string, { type: PackageType; ecosystem: Ecosystem; version: string }> = {
    'Alpine:v3.11': { type: 'apk', ecosystem: 'Alpine', version: '1.2.3-r0' },
    PyPI: { type: 'pypi', ecosystem: 'PyPI', version: '1.2.3' },
    Go: { type: 'go-module', ecosystem: 'Go', version: 'v1.2.3' },
    'crates.io': { type: 'cargo', ecosystem: 'crates.io', version: '1.2.3' },
  };
  const ecosystems = Object.keys(kind);
  // `vulnerableShare` of the packages are named in advisories (at an old version); the rest are not.
  const inventory = (vulnerableShare: number): Package[] => {
    const packages: Package[] = [];
    for (let i = 0; packages.length < 10_000; i++) {
      const named = i % 100 < vulnerableShare * 100;
      const n = named
        ? names[i % names.length]
        : { ecosystem: ecosystems[i % ecosystems.length] ?? 'PyPI', name: `bench-pkg-${i}` };
      const k = n && kind[n.ecosystem];
      if (!n || !k) continue;
      packages.push({
        name: n.name,
        version: k.version,
        type: k.type,
        ecosystem: k.ecosystem,
        purl: `pkg:generic/${n.name}`,
        layerDigest: 'sha256:bench',
        path: '/bench',
      });
    }
    return packages;
  };
  const os: OsInfo = { family: 'alpine', version: '3.11.5' };
  // Wall time and this process's CPU time: on a shared, loaded machine the two differ a lot.
  const timed = <T>(fn: () => T): { value: T; ms: number; cpuMs: number } => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const value = fn();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { value, ms: Math.round(ms), cpuMs: Math.round((c.user + c.system) / 1000) };
  };
  // Best of several runs: this is a shared machine and a single run mostly measures the neighbours.
  const REPEAT = 5;
  const run = (share: number) => {
    const packages = inventory(share);
    let findings = 0;
    let firstColdMs = 0;
    const best = { coldMs: Infinity, coldCpuMs: Infinity, warmMs: Infinity, warmCpuMs: Infinity };
    for (let i = 0; i < REPEAT; i++) {
      const db = openVulnDb(dbPath); // a fresh handle: nothing cached
      const cold = timed(() => matchPackages(db, packages, os));
      const warm = timed(() => matchPackages(db, packages, os));
      db.close();
      findings = cold.value.findings.length;
      if (i === 0) firstColdMs = cold.ms;
      best.coldMs = Math.min(best.coldMs, cold.ms);
      best.coldCpuMs = Math.min(best.coldCpuMs, cold.cpuMs);
      best.warmMs = Math.min(best.warmMs, warm.ms);
      best.warmCpuMs = Math.min(best.warmCpuMs, warm.cpuMs);
    }
    return { findings, firstColdMs, ...best };
  };
  // Warm the JIT on a small run so the first scenario is not charged for compilation.
  run(0.01);
  const typical = run(0.1);
  const worst = run(1);

  console.log(
    JSON.stringify({
      bench: 'vulndb',
      records: imported.imported,
      skipped: imported.skipped.length,
      importMs: Math.round(importMs),
      importCpuMs: Math.round(imp.cpuMs),
      importTargetMs: 10_000,
      packages: 10_000,
      distinctAdvisoryPackages: names.length,
      loadAverage: os_.loadavg()[0]?.toFixed(1),
      cpus: os_.cpus().length,
      typical10pct: typical,
      allInAdvisories: worst,
      matchTargetMs: 100,
      note: `match times are the best of ${REPEAT} runs; cold = fresh DB handle (the process keeps its parsed-version memo), warm = same handle again; firstColdMs = the very first run`,
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
