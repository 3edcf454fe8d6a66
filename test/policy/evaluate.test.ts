import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy, parsePolicy, policyDigest } from '../../core/src/policy/index.js';
import type { Policy } from '../../core/src/policy/index.js';
import { daysFrom, NOW, readMultiScan } from './helpers.js';

function policy(yaml: string): Policy {
  return parsePolicy(`apiVersion: portcullis/v1\n${yaml}`);
}

describe('evaluatePolicy', () => {
  describe('with the default policy on the multi image', () => {
    const scan = readMultiScan();
    const { verdict, findings } = evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW });

    it('denies', () => {
      expect(verdict.decision).toBe('deny');
    });
    it('gives human reasons, most severe first, naming the findings and the gate', () => {
      expect(verdict.reasons[0]).toBe(
        '2 critical sensitive files: PCS-SECRET-PRIVATE-KEY at /root/.ssh/id_rsa:1, PCS-SECRET-AWS-SECRET-ACCESS-KEY at /app/.env:1 (deny ≥ high)',
      );
      expect(verdict.reasons).toContain(
        '1 critical malicious sample: PCS-MALWARE-EICAR-TEST-FILE at /opt/miner/eicar.com (deny ≥ high)',
      );
      expect(verdict.reasons).toContain(
        '2 high vulnerabilities: CVE-2023-4911 in libc6, GHSA-35jh-r3h4-6jhm in lodash (deny ≥ high)',
      );
      expect(verdict.reasons).toContain(
        '2 high baseline risks: PCS-BASELINE-ROOT-USER in config.User, PCS-BASELINE-EMPTY-PASSWORD at /etc/shadow:6 (deny ≥ high)',
      );
      expect(
        verdict.reasons.some((r) =>
          r.startsWith('1 medium vulnerability: CVE-2024-5535 in libssl3 (warn ≥ medium)'),
        ),
      ).toBe(true);
    });
    it('counts unsuppressed findings by type and severity', () => {
      expect(verdict.counts).toEqual({
        byType: {
          vulnerability: 4,
          'sensitive-file': 3,
          'malicious-sample': 1,
          baseline: 4,
          'build-instruction': 3,
        },
        bySeverity: { critical: 3, high: 7, medium: 3, low: 2 },
        suppressed: 0,
      });
    });
    it('records digest, DB time, analyzers and times', () => {
      expect(verdict.policyDigest).toBe(policyDigest(DEFAULT_POLICY));
      expect(verdict.dbBuiltAt).toBe('2026-11-25T03:00:00Z');
      expect(verdict.analyzerVersions).toEqual(scan.analyzers);
      expect(verdict.scannedAt).toBe(scan.scannedAt);
      expect(verdict.evaluatedAt).toBe(NOW.toISOString());
      expect(verdict.imageDigest).toBe(scan.image.digest);
    });
    it('repeats scan notes as warnings', () => {
      expect(verdict.warnings).toEqual([
        expect.stringMatching(/^note ANALYZER_PARSE_FAILED: could not parse/),
      ]);
    });
    it('does not mutate the scan result', () => {
      expect(scan).toEqual(readMultiScan());
      expect(findings.every((f) => f.suppressedBy === undefined)).toBe(true);
    });
  });

  describe('with exceptions by id for every finding', () => {
    const scan = readMultiScan();
    const ids = scan.findings.map((f) => f.id);
    const p = policy(
      `exceptions:\n${ids.map((id) => `  - { id: ${id}, reason: "accepted ${id}", owner: sec, ticket: SEC-1 }`).join('\n')}\n`,
    );
    const ev = evaluatePolicy(scan, p, { now: NOW });
    it('allows', () => {
      expect(ev.verdict.decision).toBe('allow');
      expect(ev.verdict.reasons).toEqual([]);
    });
    it('keeps every finding, marked with the entry that suppressed it', () => {
      expect(ev.findings).toHaveLength(scan.findings.length);
      ev.findings.forEach((f, i) => {
        expect(f.suppressedBy).toEqual({
          index: i,
          reason: `accepted ${f.id}`,
          owner: 'sec',
          ticket: 'SEC-1',
        });
      });
      expect(ev.verdict.counts).toEqual({ byType: {}, bySeverity: {}, suppressed: scan.findings.length });
    });
    it('matches id globs case-insensitively', () => {
      const e = evaluatePolicy(scan, policy('exceptions: [{ id: "pcs-secret-*", reason: glob }]\n'), {
        now: NOW,
      });
      expect(e.findings.filter((f) => f.suppressedBy).map((f) => f.id)).toEqual([
        'PCS-SECRET-PRIVATE-KEY',
        'PCS-SECRET-AWS-SECRET-ACCESS-KEY',
        'PCS-SECRET-ALIBABA-ACCESS-KEY-PAIR',
      ]);
    });
    it('also matches a vulnerability by its alias', () => {
      const e = evaluatePolicy(scan, policy('exceptions: [{ id: CVE-2021-23337, reason: alias }]\n'), {
        now: NOW,
      });
      expect(e.findings.find((f) => f.id === 'GHSA-35jh-r3h4-6jhm')?.suppressedBy?.reason).toBe('alias');
    });
  });

  describe('with exceptions by path glob', () => {
    const scan = readMultiScan();
    const p = policy(`exceptions:
  - { path: "/var/lib/dpkg/status", reason: "OS packages: rebuilt weekly" }
  - { path: "app/**", reason: "application tree is test data" }
  - { path: ["/root/.ssh/*", "/opt/miner/*"], reason: "planted fixtures" }
  - { path: "/etc/**", reason: "config fixtures" }
  - { path: "/usr/local/bin/suidbash", reason: "needed setuid" }
  - { path: "Dockerfile", reason: "Dockerfile reviewed" }
  - { type: [baseline, build-instruction], id: ["PCS-BASELINE-ROOT-USER", "PCS-BUILD-*"], reason: "image-level, accepted" }
`);
    const ev = evaluatePolicy(scan, p, { now: NOW });
    it('allows, every finding with a path suppressed by a path entry', () => {
      expect(ev.verdict.decision).toBe('allow');
      for (const f of ev.findings) {
        expect(f.suppressedBy, f.id).toBeDefined();
        if (f.location.path !== undefined) expect(f.suppressedBy?.index).toBeLessThan(6);
      }
      expect(ev.findings.find((f) => f.location.path === '/app/.env')?.suppressedBy?.reason).toBe(
        'application tree is test data',
      );
    });
    it('does not let a glob cross into other directories', () => {
      const e = evaluatePolicy(scan, policy('exceptions: [{ path: "/root/*", reason: r }]\n'), { now: NOW });
      expect(e.findings.find((f) => f.location.path === '/root/.ssh/id_rsa')?.suppressedBy).toBeUndefined();
    });
  });

  describe('with an exception by image glob', () => {
    const scan = readMultiScan();
    const p = policy(
      'exceptions:\n  - { id: "*", images: ["127.0.0.1:5000/fixtures/*"], reason: "fixture image, never deployed" }\n',
    );
    it('allows that image, listing every finding as suppressed with the reason', () => {
      const ev = evaluatePolicy(scan, p, { now: NOW });
      expect(ev.verdict.decision).toBe('allow');
      expect(ev.findings.map((f) => f.suppressedBy?.reason)).toEqual(
        scan.findings.map(() => 'fixture image, never deployed'),
      );
    });
    it('still denies another image evaluated with the same findings', () => {
      const ev = evaluatePolicy(scan, p, {
        now: NOW,
        image: { ref: 'registry.example.com/fixtures/debian:multi' },
      });
      expect(ev.verdict.decision).toBe('deny');
      expect(ev.verdict.counts.suppressed).toBe(0);
    });
    it('normalises Docker Hub references and globs', () => {
      const hub = policy('exceptions: [{ id: "*", images: ["nginx:*"], reason: r }]\n');
      const ev = evaluatePolicy(scan, hub, { now: NOW, image: { ref: 'docker.io/library/nginx:1.25' } });
      expect(ev.verdict.decision).toBe('allow');
      const ev2 = evaluatePolicy(scan, hub, { now: NOW, image: { ref: 'nginx:1.25' } });
      expect(ev2.verdict.decision).toBe('allow');
      const other = evaluatePolicy(scan, hub, { now: NOW, image: { ref: 'myorg/nginx:1.25' } });
      expect(other.verdict.decision).toBe('deny');
    });
    it('matches repositories, registries and digests', () => {
      for (const sel of [
        'repositories: ["127.0.0.1:5000/fixtures/debian"]',
        'registries: ["127.0.0.1:*"]',
        `digest: "${scan.image.digest ?? ''}"`,
      ]) {
        expect(
          evaluatePolicy(scan, policy(`exceptions: [{ id: "*", ${sel}, reason: r }]\n`), { now: NOW }).verdict
            .decision,
          sel,
        ).toBe('allow');
      }
      expect(
        evaluatePolicy(scan, policy('exceptions: [{ id: "*", registries: ["docker.io"], reason: r }]\n'), {
          now: NOW,
        }).verdict.decision,
      ).toBe('deny');
    });
  });

  describe('with namespace-scoped exceptions', () => {
    const scan = readMultiScan();
    const p = policy('exceptions: [{ id: "*", namespaces: ["team-*"], reason: "sandbox namespaces" }]\n');
    it('apply only when evaluated for a matching namespace', () => {
      expect(evaluatePolicy(scan, p, { now: NOW }).verdict.decision).toBe('deny');
      expect(evaluatePolicy(scan, p, { now: NOW, namespace: 'prod' }).verdict.decision).toBe('deny');
      expect(evaluatePolicy(scan, p, { now: NOW, namespace: 'team-a' }).verdict.decision).toBe('allow');
    });
  });

  describe('with package selectors', () => {
    const scan = readMultiScan();
    it('matches by name, source name, purl with and without version', () => {
      const cases: [string, boolean][] = [
        ['package: libc6', true],
        ['package: glibc', true],
        ['package: "pkg:deb/debian/libc6"', true],
        ['package: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1"', true],
        ['package: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u3"', false],
        ['package: { name: libc6, version: "2.36-9+deb12u1" }', true],
        ['package: { name: libc6, version: "2.36-9" }', false],
        ['package: "pkg:npm/libc6"', false],
      ];
      for (const [sel, expected] of cases) {
        const ev = evaluatePolicy(scan, policy(`exceptions: [{ ${sel}, reason: r }]\n`), { now: NOW });
        expect(ev.findings.find((f) => f.id === 'CVE-2023-4911')?.suppressedBy !== undefined, sel).toBe(
          expected,
        );
      }
    });
  });

  describe('with expiring exceptions', () => {
    const scan = readMultiScan();
    const all = (expires: string): Policy =>
      policy(
        `exceptions:\n  - { id: "*", images: ["127.0.0.1:5000/**"], reason: "temporary", expires: "${expires}" }\n`,
      );

    it('an expired entry no longer suppresses, and says so', () => {
      const ev = evaluatePolicy(scan, all(daysFrom(NOW, -1)), { now: NOW });
      expect(ev.verdict.decision).toBe('deny');
      expect(ev.verdict.counts.suppressed).toBe(0);
      expect(ev.verdict.warnings).toContain(
        `exception #0 (*, 127.0.0.1:5000/**) expired ${daysFrom(NOW, -1)} and no longer suppresses 15 findings`,
      );
    });
    it('a date expires at 00:00 UTC that day', () => {
      expect(evaluatePolicy(scan, all('2026-11-27'), { now: NOW }).verdict.counts.suppressed).toBe(0);
      expect(evaluatePolicy(scan, all('2026-11-28'), { now: NOW }).verdict.counts.suppressed).toBe(15);
    });
    it('one expiring in 5 days still suppresses but warns', () => {
      const ev = evaluatePolicy(scan, all(daysFrom(NOW, 5)), { now: new Date('2026-11-27T00:00:00Z') });
      expect(ev.verdict.counts.suppressed).toBe(15);
      expect(ev.verdict.decision).toBe('warn');
      const msg = `exception #0 (*, 127.0.0.1:5000/**) expires ${daysFrom(NOW, 5)} (in 5 days); it suppresses 15 findings`;
      expect(ev.verdict.warnings).toContain(msg);
      expect(ev.verdict.reasons).toEqual([msg]);
    });
    it('one expiring after the warning window is quiet', () => {
      const ev = evaluatePolicy(scan, all(daysFrom(NOW, 30)), { now: NOW });
      expect(ev.verdict.decision).toBe('allow');
    });
    it('an unreadable expiry (policy built in code, not validated) fails closed', () => {
      const p: Policy = {
        apiVersion: 'portcullis/v1',
        exceptions: [{ id: '*', images: ['127.0.0.1:5000/**'], reason: 'r', expires: 'soon' }],
      };
      const ev = evaluatePolicy(scan, p, { now: NOW });
      expect(ev.verdict.decision).toBe('deny');
      expect(ev.verdict.counts.suppressed).toBe(0);
    });
    it('the warning window is configurable', () => {
      const p = policy(
        `gates: { expiryWarning: 3d }\nexceptions:\n  - { id: "*", images: ["127.0.0.1:5000/**"], reason: t, expires: "${daysFrom(NOW, 5)}" }\n`,
      );
      expect(evaluatePolicy(scan, p, { now: NOW }).verdict.decision).toBe('allow');
    });
  });

  describe('with a stale vulnerability DB', () => {
    const scan = readMultiScan();
    scan.findings = scan.findings.filter((f) => f.severity === 'low');
    const later = new Date('2026-12-10T00:00:00Z');
    it('warns by default', () => {
      const ev = evaluatePolicy(scan, DEFAULT_POLICY, { now: later });
      expect(ev.verdict.decision).toBe('warn');
      expect(ev.verdict.warnings[0]).toBe(
        'vulnerability DB built 2026-11-25T03:00:00Z is 14 days old (maxDbAge 7d)',
      );
    });
    it('denies when gates.staleDb is deny', () => {
      const ev = evaluatePolicy(scan, policy('gates: { staleDb: deny }\n'), { now: later });
      expect(ev.verdict.decision).toBe('deny');
      expect(ev.verdict.reasons[0]).toMatch(/^vulnerability DB built .* is 14 days old/);
    });
    it('is fine within maxDbAge', () => {
      expect(evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }).verdict.decision).toBe('allow');
    });
  });

  describe('gate options', () => {
    const scan = readMultiScan();
    it('fixableOnly ignores vulnerabilities without a fix', () => {
      const s = readMultiScan();
      s.findings = s.findings.filter((f) => f.id === 'CVE-2022-48303');
      expect(
        evaluatePolicy(s, policy('gates: { warn: { severity: low } }\n'), { now: NOW }).verdict.decision,
      ).toBe('warn');
      expect(
        evaluatePolicy(s, policy('gates: { warn: { severity: low }, fixableOnly: true }\n'), { now: NOW })
          .verdict.decision,
      ).toBe('allow');
    });
    it('types limit a gate; severityByType overrides it', () => {
      const p = policy(
        'gates: { deny: { severity: high, types: [vulnerability] }, warn: { severity: none } }\n',
      );
      const ev = evaluatePolicy(scan, p, { now: NOW });
      expect(ev.verdict.decision).toBe('deny');
      expect(ev.verdict.reasons).toEqual([
        '2 high vulnerabilities: CVE-2023-4911 in libc6, GHSA-35jh-r3h4-6jhm in lodash (deny ≥ high)',
      ]);
      const p2 = policy(
        'gates: { deny: { severity: critical, severityByType: { baseline: medium } }, warn: { severity: none } }\n',
      );
      const r2 = evaluatePolicy(scan, p2, { now: NOW }).verdict.reasons;
      expect(r2.some((r) => r.startsWith('2 high baseline risks'))).toBe(true);
      expect(r2.some((r) => r.includes('vulnerabilit'))).toBe(false);
    });
    it('findings of a scanner switched off do not count', () => {
      const p = policy(
        'scanners: { vuln: false, secret: false, malware: false, baseline: false, buildinstruction: false }\n',
      );
      const ev = evaluatePolicy(scan, p, { now: NOW });
      expect(ev.verdict.decision).toBe('allow');
      expect(ev.verdict.counts.byType).toEqual({});
    });
  });
});
