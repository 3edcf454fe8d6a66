import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupByAlias, pickPrimary, toAliases, toOwnSource } from '../../core/src/matchers/aliases.js';
import { firstSentence, matchPackages } from '../../core/src/matchers/match.js';
import type { Package } from '../../core/src/types/index.js';
import { importOsv, openVulnDb, toNvdCves, type OsvRecord } from '../../core/src/vulndb/index.js';
import { FIXTURES } from '../helpers/env.js';

const DIR = join(FIXTURES, 'aliases');
const work = mkdtempSync(join(tmpdir(), 'portcullis-aliases-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function goPackage(name: string, version: string): Package {
  return {
    name,
    version,
    type: 'go-binary',
    ecosystem: 'Go',
    purl: `pkg:golang/${name}@${version}`,
    layerDigest: 'sha256:aa',
    path: '/usr/local/bin/app',
  };
}

const rec = (id: string, aliases: string[] = []): { record: OsvRecord } => ({
  record: { id, modified: '2024-01-01T00:00:00Z', aliases },
});

describe('toNvdCves', () => {
  const read = (name: string): unknown => JSON.parse(readFileSync(join(DIR, 'nvd', name), 'utf8'));

  it("reads a CVE record's primary CVSS v3.1 metric first", () => {
    const [cve] = toNvdCves(read('CVE-2023-39325.json')) ?? [];
    expect(cve?.id).toBe('CVE-2023-39325');
    expect(cve?.metrics[0]).toEqual({
      type: 'CVSS_V3',
      vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
      score: 7.5,
      baseSeverity: 'HIGH',
      primary: true,
    });
  });

  it('keeps a secondary (CISA ADP) metric when NVD has not scored the CVE', () => {
    const [cve] = toNvdCves(read('CVE-2024-24783.json')) ?? [];
    expect(cve?.metrics).toEqual([
      expect.objectContaining({ type: 'CVSS_V3', score: 5.9, baseSeverity: 'MEDIUM', primary: false }),
    ]);
  });

  it('reads an API 2.0 answer and marks rejected CVEs', () => {
    const cve = read('CVE-2023-39325.json');
    const rejected = { id: 'CVE-2099-0001', vulnStatus: 'Rejected', lastModified: 'x', metrics: {} };
    const page = { format: 'NVD_CVE', vulnerabilities: [{ cve }, { cve: rejected }] };
    expect(toNvdCves(page)?.map((c) => [c.id, c.rejected])).toEqual([
      ['CVE-2023-39325', false],
      ['CVE-2099-0001', true],
    ]);
  });

  it('is undefined for an OSV record, even one with a CVE id', () => {
    const osv = JSON.parse(readFileSync(join(DIR, 'osv', 'GO-2023-1752.json'), 'utf8')) as unknown;
    expect(toNvdCves(osv)).toBeUndefined();
    expect(toNvdCves({ id: 'CVE-2020-1', modified: '2020-01-01T00:00:00Z', affected: [] })).toBeUndefined();
  });
});

describe('grouping records that alias each other', () => {
  it('groups transitively through shared aliases and keeps the rest apart', () => {
    const groups = groupByAlias([
      rec('GHSA-aaaa', ['CVE-1']),
      rec('PYSEC-1', ['CVE-1']),
      rec('PYSEC-2', ['CVE-2']),
      rec('GHSA-bbbb', ['CVE-2', 'CVE-3']),
      rec('OSV-3', ['CVE-3']),
    ]);
    expect(groups.map((g) => g.map((x) => x.record.id))).toEqual([
      ['GHSA-aaaa', 'PYSEC-1'],
      ['PYSEC-2', 'GHSA-bbbb', 'OSV-3'],
    ]);
  });

  it("names the finding after the package's own database, then GHSA, then CVE", () => {
    expect(pickPrimary([rec('GHSA-x'), rec('GO-2023-1'), rec('CVE-1')]).record.id).toBe('GO-2023-1');
    expect(pickPrimary([rec('CVE-1'), rec('GHSA-x')]).record.id).toBe('GHSA-x');
    const records = [rec('GO-1', ['GHSA-x', 'CVE-1']).record, rec('GHSA-x', ['CVE-1']).record];
    expect(toAliases('GO-1', records)).toEqual(['CVE-1', 'GHSA-x']);
  });

  it('names the source of an own severity after the database', () => {
    expect(toOwnSource('PYSEC-2023-192', 'PyPI')).toBe('pysec');
    expect(toOwnSource('CVE-2020-1', 'Alpine:v3.11')).toBe('alpine');
  });
});

describe('firstSentence', () => {
  it('ends at the first full stop followed by a space, not inside a version', () => {
    expect(firstSentence('Go 1.20.4 mishandles X. More words follow.')).toBe('Go 1.20.4 mishandles X.');
    expect(firstSentence('\n\nNo stop at all')).toBe('No stop at all');
    expect(firstSentence(undefined)).toBeUndefined();
  });

  it('passes over a package describing itself, but only when a sentence about the flaw follows', () => {
    expect(
      firstSentence(
        "urllib3 is a user-friendly HTTP client library for Python. urllib3 doesn't treat the `Cookie` header specially.",
      ),
    ).toBe("urllib3 doesn't treat the `Cookie` header specially.");
    expect(firstSentence('Requests is a HTTP library.')).toBe('Requests is a HTTP library.');
    // a sentence that merely starts like one but names the flaw stays
    expect(firstSentence('Go 1.20 is vulnerable to X. More.')).toBe('Go 1.20 is vulnerable to X.');
  });
});

describe('matchPackages with alias data', () => {
  let full: string;
  let osvOnly: string;
  beforeAll(() => {
    full = join(work, 'full.sqlite');
    osvOnly = join(work, 'osv.sqlite');
    const result = importOsv(full, [join(DIR, 'osv'), join(DIR, 'ghsa'), join(DIR, 'nvd')]);
    expect(result).toMatchObject({ imported: 3, cves: 3, skipped: [] });
    importOsv(osvOnly, [join(DIR, 'osv')]);
  });

  it('scores the standard library from GHSA, then NVD', () => {
    const db = openVulnDb(full);
    const { findings } = matchPackages(db, [goPackage('stdlib', 'go1.19.8')], undefined);
    db.close();
    const byId = Object.fromEntries(findings.map((f) => [f.id, f]));
    expect(Object.keys(byId).sort()).toEqual(['GO-2023-1752', 'GO-2023-2102']);
    expect(byId['GO-2023-2102']).toMatchObject({ severity: 'high', severitySource: 'ghsa' });
    expect(byId['GO-2023-1752']).toMatchObject({
      severity: 'critical',
      severitySource: 'nvd',
      aliases: ['CVE-2023-24540'],
      cvss: [{ type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 }],
    });
  });

  it('leaves them unknown without alias data (the control)', () => {
    const db = openVulnDb(osvOnly);
    const { findings } = matchPackages(db, [goPackage('stdlib', 'go1.19.8')], undefined);
    db.close();
    expect(findings.map((f) => [f.id, f.severity, f.severitySource])).toEqual([
      ['GO-2023-1752', 'unknown', undefined],
      ['GO-2023-2102', 'unknown', undefined],
    ]);
  });

  it('gives one finding for two records of one vulnerability on one package', () => {
    const db = openVulnDb(full);
    const { findings } = matchPackages(db, [goPackage('golang.org/x/net', 'v0.7.0')], undefined);
    db.close();
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'GO-2023-2102',
      aliases: ['CVE-2023-39325', 'GHSA-4374-p667-p6c8'],
      severity: 'high',
      severitySource: 'ghsa',
      title: 'HTTP/2 rapid reset can cause excessive work in net/http',
    });
  });

  it('still opens a DB built before the alias tables, finding GHSA aliases by id', () => {
    const old = join(work, 'old.sqlite');
    importOsv(old, [join(DIR, 'osv'), join(DIR, 'ghsa')]);
    const raw = new Database(old);
    raw.exec('DROP TABLE record_aliases; DROP TABLE nvd_cves;');
    raw.close();
    const db = openVulnDb(old);
    expect(db.aliasIndexed).toBe(false);
    const { findings } = matchPackages(db, [goPackage('stdlib', 'go1.19.8')], undefined);
    db.close();
    expect(findings.map((f) => [f.id, f.severity])).toEqual([
      ['GO-2023-1752', 'unknown'],
      ['GO-2023-2102', 'high'],
    ]);
  });

  it('fills the alias index of records imported before it existed on the next import', () => {
    const old = join(work, 'backfill.sqlite');
    importOsv(old, [join(DIR, 'ghsa')]);
    const raw = new Database(old);
    raw.exec("DELETE FROM record_aliases; DELETE FROM meta WHERE key = 'alias_index';");
    raw.close();
    importOsv(old, [join(DIR, 'nvd')]);
    const check = new Database(old, { readonly: true });
    const rows = check.prepare('SELECT alias, record_id FROM record_aliases').all();
    check.close();
    expect(rows).toEqual([{ alias: 'CVE-2023-39325', record_id: 'GHSA-4374-p667-p6c8' }]);
  });
});
