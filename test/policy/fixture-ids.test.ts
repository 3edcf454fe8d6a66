// The multi-scan fixture stands for the real `multi` image: its secret and malware findings must carry ids the
// rules really produce, or goldens and exception examples would teach users ids that match nothing.
import { describe, expect, it } from 'vitest';
import { readMalwareRules } from '../../core/src/analyzers/malware/index.js';
import { readSecretRules } from '../../core/src/analyzers/secret/index.js';
import { readMultiScan } from './helpers.js';

describe('the multi-scan fixture', () => {
  it('names its sensitive-file and malicious-sample findings by real rule ids', () => {
    const secrets = readSecretRules();
    const known = new Set([
      ...secrets.content.flatMap((r) => [
        r.id,
        ...(r.pair ? [r.pair.id] : []),
        ...(r.bundle ? [r.bundle.id] : []),
      ]),
      ...secrets.paths.map((r) => r.id),
      ...readMalwareRules().map((r) => r.id),
      'PCS-MALWARE-KNOWN-HASH',
    ]);
    const findings = readMultiScan().findings.filter(
      (f) => f.type === 'sensitive-file' || f.type === 'malicious-sample',
    );
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.map((f) => f.id).filter((id) => !known.has(id))).toEqual([]);
    expect(findings.map((f) => f.ruleId).filter((id) => id !== undefined && !known.has(id))).toEqual([]);
  });
});
