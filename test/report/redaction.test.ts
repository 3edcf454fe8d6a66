import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { REPORT_FORMATS, renderReport } from '../../core/src/report/index.js';
import type { Evaluation, ScanResult } from '../../core/src/types/scan.js';
import { evaluateWithExceptions, NOW, options, readMultiScan } from './helpers.js';

/**
 * Renderers must pick the fields they print, never dump objects: a finding may carry raw data that an analyzer
 * kept internally (match text, file content) and only `evidence` is redacted. Plant secret-shaped values in
 * every place that is not a documented, printable field and check no format prints any of them.
 */
const PLANTED = [
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'LTAI5tQz8vRmXw3YbNc7KpLd',
  'Hn4Ks9TqWv2XyZ7bRm3PcLd8FgJ6Et',
  'MIIEpAIBAAKCAQEAfakefake',
  'ghp_0123456789abcdefghijABCDEFGHIJ012345',
];

function plant(scan: ScanResult, evaluation: Evaluation): void {
  const extra = (o: object, i: number): void => {
    Object.assign(o, {
      match: PLANTED[i % PLANTED.length],
      raw: PLANTED[(i + 1) % PLANTED.length],
      content: Buffer.from(PLANTED[(i + 2) % PLANTED.length] ?? ''),
      secret: PLANTED[(i + 3) % PLANTED.length],
    });
  };
  evaluation.findings.forEach((f, i) => {
    extra(f, i);
    extra(f.location, i + 1);
    if (f.package) extra(f.package, i + 2);
    if (f.suppressedBy) extra(f.suppressedBy, i + 3);
  });
  scan.packages.forEach(extra);
  scan.notes.forEach(extra);
  scan.image.layers.forEach(extra);
  extra(scan.image, 0);
  extra(scan, 1);
  extra(evaluation.verdict, 2);
  extra(evaluation.verdict.counts, 3);
}

describe('redaction: renderers print only evidence, never other raw data', () => {
  const cases: [string, (s: ScanResult) => Evaluation][] = [
    ['default policy', (s) => evaluatePolicy(s, DEFAULT_POLICY, { now: NOW })],
    ['with exceptions', (s) => evaluateWithExceptions(s)],
  ];
  for (const [name, evaluate] of cases) {
    for (const format of REPORT_FORMATS) {
      it(`${format} (${name}) contains no planted value`, () => {
        const scan = readMultiScan();
        const evaluation = evaluate(scan);
        plant(scan, evaluation);
        const out = renderReport(format, scan, evaluation, options({ includeSuppressed: true }));
        for (const secret of PLANTED) expect(out).not.toContain(secret);
        expect(out.length).toBeGreaterThan(200);
      });
    }
  }

  it('the JSON report does print every finding’s (redacted) evidence', () => {
    const scan = readMultiScan();
    const evaluation = evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW });
    const out = renderReport('json', scan, evaluation, options());
    for (const f of scan.findings)
      if (f.evidence !== undefined) expect(out).toContain(JSON.stringify(f.evidence));
  });
});
