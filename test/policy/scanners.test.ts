// What the policy's `scanners:` switches on and passes to the analyzers (a scanner silently off is a risk type
// never checked). Written against scanners.ts and the scanner toggles of defaults.ts, which no policy test
// called directly.
import { describe, expect, it } from 'vitest';
import { isTypeEnabled, resolvePolicy } from '../../core/src/policy/defaults.js';
import { toAnalyzerOptions, toEnabledScanners } from '../../core/src/policy/scanners.js';
import type { Policy } from '../../core/src/policy/types.js';

const policy = (scanners?: Policy['scanners']): Policy => ({
  apiVersion: 'portcullis/v1',
  ...(scanners ? { scanners } : {}),
});

describe('toEnabledScanners', () => {
  it('runs every scanner by default, inventory first', () => {
    expect(toEnabledScanners(policy())).toEqual([
      'inventory',
      'vuln',
      'secret',
      'malware',
      'baseline',
      'buildinstruction',
    ]);
  });

  it('leaves out each scanner switched off, one at a time, and keeps inventory always', () => {
    expect(toEnabledScanners(policy({ vuln: false }))).not.toContain('vuln');
    expect(toEnabledScanners(policy({ secret: false }))).not.toContain('secret');
    expect(toEnabledScanners(policy({ secret: { enabled: false } }))).not.toContain('secret');
    expect(toEnabledScanners(policy({ malware: { enabled: false } }))).not.toContain('malware');
    expect(toEnabledScanners(policy({ baseline: false }))).not.toContain('baseline');
    expect(toEnabledScanners(policy({ buildinstruction: false }))).not.toContain('buildinstruction');
    expect(
      toEnabledScanners(
        policy({ vuln: false, secret: false, malware: false, baseline: false, buildinstruction: false }),
      ),
    ).toEqual(['inventory']);
  });

  it('counts a scanner given as settings without `enabled` as on', () => {
    expect(
      toEnabledScanners(policy({ secret: { passwordLeak: false }, baseline: { checks: ['x'] } })),
    ).toEqual(['inventory', 'vuln', 'secret', 'malware', 'baseline', 'buildinstruction']);
  });
});

describe('toAnalyzerOptions', () => {
  it('turns both leak rules on by default and passes no lists', () => {
    expect(toAnalyzerOptions(policy())).toStrictEqual({
      secret: { accessKeyLeak: true, passwordLeak: true },
      baseline: {},
      malware: {},
    });
  });

  it('passes the rules, checks and hash DB files as written, as copies', () => {
    const p = policy({
      secret: { accessKeyLeak: false, passwordLeak: true, items: ['aws-access-key'] },
      baseline: { checks: ['root-user'] },
      malware: { hashDbFiles: ['/db/hashes.txt'] },
    });
    const opts = toAnalyzerOptions(p);
    expect(opts).toStrictEqual({
      secret: { accessKeyLeak: false, passwordLeak: true, items: ['aws-access-key'] },
      baseline: { checks: ['root-user'] },
      malware: { hashDbFiles: ['/db/hashes.txt'] },
    });
    opts.secret.items?.push('changed');
    expect(toAnalyzerOptions(p).secret.items).toEqual(['aws-access-key']);
  });

  it('turns one leak rule off without touching the other', () => {
    expect(toAnalyzerOptions(policy({ secret: { passwordLeak: false } })).secret).toStrictEqual({
      accessKeyLeak: true,
      passwordLeak: false,
    });
  });
});

describe('isTypeEnabled', () => {
  it('maps each risk type to its scanner', () => {
    const off = resolvePolicy(
      policy({ vuln: false, secret: false, malware: false, baseline: false, buildinstruction: false }),
    );
    const on = resolvePolicy(policy());
    for (const type of [
      'vulnerability',
      'sensitive-file',
      'malicious-sample',
      'baseline',
      'build-instruction',
    ] as const) {
      expect(isTypeEnabled(on, type), type).toBe(true);
      expect(isTypeEnabled(off, type), type).toBe(false);
    }
    // one off, the others on: each type follows its own scanner only
    const noMalware = resolvePolicy(policy({ malware: false }));
    expect(isTypeEnabled(noMalware, 'malicious-sample')).toBe(false);
    expect(isTypeEnabled(noMalware, 'sensitive-file')).toBe(true);
  });
});
