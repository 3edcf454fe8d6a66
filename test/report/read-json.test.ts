import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../core/src/policy/index.js';
import { DEFAULT_POLICY } from '../../core/src/policy/index.js';
import { parseJsonReport, renderJson } from '../../core/src/report/index.js';
import { NOW, evaluateWithExceptions, options, readMultiScan } from './helpers.js';

describe('parseJsonReport (a JSON report read back for `portcullis push`)', () => {
  it('gives back a scan whose evaluation is the same verdict as the original', () => {
    const scan = readMultiScan();
    const evaluation = evaluateWithExceptions(scan);
    const back = parseJsonReport(renderJson(scan, evaluation, options()));
    expect(back.scannedAt).toBe(scan.scannedAt);
    expect(back.image.digest).toBe(scan.image.digest);
    expect(back.findings).toHaveLength(scan.findings.length);
    // suppression is not carried: the deciding policy suppresses again
    expect(back.findings.some((f) => f.suppressedBy !== undefined)).toBe(false);
    expect(back.packages.map((p) => p.type)).toEqual(scan.packages.map((p) => p.type));
    const again = evaluatePolicy(back, DEFAULT_POLICY, { now: NOW }).verdict;
    const first = evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }).verdict;
    expect(again.decision).toBe(first.decision);
    expect(again.reasons).toEqual(first.reasons);
    expect(again.warnings).toEqual(first.warnings);
  });

  it('refuses a report that left findings out (--severity), one without scannedAt, and non-reports', () => {
    const scan = readMultiScan();
    const evaluation = evaluateWithExceptions(scan);
    const filtered = renderJson(scan, evaluation, options({ severity: 'critical' }));
    expect(JSON.parse(filtered).findingsFiltered).toBe(true);
    expect(() => parseJsonReport(filtered, 'r.json')).toThrow(/r\.json: the report leaves findings out/);
    const old = JSON.parse(renderJson(scan, evaluation, options())) as Record<string, unknown>;
    delete old.scannedAt;
    expect(() => parseJsonReport(JSON.stringify(old))).toThrow(/no scannedAt/);
    expect(() => parseJsonReport('{"bomFormat":"CycloneDX"}')).toThrow(/not a Portcullis JSON report/);
    expect(() => parseJsonReport('not json')).toThrow(/not JSON/);
    try {
      parseJsonReport('not json');
    } catch (e) {
      expect((e as { code: string }).code).toBe('PUSH_INVALID');
    }
  });
});
