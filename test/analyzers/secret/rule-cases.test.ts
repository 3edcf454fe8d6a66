// Issue 16: every rule added for it has at least one string it must report and one it must not (a
// placeholder, a template value or a near-miss), run through the real rule set; and the policy toggles
// (accessKeyLeak, passwordLeak, items) reach every new rule.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSecretRuleEnabled, readSecretRules } from '../../../core/src/analyzers/secret/index.js';
import { createRedactor, redactSecrets } from '../../../core/src/analyzers/secret/redactor.js';
import { scanText } from '../../../core/src/analyzers/secret/scan-text.js';
import { FIXTURES } from '../../helpers/env.js';

interface Cases {
  path: string;
  true: string[];
  false: string[];
}

const CASES = JSON.parse(readFileSync(join(FIXTURES, 'secrets', 'rule-cases.json'), 'utf8')) as Record<
  string,
  Cases
>;
const rules = readSecretRules();
const NEW_RULE_FILES = [
  'azure.yaml',
  'build-tools.yaml',
  'services.yaml',
  'vendor-keywords.yaml',
  'prefixed-tokens.yaml',
];
const newRuleIds = NEW_RULE_FILES.flatMap((f) =>
  [...readFileSync(join('core', 'rules', 'secrets', f), 'utf8').matchAll(/^ {2}- id: (\S+)$/gm)].map(
    (m) => m[1] as string,
  ),
);

/** The rules reporting `text`. */
function reported(text: string, path: string): { id: string; severity: string }[] {
  return scanText(text, path, rules, () => true).map((m) => ({ id: m.id, severity: m.severity }));
}

describe('secret rule cases', () => {
  it('covers every content rule of every rule file', () => {
    expect(newRuleIds.length).toBeGreaterThan(130);
    expect(newRuleIds.filter((id) => CASES[id] === undefined)).toEqual([]);
    expect(rules.content.map((r) => r.id).filter((id) => CASES[id] === undefined)).toEqual([]);
    for (const [id, c] of Object.entries(CASES)) {
      expect(c.true.length, id).toBeGreaterThan(0);
      expect(c.false.length, id).toBeGreaterThan(0);
    }
  });

  for (const [id, c] of Object.entries(CASES)) {
    describe(id, () => {
      it.each(c.true)('reports %j', (text) => {
        expect(reported(text, c.path).map((r) => r.id)).toContain(id);
      });
      it.each(c.true)('the redactor masks the value in %j', (text) => {
        const secrets = scanText(text, c.path, rules, (r) => r.id === id || r.emits?.includes(id) === true)
          .flatMap((m) => m.secrets)
          .filter((v) => v.length >= 8);
        // rules limited to some files (settings.xml, .netrc) mask free text through the values the scan
        // found; every other rule masks any text by itself
        const limited = rules.content.some((r) => r.id === id && r.paths !== undefined);
        const out = limited ? createRedactor({ values: secrets })(text) : redactSecrets(text);
        for (const v of secrets) expect(out).not.toContain(v);
      });
      it.each(c.false)('does not report %j', (text) => {
        expect(reported(text, c.path).map((r) => r.id)).not.toContain(id);
      });
    });
  }

  it('does not report vendors’ published example keys at all', () => {
    for (const text of [
      "stripe = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'",
      'aws_access_key_id = AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'GITHUB_TOKEN=ghp_example_0123456789abcdefghijklmnopqrstuv',
    ])
      expect(
        scanText(text, '/app/.env', rules, () => true),
        text,
      ).toEqual([]);
    // the same shapes with real-looking values are reported
    expect(scanText("stripe = 'sk_test_4eC39HqLyjWDarjtT1zdp7dX'", '/a', rules, () => true)).toHaveLength(1);
    expect(scanText('aws_access_key_id = AKIA2OGYBAH6QWERTY12', '/a', rules, () => true)).toHaveLength(1);
  });
});

describe('policy toggles reach the new rules', () => {
  const byId = new Map([...rules.content, ...rules.paths].map((r) => [r.id, r]));

  it('accessKeyLeak: false switches off every new access-key rule and nothing else', () => {
    for (const id of newRuleIds) {
      const rule = byId.get(id);
      expect(rule, id).toBeDefined();
      const on = isSecretRuleEnabled(rule!, { accessKeyLeak: false });
      expect(on, id).toBe(rule!.category !== 'access-key');
    }
    expect(newRuleIds.filter((id) => byId.get(id)?.category === 'access-key').length).toBeGreaterThan(5);
  });

  it('passwordLeak: false switches off the Maven password rules', () => {
    const maven = byId.get('PCS-SECRET-MAVEN-SETTINGS-PASSWORD')!;
    expect(isSecretRuleEnabled(maven, { passwordLeak: false })).toBe(false);
    expect(isSecretRuleEnabled(maven, { passwordLeak: true })).toBe(true);
  });

  it('items selects a new rule by id or category, and leaves the others out', () => {
    const sas = byId.get('PCS-SECRET-AZURE-SAS-TOKEN')!;
    const pulumi = byId.get('PCS-SECRET-PULUMI-TOKEN')!;
    expect(isSecretRuleEnabled(sas, { items: ['PCS-SECRET-AZURE-SAS-TOKEN'] })).toBe(true);
    expect(isSecretRuleEnabled(pulumi, { items: ['PCS-SECRET-AZURE-SAS-TOKEN'] })).toBe(false);
    expect(isSecretRuleEnabled(pulumi, { items: ['token'] })).toBe(true);
    const text =
      'sv=2023-11-03&sr=b&sp=r&se=2024-01-01T00%3A00%3A00Z&spr=https&sig=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopQ=';
    const enabled = (r: { id: string; category: string }): boolean =>
      isSecretRuleEnabled(r, { items: ['token'] });
    expect(scanText(text, '/a', rules, enabled)).toEqual([]);
  });
});

describe('path rules', () => {
  // every path rule with a path it must match and one it must not (a near miss)
  const PATH_CASES: Record<string, { true: string[]; false: string[] }> = {
    'PCS-SECRET-GIT-CREDENTIALS': { true: ['/root/.git-credentials'], false: ['/root/.git-credentials.md'] },
    'PCS-SECRET-PGPASS-FILE': { true: ['/home/app/.pgpass'], false: ['/home/app/pgpass.sample'] },
    'PCS-SECRET-DOTENV-FILE': { true: ['/app/.env', '/app/.env.production'], false: ['/app/.env.example'] },
    'PCS-SECRET-PKCS12-FILE': { true: ['/app/keystore.p12', '/app/cert.pfx'], false: ['/app/p12.txt'] },
  };

  it('covers every path rule', () => {
    expect(rules.paths.map((r) => r.id).sort()).toEqual(Object.keys(PATH_CASES).sort());
  });

  for (const rule of rules.paths) {
    const c = PATH_CASES[rule.id];
    it(`${rule.id} matches its paths and not the near misses`, () => {
      const matches = (p: string): boolean => rule.path.test(p) && !(rule.exclude?.test(p) ?? false);
      for (const p of c?.true ?? []) expect(matches(p), p).toBe(true);
      for (const p of c?.false ?? []) expect(matches(p), p).toBe(false);
    });
  }
});
