// Issue 3 through the public CLI: `db import` of every shared OSV record, `db status`, and scans whose
// vulnerability findings equal a set this test computes itself from the raw OSV JSON (its own event walk,
// with only the project's version comparators borrowed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVersions } from '../../core/src/versions/index.js';
import {
  haveTestImages,
  NO_IMAGES_REASON,
  NO_SHARED_REASON,
  ROOT,
  SHARED_DATA,
  skipReason,
  TEST_IMAGES,
} from '../helpers/env.js';
import {
  createScratch,
  E2E_FIXTURES,
  importSharedOsv,
  OSV_DIRS,
  portcullis,
  type CliRun,
  type JsonReport,
} from './helpers.js';

/** The parts of an OSV record the oracle reads. */
interface OsvRecord {
  id: string;
  withdrawn?: string;
  affected?: {
    package?: { ecosystem: string; name: string };
    versions?: string[];
    ranges?: { type: string; events: Record<string, string>[] }[];
  }[];
}

function readRecords(dir: string): { file: string; record: OsvRecord }[] {
  const out: { file: string; record: OsvRecord }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...readRecords(path));
    else if (name.endsWith('.json')) {
      out.push({ file: path, record: JSON.parse(readFileSync(path, 'utf8')) as OsvRecord });
    }
  }
  return out;
}

