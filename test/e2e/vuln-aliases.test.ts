// Issue 16 through the public CLI: on the `multi` image with the shared OSV (go, pypi, crates.io), GHSA and
// NVD records imported, every vulnerability is found once, under its own database's id, with a severity
// borrowed from its aliases where its own record has none, and the aliases and the severity's source show in
// every format.
import { readFileSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  haveTestImages,
  NO_IMAGES_REASON,
  NO_SHARED_REASON,
  SHARED_DATA,
  skipReason,
  TEST_IMAGES,
} from '../helpers/env.js';
import { createScratch, createValidators, portcullis, toSchemaErrors } from './helpers.js';

interface Finding {
  id: string;
  severity: string;
  title: string;
  aliases?: string[];
  severitySource?: string;
  location: { path?: string };
  package?: { name: string };
  suppressedBy?: unknown;
}
interface Report {
  findings: Finding[];
  verdict: { decision: string; reasons: string[] };
}

const ready = haveTestImages && SHARED_DATA !== undefined;
const reason = !haveTestImages ? NO_IMAGES_REASON : NO_SHARED_REASON;

describe.skipIf(!ready && skipReason(reason))('vulnerability aliases and severity on the multi image', () => {
  const shared = SHARED_DATA as string;
  const image = `docker-archive:${join(TEST_IMAGES, 'docker-multi.tar')}`;
  let scratch: Awaited<ReturnType<typeof createScratch>>;
  let db: string;
  let osvOnly: string;
  let report: Report;

  beforeAll(async () => {
    scratch = await createScratch('aliases');
    db = join(scratch.dir, 'db.sqlite');
    osvOnly = join(scratch.dir, 'osv-only.sqlite');
    const osv = ['go', 'pypi', 'crates.io'].map((d) => join(shared, 'osv', d));
    const full = await portcullis([
      'db',
      'import',
      ...osv,
      join(shared, 'ghsa'),
      join(shared, 'nvd'),
      '--db',
      db,
    ]);
    expect(full.stderr).toBe('');
    expect(full.stdout).toMatch(/and 85 NVD CVE records/);
    const bare = await portcullis(['db', 'import', ...osv, '--db', osvOnly]);
    expect(bare.code).toBe(0);
    const run = await portcullis(['scan', image, '--db', db, '--scanners', 'vuln', '--format', 'json']);
    expect(run.code).toBe(1); // the default policy denies
    report = JSON.parse(run.stdout) as Report;
  }, 180_000);

  afterAll(async () => {
    await scratch?.cleanup();
  });

  it('finds 85 vulnerabilities, each once, none with an unknown severity, each with its source', () => {
    const ids = report.findings.map((f) => f.id);
    expect(ids).toHaveLength(85);
    expect(new Set(ids).size).toBe(85);
    expect(report.findings.filter((f) => f.severity === 'unknown').map((f) => f.id)).toEqual([]);
    expect(report.findings.filter((f) => f.severitySource === undefined)).toEqual([]);
    // the package's own database names the finding: GHSA records are aliases, never the id
    expect(ids.filter((id) => id.startsWith('GHSA-'))).toEqual([]);
  });

  it('without GHSA and NVD data the same scan leaves the standard library unscored (the control)', async () => {
    const run = await portcullis(['scan', image, '--db', osvOnly, '--scanners', 'vuln', '--format', 'json']);
    const bare = JSON.parse(run.stdout) as Report;
    expect(bare.findings.filter((f) => f.severity === 'unknown').length).toBeGreaterThan(70);
  });

  it('takes the ecosystem score first, then GHSA, then NVD', () => {
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    // PYSEC-2023-192 has its own CVSS (8.1, high); its GHSA alias says moderate: the own score wins
    expect(byId.get('PYSEC-2023-192')).toMatchObject({ severity: 'high', severitySource: 'pysec' });
    // PYSEC-2023-74 has none: GHSA-j8r2-6x86-q33q's MODERATE
    expect(byId.get('PYSEC-2023-74')).toMatchObject({ severity: 'medium', severitySource: 'ghsa' });
    // GO-2023-2102's GHSA alias names golang.org/x/net only, yet gives the stdlib finding its HIGH
    expect(byId.get('GO-2023-2102')).toMatchObject({ severity: 'high', severitySource: 'ghsa' });
    // GO-2023-1752 (CVE-2023-24540): only NVD scores it, 9.8
    expect(byId.get('GO-2023-1752')).toMatchObject({ severity: 'critical', severitySource: 'nvd' });
  });

  it('agrees with the NVD file for every finding whose severity came from NVD', () => {
    const nvd = new Map(
      readdirSync(join(shared, 'nvd'))
        .filter((n) => n.endsWith('.json'))
        .map((n) => {
          const cve = JSON.parse(readFileSync(join(shared, 'nvd', n), 'utf8')) as {
            id: string;
            metrics: { cvssMetricV31?: { type: string; cvssData: { baseSeverity: string } }[] };
          };
          const metrics = cve.metrics.cvssMetricV31 ?? [];
          const chosen = metrics.find((m) => m.type === 'Primary') ?? metrics[0];
          return [cve.id, chosen?.cvssData.baseSeverity.toLowerCase()];
        }),
    );
    const fromNvd = report.findings.filter((f) => f.severitySource === 'nvd');
    expect(fromNvd.length).toBeGreaterThan(60);
    for (const f of fromNvd) {
      const cve = (f.aliases ?? []).find((a) => a.startsWith('CVE-')) as string;
      expect(f.severity, `${f.id} ${cve}`).toBe(nvd.get(cve));
    }
  });

  it('merges records that alias each other into one finding under the own id', () => {
    const urllib3 = report.findings.filter((f) => f.package?.name === 'urllib3');
    expect(urllib3.map((f) => f.id).sort()).toEqual(['PYSEC-2023-192', 'PYSEC-2023-212']);
    const f192 = urllib3.find((f) => f.id === 'PYSEC-2023-192');
    expect(f192?.aliases).toEqual(expect.arrayContaining(['CVE-2023-43804', 'GHSA-v845-jxx5-vc9f']));
    const smallvec = report.findings.filter((f) => f.package?.name === 'smallvec');
    expect(smallvec.map((f) => f.id)).toEqual(['RUSTSEC-2021-0003']);
  });

  it('denies on the high and critical ones with the default policy', () => {
    const high = report.findings.filter((f) => f.severity === 'high' || f.severity === 'critical');
    expect(high.length).toBeGreaterThan(30);
    expect(report.verdict.decision).toBe('deny');
    expect(report.verdict.reasons.join('\n')).toMatch(/critical vulnerabilities: .*deny ≥ high/);
  });

  it('suppresses a finding by an exception on any of its aliases, and only that one', async () => {
    const policy = join(scratch.dir, 'policy.yaml');
    await writeFile(
      policy,
      'apiVersion: portcullis/v1\nexceptions:\n  - id: CVE-2023-24540\n    reason: not reachable\n',
    );
    const run = await portcullis([
      'scan',
      image,
      '--db',
      db,
      '--scanners',
      'vuln',
      '--format',
      'json',
      '--policy',
      policy,
    ]);
    const r = JSON.parse(run.stdout) as Report;
    const suppressed = r.findings.filter((f) => f.suppressedBy !== undefined).map((f) => f.id);
    expect(suppressed).toEqual(['GO-2023-1752']);
  });

  it('shows aliases and the severity source in every format, each valid against its schema', async () => {
    const validators = createValidators();
    const args = ['scan', image, '--db', db, '--scanners', 'vuln', '--format'];
    const out: Record<string, string> = {};
    for (const format of ['table', 'sarif', 'gitlab', 'cyclonedx', 'markdown', 'json']) {
      out[format] = (await portcullis([...args, format])).stdout;
    }
    for (const format of ['sarif', 'gitlab', 'cyclonedx', 'json'] as const) {
      expect(toSchemaErrors(validators[format], JSON.parse(out[format] as string)), format).toEqual([]);
    }
    // table: the Go binary that carries the standard library, the aliases and the source
    expect(out.table).toMatch(
      /CRITICAL \(nvd\)\s+GO-2023-1752 \(CVE-2023-24540\)\s+stdlib \(\/usr\/local\/bin\/registry\)/,
    );
    expect(out.markdown).toContain(
      '| critical (nvd) | `GO-2023-1752 (CVE-2023-24540)` | `stdlib (/usr/local/bin/registry)` |',
    );
    const sarif = JSON.parse(out.sarif as string) as {
      runs: { results: { ruleId: string; properties: { aliases?: string[]; severitySource?: string } }[] }[];
    };
    const sr = sarif.runs[0]?.results.find((x) => x.ruleId === 'GO-2023-1752');
    expect(sr?.properties).toMatchObject({ aliases: ['CVE-2023-24540'], severitySource: 'nvd' });
    const gitlab = JSON.parse(out.gitlab as string) as {
      vulnerabilities: {
        identifiers: { value: string }[];
        details?: { severity_source?: { value: string } };
      }[];
    };
    const gv = gitlab.vulnerabilities.find((v) => v.identifiers[0]?.value === 'GO-2023-1752');
    expect(gv?.identifiers.map((i) => i.value)).toEqual(['GO-2023-1752', 'CVE-2023-24540']);
    expect(gv?.details?.severity_source?.value).toBe('nvd');
    const bom = JSON.parse(out.cyclonedx as string) as {
      vulnerabilities: {
        id: string;
        references?: { id: string }[];
        ratings: { source?: { name: string } }[];
      }[];
    };
    const cv = bom.vulnerabilities.find((v) => v.id === 'GO-2023-1752');
    expect(cv?.references?.map((x) => x.id)).toEqual(['CVE-2023-24540']);
    expect(cv?.ratings[0]?.source?.name).toBe('nvd');
  }, 120_000);

  it('titles each finding from its summary or the first sentence of its details', () => {
    for (const f of report.findings) {
      expect(f.title, f.id).not.toMatch(/ in (stdlib|requests|urllib3|smallvec|time)$/);
      expect(f.title.length, f.id).toBeGreaterThan(10);
    }
  });
});
