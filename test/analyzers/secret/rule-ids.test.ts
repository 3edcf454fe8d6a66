// Finding ids are a public contract: users write them into policy exceptions. Secret rule ids have the form
// PCS-SECRET-<UPPER-KEBAB>, like the baseline (PCS-BASELINE-…) and build-instruction (PCS-BUILD-…) ids.
import { describe, expect, it } from 'vitest';
import { parseSecretRules, readSecretRules } from '../../../core/src/analyzers/secret/index.js';

const ID = /^PCS-SECRET-[A-Z0-9]+(-[A-Z0-9]+)*$/;

describe('secret rule ids', () => {
  it('every rule id, pair id and bundle id is PCS-SECRET-<UPPER-KEBAB>', () => {
    const rules = readSecretRules();
    const ids = [
      ...rules.content.flatMap((r) => [
        r.id,
        ...(r.pair ? [r.pair.id] : []),
        ...(r.bundle ? [r.bundle.id] : []),
      ]),
      ...rules.paths.map((r) => r.id),
    ];
    expect(ids.length).toBeGreaterThan(50);
    expect(ids.filter((id) => !ID.test(id))).toEqual([]);
  });

  it('a rule file with an id outside the scheme is refused', () => {
    const text =
      'rules:\n  - { id: secret-x, category: token, severity: high, title: t, remediation: r, keywords: [abcd], pattern: "abcd[0-9]{4}" }\n';
    expect(() => parseSecretRules([{ source: 's.yaml', text }])).toThrow(
      expect.objectContaining({ code: 'ANALYZER_RULES_INVALID' }),
    );
  });
});
