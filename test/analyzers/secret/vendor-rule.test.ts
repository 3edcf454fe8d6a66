import { describe, expect, it } from 'vitest';
import { parseSecretRules } from '../../../core/src/analyzers/secret/index.js';
import { scanText } from '../../../core/src/analyzers/secret/scan-text.js';

const doc = (rule: string): { source: string; text: string } => ({
  source: 'vendor.yaml',
  text: `rules:\n${rule}`,
});

describe('vendor: rules (one template for vendor-context credentials)', () => {
  const rules = parseSecretRules([
    doc(
      "  - id: PCS-SECRET-ACME-TOKEN\n    title: Acme token\n    severity: high\n    vendor: { names: ['acme'], value: '[a-f0-9]{32}' }\n",
    ),
  ]);
  const find = (text: string): string[] => scanText(text, '/a.txt', rules, () => true).map((m) => m.id);

  it('expands into a content rule with the defaults (token, entropy, placeholder filter, remediation)', () => {
    const [rule] = rules.content;
    expect(rule).toMatchObject({ id: 'PCS-SECRET-ACME-TOKEN', category: 'token', placeholders: true });
    expect(rule?.keywords).toEqual(['acme']);
    expect(rule?.minEntropy).toBe(3);
    expect(rule?.remediation).toMatch(/rotate/i);
  });

  it('finds the value next to the name, whatever the case and assignment', () => {
    const v = '3f9a1c7e5b2d8f0a4c6e9b1d3f5a7c9e';
    for (const text of [`ACME_TOKEN=${v}`, `acme.apiKey: "${v}"`, `<AcmeSecret>${v}</AcmeSecret>`]) {
      expect(find(text), text).toEqual(['PCS-SECRET-ACME-TOKEN']);
    }
  });

  it('does not report without the name, with the wrong length, or a placeholder', () => {
    expect(find('OTHER_TOKEN=3f9a1c7e5b2d8f0a4c6e9b1d3f5a7c9e')).toEqual([]);
    expect(find('ACME_TOKEN=3f9a1c7e5b2d8f0a4c6e9b1d3f5a7c9e00')).toEqual([]);
    expect(find('ACME_TOKEN=00000000000000000000000000000000')).toEqual([]);
    expect(find('ACME_TOKEN=${ACME_TOKEN}')).toEqual([]);
  });

  it('refuses a malformed vendor: entry, and one that also gives a pattern', () => {
    expect(() =>
      parseSecretRules([
        doc('  - id: PCS-SECRET-X\n    title: X\n    severity: low\n    vendor: { names: [] }\n'),
      ]),
    ).toThrow(expect.objectContaining({ code: 'ANALYZER_RULES_INVALID' }));
    expect(() =>
      parseSecretRules([
        doc(
          "  - id: PCS-SECRET-X\n    title: X\n    severity: low\n    pattern: 'x'\n    vendor: { names: ['x1'], value: 'a' }\n",
        ),
      ]),
    ).toThrow(/vendor rules take no pattern/);
  });
});