/** PEP 503 name normalisation for PyPI; other ecosystems compare names as they are. */
function toName(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

/**
 * True when `version` of `name` is affected by `record` in `ecosystem`: listed in `versions`, or inside an
 * ECOSYSTEM/SEMVER range. Events are sorted by version first (records such as PYSEC-2023-192 list
 * `introduced 2.0.0, fixed 2.0.6, introduced 0, fixed 1.26.17`), then walked in order.
 */
function isAffected(record: OsvRecord, ecosystem: string, name: string, version: string): boolean {
  const base = ecosystem.split(':')[0] as string;
  const cmp = (a: string, b: string): number => compareVersions(base, a, b);
  for (const a of record.affected ?? []) {
    if (a.package?.ecosystem !== ecosystem) continue;
    if (toName(base, a.package.name) !== toName(base, name)) continue;
    if ((a.versions ?? []).includes(version)) return true;
    for (const range of a.ranges ?? []) {
      if (range.type !== 'ECOSYSTEM' && range.type !== 'SEMVER') continue;
      const events = range.events
        .map((e) => {
          const [kind, at] = Object.entries(e)[0] as [string, string];
          return { kind, at };
        })
        .sort((x, y) => (x.at === '0' ? -1 : y.at === '0' ? 1 : cmp(x.at, y.at)));
      let affected = false;
      for (const { kind, at } of events) {
        if (kind === 'introduced' && (at === '0' || cmp(version, at) >= 0)) affected = true;
        else if (kind === 'fixed' && cmp(version, at) >= 0) affected = false;
        else if (kind === 'limit' && cmp(version, at) >= 0) affected = false;
        else if (kind === 'last_affected' && cmp(version, at) > 0) affected = false;
      }
      if (affected) return true;
    }
  }
  return false;
}

/** `ID|name@version` for every record affecting one of `packages`. */
function expectedFindings(
  records: OsvRecord[],
  ecosystem: (p: { ecosystem: string }) => string | undefined,
  packages: { name: string; matchName: string; version: string; ecosystem: string }[],
): string[] {
  const out = new Set<string>();
  for (const r of records) {
    if (r.withdrawn) continue;
    for (const p of packages) {
      const eco = ecosystem(p);
      if (eco && isAffected(r, eco, p.matchName, p.version)) out.add(`${r.id}|${p.name}@${p.version}`);
    }
  }
  return [...out].sort();
}

function vulnerabilityKeys(report: JsonReport): string[] {
  return [
    ...new Set(
      report.findings
        .filter((f) => f.type === 'vulnerability')
        .map((f) => `${f.id}|${f.package?.name}@${f.package?.version}`),
    ),
  ].sort();
}

describe.skipIf(!SHARED_DATA && skipReason(NO_SHARED_REASON))(
  'OSV database and matching through the CLI',
  () => {
    let dbPath: string;
    let cleanup: () => Promise<void> = async () => undefined;
    let imported: CliRun;
    let records: { file: string; record: OsvRecord }[];

    beforeAll(async () => {
      const scratch = await createScratch('vulns');
      cleanup = scratch.cleanup;
      dbPath = join(scratch.dir, 'db.sqlite');
      imported = await importSharedOsv(dbPath);
      records = OSV_DIRS.flatMap((d) => readRecords(join(SHARED_DATA as string, 'osv', d)));
    });
    afterAll(async () => {
      await cleanup();
    });

    it('`db import` imports every record that is not withdrawn and prints the count', () => {
      const live = records.filter((r) => !r.record.withdrawn);
      expect(records.length - live.length).toBeGreaterThan(0); // the shared set has withdrawn records
      expect(live.length).toBeGreaterThan(19_000);
      expect(imported.stdout).toContain(`imported ${live.length} records into ${dbPath}`);
      expect(imported.stdout).toContain('(0 skipped)');
    });

    it('`db status` shows the records per ecosystem', async () => {
      const byEcosystem: Record<string, number> = {};
      for (const { record } of records) {
        if (record.withdrawn) continue;
        for (const eco of new Set((record.affected ?? []).map((a) => a.package?.ecosystem))) {
          if (eco) byEcosystem[eco] = (byEcosystem[eco] ?? 0) + 1;
        }
      }
      const json = await portcullis(['db', 'status', '--db', dbPath, '--json']);
      expect(json.code).toBe(0);
      const status = JSON.parse(json.stdout) as { records: number; byEcosystem: Record<string, number> };
      expect(status.byEcosystem).toEqual(byEcosystem);
      const text = await portcullis(['db', 'status', '--db', dbPath]);
      expect(text.code).toBe(0);
      for (const [eco, n] of Object.entries(byEcosystem)) {
        expect(text.stdout).toMatch(new RegExp(`^\\s+${eco.replace(/[.]/g, '\\.')}\\s+${n}$`, 'm'));
      }
    });

    it('the Alpine 3.11 sample has no vulnerabilities, and neither has the set computed from the records', async () => {
      const run = await portcullis([
        'scan',
        `docker-archive:${join(ROOT, 'examples', 'alpine-311.tar.gz')}`,
        '--db',
        dbPath,
        '--format',
        'json',
      ]);
      expect(run.stderr).toBe('');
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.image.os).toEqual({ family: 'alpine', version: '3.11.5' });
      expect(report.notes.map((n) => n.code)).not.toContain('VULN_NO_OS_DATA');
      const expected = JSON.parse(readFileSync(join(E2E_FIXTURES, 'alpine-311.expected.json'), 'utf8')) as {
        Packages: { Name: string; Version: string; SrcName: string }[];
      };
      const packages = expected.Packages.map((p) => ({
        name: p.Name,
        matchName: p.SrcName, // secdb records name source packages
        version: p.Version,
        ecosystem: 'Alpine',
      }));
      const alpine = records.map((r) => r.record);
      // not vacuous: the DB does hold Alpine 3.11 records for these packages, all fixed before these versions
      const named = alpine.filter((r) =>
        (r.affected ?? []).some(
          (a) =>
            a.package?.ecosystem === 'Alpine:v3.11' && packages.some((p) => p.matchName === a.package?.name),
        ),
      );
      expect(named.length).toBeGreaterThan(10);
      expect(expectedFindings(alpine, () => 'Alpine:v3.11', packages)).toEqual([]);
      expect(vulnerabilityKeys(report)).toEqual([]);
    });

    it('warns on a DB older than maxDbAge, and denies when the policy says staleDb: deny', async () => {
      const alpine = `docker-archive:${join(ROOT, 'examples', 'alpine-311.tar.gz')}`;
      const args = ['scan', alpine, '--db', dbPath, '--scanners', 'vuln', '--format', 'json'];
      const later = (): Date => new Date(Date.now() + 9 * 86_400_000);
      const fresh = await portcullis(args);
      expect(fresh.code).toBe(0);
      expect((JSON.parse(fresh.stdout) as JsonReport).verdict.decision).toBe('allow');
      const stale = await portcullis(args, { now: later });
      expect(stale.code).toBe(0);
      const warned = JSON.parse(stale.stdout) as JsonReport;
      expect(warned.verdict.decision).toBe('warn');
      expect((warned.verdict.warnings ?? []).join('\n')).toMatch(/DB .*9 days old/);
      const policy = join(dbPath, '..', 'stale-deny.yaml');
      await writeFile(policy, 'apiVersion: portcullis/v1\ngates: { maxDbAge: 7d, staleDb: deny }\n');
      const denied = await portcullis([...args, '--policy', policy], { now: later });
      expect(denied.code).toBe(1);
      expect((JSON.parse(denied.stdout) as JsonReport).verdict.reasons.join('\n')).toMatch(/9 days old/);
    });

    describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('the multi test image', () => {
      it('reports exactly the GO-, PYSEC- and RUSTSEC- records whose ranges contain the installed versions', async () => {
        const run = await portcullis([
          'scan',
          `oci:${join(TEST_IMAGES, 'oci')}:multi`,
          '--db',
          dbPath,
          '--format',
          'json',
        ]);
        expect(run.code).toBe(1);
        const report = JSON.parse(run.stdout) as JsonReport;
        const app = report.packages
          .filter((p) => ['Go', 'PyPI', 'crates.io'].includes(p.ecosystem))
          .map((p) => ({ name: p.name, matchName: p.name, version: p.version, ecosystem: p.ecosystem }));
        expect(app.map((p) => `${p.name}@${p.version}`).sort()).toEqual([
          'requests@2.28.1',
          'smallvec@1.6.0',
          'stdlib@1.19.8',
          'time@0.1.43',
          'urllib3@1.26.12',
        ]);
        const expected = expectedFindings(
          records.map((r) => r.record),
          (p) => p.ecosystem,
          app,
        );
        expect(expected.some((k) => k.startsWith('GO-'))).toBe(true);
        expect(expected.some((k) => k.startsWith('PYSEC-'))).toBe(true);
        expect(expected.some((k) => k.startsWith('RUSTSEC-'))).toBe(true);
        // the unsorted-events record from the issue
        expect(expected).toContain('PYSEC-2023-192|urllib3@1.26.12');
        expect(vulnerabilityKeys(report)).toEqual(expected);
        for (const f of report.findings.filter((x) => x.type === 'vulnerability')) {
          expect(f.package?.purl, f.id).toMatch(/^pkg:(golang|pypi|cargo)\//);
          expect(f.location.layerDigest, f.id).toBe(report.image.layers[1]?.digest);
        }
      });
    });
  },
);
