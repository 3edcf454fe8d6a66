import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { renderReport } from '../../core/src/report/index.js';
import { createValidators, evaluateWithExceptions, NOW, options, readMultiScan } from './helpers.js';

const validators = createValidators();
const scan = readMultiScan();
const cases = [
  ['default policy (deny)', evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW })],
  ['with exceptions (suppressed findings)', evaluateWithExceptions(scan)],
] as const;

describe('report formats validate against their schemas', () => {
  for (const [name, evaluation] of cases) {
    describe(name, () => {
      for (const format of ['sarif', 'gitlab', 'cyclonedx', 'codequality', 'json'] as const) {
        it(`${format}`, () => {
          const doc: unknown = JSON.parse(renderReport(format, scan, evaluation, options()));
          const validate = validators[format];
          const ok = validate(doc);
          expect(validate.errors ?? []).toEqual([]);
          expect(ok).toBe(true);
        });
      }
    });
  }

  it('the schemas really reject a broken document (GitLab time with Z, SARIF without runs)', () => {
    const gitlab = JSON.parse(renderReport('gitlab', scan, cases[0][1], options())) as {
      scan: { end_time: string };
    };
    gitlab.scan.end_time += 'Z';
    expect(validators.gitlab(gitlab)).toBe(false);
    expect(validators.sarif({ version: '2.1.0' })).toBe(false);
    expect(
      validators.codequality([
        {
          description: 'x',
          check_name: 'y',
          fingerprint: 'z',
          severity: 'major',
          location: { path: '/abs' },
        },
      ]),
    ).toBe(false);
    expect(validators.cyclonedx({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: 'nope' })).toBe(
      false,
    );
  });

  it('also for findings with odd data (empty title, line 0, endLine before line)', () => {
    const odd = readMultiScan();
    odd.findings = odd.findings.map((f, i) => ({
      ...f,
      title: '',
      location: { ...f.location, line: i % 2 === 0 ? 0 : 5, endLine: 2 },
    }));
    const ev = evaluatePolicy(odd, DEFAULT_POLICY, { now: NOW });
    for (const format of ['sarif', 'gitlab', 'cyclonedx', 'codequality'] as const) {
      const ok = validators[format](JSON.parse(renderReport(format, odd, ev, options())));
      expect(validators[format].errors ?? [], format).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('also for an image with no OS, no digest and no findings', () => {
    const empty = { ...readMultiScan(), findings: [], packages: [], notes: [] };
    delete empty.image.os;
    delete empty.image.digest;
    delete empty.dockerfile;
    const ev = evaluatePolicy(empty, DEFAULT_POLICY, { now: NOW });
    for (const format of ['sarif', 'gitlab', 'cyclonedx', 'codequality', 'json'] as const) {
      const ok = validators[format](JSON.parse(renderReport(format, empty, ev, options())));
      expect(validators[format].errors ?? [], format).toEqual([]);
      expect(ok).toBe(true);
    }
  });
});
