import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { isReportFormat, renderReport, toGitlabTime } from '../../core/src/report/index.js';
import type { ReportFormat } from '../../core/src/report/index.js';
import { evaluateWithExceptions, NOW, options, readMultiScan } from './helpers.js';

const scan = readMultiScan();
const denied = evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW });
const excepted = evaluateWithExceptions(scan);

function json<T>(format: ReportFormat, ev = excepted, extra = {}): T {
  return JSON.parse(renderReport(format, scan, ev, options(extra))) as T;
}

describe('renderReport', () => {
  it('throws REPORT_FORMAT_UNKNOWN for an unknown format', () => {
    expect(() => renderReport('html' as ReportFormat, scan, denied, options())).toThrow(
      expect.objectContaining({ code: 'REPORT_FORMAT_UNKNOWN' }),
    );
    expect(isReportFormat('sarif')).toBe(true);
    expect(isReportFormat('html')).toBe(false);
  });

  describe('json', () => {
    interface Report {
      schemaVersion: number;
      image: Record<string, unknown>;
      findings: { id: string; suppressedBy?: { reason: string } }[];
      verdict: Record<string, unknown>;
      packages: unknown[];
      notes: unknown[];
      remediation: { dockerfile: string[] };
    }
    it('follows the DESIGN.md contract', () => {
      const r = json<Report>('json');
      expect(Object.keys(r)).toEqual([
        'schemaVersion',
        'scannedAt',
        'analyzers',
        'image',
        'packages',
        'findings',
        'verdict',
        'remediation',
        'notes',
      ]);
      expect(r.schemaVersion).toBe(1);
      expect(Object.keys(r.image)).toEqual(['ref', 'digest', 'configDigest', 'os', 'layers']);
      expect(Object.keys(r.verdict)).toEqual([
        'decision',
        'reasons',
        'policyDigest',
        'dbBuiltAt',
        'warnings',
        'counts',
      ]);
      expect(r.findings.find((f) => f.id === 'CVE-2022-48303')?.suppressedBy?.reason).toBe(
        'tar is never fed untrusted archives',
      );
    });
    it('filters what is reported without changing the verdict', () => {
      const all = json<Report>('json');
      const some = json<Report>('json', excepted, { severity: 'high', includeSuppressed: false });
      expect(some.findings.length).toBeLessThan(all.findings.length);
      expect(some.findings.every((f) => f.suppressedBy === undefined)).toBe(true);
      expect(some.verdict).toEqual(all.verdict);
    });
  });

  describe('sarif', () => {
    interface Sarif {
      runs: {
        tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } };
        results: {
          ruleId: string;
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string; uriBaseId?: string };
              region: { startLine: number };
            };
          }[];
          partialFingerprints: { primaryLocationLineHash: string };
          suppressions?: { justification: string }[];
        }[];
      }[];
    }
    const run = json<Sarif>('sarif').runs[0];
    const result = (id: string) => run?.results.find((r) => r.ruleId === id);
    it('locates Dockerfile findings on their lines in the repository', () => {
      const loc = result('DS-0002')?.locations[0]?.physicalLocation;
      expect(loc?.artifactLocation).toEqual({ uri: 'Dockerfile' });
      expect(loc?.region.startLine).toBe(7);
    });
    it('locates image findings at their in-image path relative to IMAGE', () => {
      expect(
        result('PCS-SECRET-AWS-SECRET-ACCESS-KEY')?.locations[0]?.physicalLocation.artifactLocation,
      ).toEqual({
        uri: 'app/.env',
        uriBaseId: 'IMAGE',
      });
      expect(result('PCS-BUILD-CURL-PIPE-SH')?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
        '.image/history/1',
      );
    });
    it('gives every rule a security-severity and every result a fingerprint', () => {
      for (const rule of run?.tool.driver.rules ?? []) {
        expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
      }
      const hashes = run?.results.map((r) => r.partialFingerprints.primaryLocationLineHash) ?? [];
      expect(new Set(hashes).size).toBe(hashes.length);
    });
    it('keeps fingerprints when unrelated findings change', () => {
      const fewer = { ...scan, findings: scan.findings.filter((f) => f.type !== 'baseline') };
      const other = JSON.parse(
        renderReport('sarif', fewer, evaluatePolicy(fewer, DEFAULT_POLICY, { now: NOW }), options()),
      ) as Sarif;
      const a = result('DS-0002')?.partialFingerprints;
      expect(other.runs[0]?.results.find((r) => r.ruleId === 'DS-0002')?.partialFingerprints).toEqual(a);
    });
    it('marks suppressed findings with the exception reason', () => {
      expect(result('PCS-MALWARE-EICAR-TEST-FILE')?.suppressions).toEqual([
        { kind: 'external', status: 'accepted', justification: 'EICAR is the AV self-test' },
      ]);
    });
  });

  describe('gitlab', () => {
    interface Gl {
      scan: { start_time: string; end_time: string };
      vulnerabilities: {
        id: string;
        identifiers: { name: string }[];
        location: { image: string; operating_system: string };
      }[];
    }
    const r = json<Gl>('gitlab');
    it('writes times without Z or fractions', () => {
      expect(r.scan.start_time).toBe('2026-11-27T12:00:00');
      expect(toGitlabTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05');
    });
    it('lists only unsuppressed vulnerabilities, with injected ids and aliases as identifiers', () => {
      expect(r.vulnerabilities.map((v) => v.identifiers[0]?.name)).toEqual([
        'CVE-2023-4911',
        'CVE-2024-5535',
      ]);
      expect(r.vulnerabilities[0]?.id).toBe('00000000-0000-4000-8000-000000000001');
      expect(r.vulnerabilities[0]?.location).toMatchObject({
        image: scan.image.ref,
        operating_system: 'debian 12.8',
      });
      const withSuppressed = json<Gl>('gitlab', excepted, { includeSuppressed: true });
      const lodash = withSuppressed.vulnerabilities.find(
        (v) => v.identifiers[0]?.name === 'GHSA-35jh-r3h4-6jhm',
      );
      expect(lodash?.identifiers.map((i) => i.name)).toEqual(['GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337']);
    });
  });

  describe('codequality', () => {
    const issues =
      json<{ check_name: string; severity: string; location: { path: string; lines: { begin: number } } }[]>(
        'codequality',
      );
    it('lists non-vulnerability findings, Dockerfile ones on their lines', () => {
      expect(issues.some((i) => i.check_name.startsWith('CVE-'))).toBe(false);
      expect(issues.find((i) => i.check_name === 'DS-0002')?.location).toEqual({
        path: 'Dockerfile',
        lines: { begin: 7, end: 7 },
      });
      expect(issues.find((i) => i.check_name === 'PCS-SECRET-PRIVATE-KEY')?.severity).toBe('blocker');
    });
  });

  describe('cyclonedx', () => {
    interface Bom {
      serialNumber: string;
      components: {
        'bom-ref': string;
        type: string;
        purl?: string;
        properties?: { name: string; value: string }[];
      }[];
      vulnerabilities: {
        id: string;
        affects: { ref: string }[];
        analysis?: { state: string; detail: string };
      }[];
    }
    const bom = json<Bom>('cyclonedx');
    it('has the OS and every package with its purl and layer', () => {
      expect(bom.serialNumber).toBe('urn:uuid:00000000-0000-4000-8000-000000000001');
      expect(bom.components[0]).toMatchObject({ type: 'operating-system', 'bom-ref': 'os' });
      const libc = bom.components.find((c) => c.purl?.startsWith('pkg:deb/debian/libc6@'));
      expect(libc?.properties).toContainEqual({
        name: 'portcullis:layer:digest',
        value: scan.packages[0]?.layerDigest,
      });
    });
    it('points vulnerabilities at their components and records exceptions as VEX analysis', () => {
      const refs = new Set(bom.components.map((c) => c['bom-ref']));
      for (const v of bom.vulnerabilities) for (const a of v.affects) expect(refs.has(a.ref)).toBe(true);
      expect(bom.vulnerabilities.find((v) => v.id === 'CVE-2022-48303')?.analysis).toEqual({
        state: 'not_affected',
        detail: 'tar is never fed untrusted archives; owner: platform; ticket: SEC-7',
      });
      expect(bom.vulnerabilities.find((v) => v.id === 'GHSA-35jh-r3h4-6jhm')?.analysis?.state).toBe(
        'in_triage',
      );
      expect(bom.vulnerabilities.find((v) => v.id === 'CVE-2023-4911')?.analysis).toBeUndefined();
    });
  });

  describe('table', () => {
    it('has no ANSI codes unless asked, and strips control characters from data', () => {
      const evil = readMultiScan();
      const f = evil.findings[0];
      if (f) f.title = 'nice\u001b]0;pwned\u0007title\r\nline';
      const ev = evaluatePolicy(evil, DEFAULT_POLICY, { now: NOW });
      const out = renderReport('table', evil, ev, options());
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
      expect(out).toContain('nice ]0;pwned title line');
    });
  });

  describe('markdown', () => {
    it('escapes HTML and table syntax from data', () => {
      const evil = readMultiScan();
      const f = evil.findings[0];
      if (f) f.title = '<img src=x onerror=alert(1)> | injected';
      const out = renderReport(
        'markdown',
        evil,
        evaluatePolicy(evil, DEFAULT_POLICY, { now: NOW }),
        options(),
      );
      expect(out).not.toMatch(/(?<!\\)<img/);
      expect(out).toContain('\\<img src=x onerror=alert(1)\\> \\| injected');
    });
    it('stays under the size cap and says what it left out', () => {
      const big = readMultiScan();
      const base = big.findings[0];
      if (base) {
        big.findings = Array.from({ length: 2000 }, (_, i) => ({ ...base, id: `CVE-2099-${10000 + i}` }));
      }
      const out = renderReport(
        'markdown',
        big,
        evaluatePolicy(big, DEFAULT_POLICY, { now: NOW }),
        options({ maxChars: 8000 }),
      );
      expect(out.length).toBeLessThanOrEqual(8000);
      expect(out).toMatch(/left out to stay under 8000 characters|… and \d+ more/);
    });
  });
});
