/**
 * Issue #11 item 5: typos that switch things off. Unknown names in the policy's rule lists and in enum CLI
 * flags are refused (exit 2, a stable code) with the valid values and "did you mean".
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestChoice } from '../../core/src/choices.js';
import { isSecretRuleEnabled, readSecretRules } from '../../core/src/analyzers/secret/index.js';
import { createScratch, portcullis, toErrorCode } from './helpers.js';

let scratch: Awaited<ReturnType<typeof createScratch>>;
const IMAGE = 'examples/alpine-311.tar.gz';

beforeAll(async () => {
  scratch = await createScratch('typos');
});
afterAll(async () => {
  await scratch?.cleanup();
});

async function policyFile(name: string, yaml: string): Promise<string> {
  const file = join(scratch.dir, `${name}.yaml`);
  await writeFile(file, `apiVersion: portcullis/v1\n${yaml}`);
  return file;
}

describe('did you mean', () => {
  it('suggests the closest value, and nothing for a value far from all', () => {
    expect(suggestChoice('hgih', ['critical', 'high', 'medium', 'low', 'unknown'])).toBe('high');
    expect(suggestChoice('acess-key', ['private-key', 'access-key', 'token'])).toBe('access-key');
    expect(suggestChoice('banana', ['critical', 'high', 'medium', 'low', 'unknown'])).toBeUndefined();
  });
});

describe('policy rule names', () => {
  it('policy check refuses an unknown secret item with the valid names and a hint (exit 2, POLICY_INVALID)', async () => {
    const file = await policyFile('items', 'scanners:\n  secret: { items: [acess-key, token] }\n');
    const run = await portcullis(['policy', 'check', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/POLICY_INVALID/);
    expect(run.stderr).toMatch(
      /\/scanners\/secret\/items\/0: "acess-key" is not one of: private-key, access-key, token, password, credential-file.*\(did you mean "access-key"\?\)/,
    );
  });

  it('scan refuses the same policy instead of running with every secret rule off', async () => {
    const file = await policyFile('items-scan', 'scanners:\n  secret: { items: [PCS-SECRET-GITHUB-TOKN] }\n');
    const run = await portcullis(['scan', IMAGE, '--policy', file, '--format', 'json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/did you mean "PCS-SECRET-GITHUB-TOKEN"/);
  });

  it('refuses an unknown baseline check, and accepts check names, rule ids and emitted pair ids', async () => {
    const bad = await policyFile('checks', 'scanners:\n  baseline: { checks: [root-usr] }\n');
    const run = await portcullis(['policy', 'check', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/\/scanners\/baseline\/checks\/0: "root-usr".*did you mean "root-user"/);
    const good = await policyFile(
      'good',
      'scanners:\n  secret: { items: [token, PCS-SECRET-AWS-ACCESS-KEY-PAIR] }\n  baseline: { checks: [setuid, PCS-BASELINE-ROOT-USER] }\n',
    );
    const ok = await portcullis(['policy', 'check', good]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('an emitted pair id enables both halves of the pair', () => {
    const rules = readSecretRules();
    const items = { items: ['PCS-SECRET-AWS-ACCESS-KEY-PAIR'] };
    const enabled = rules.content.filter((r) => isSecretRuleEnabled(r, items)).map((r) => r.id);
    expect(enabled.sort()).toEqual(['PCS-SECRET-AWS-ACCESS-KEY-ID', 'PCS-SECRET-AWS-SECRET-ACCESS-KEY']);
  });
});

describe('enum CLI flags', () => {
  it('--severity hgih is refused with the valid levels and a hint (exit 2, USAGE_INVALID)', async () => {
    const run = await portcullis(['scan', IMAGE, '--severity', 'hgih']);
    expect(run.code).toBe(2);
    expect(toErrorCode(run.stderr)).toBe('USAGE_INVALID');
    expect(run.stderr).toMatch(
      /--severity "hgih" is not one of: critical, high, medium, low, unknown \(did you mean "high"\?\)/,
    );
  });

  it('--format xml and --scanners secrt are refused the same way', async () => {
    const format = await portcullis(['scan', IMAGE, '--format', 'sarf']);
    expect(format.code).toBe(2);
    expect(toErrorCode(format.stderr)).toBe('USAGE_INVALID');
    expect(format.stderr).toMatch(/did you mean "sarif"/);
    const scanners = await portcullis(['scan', IMAGE, '--scanners', 'vuln,secrt']);
    expect(scanners.code).toBe(2);
    expect(toErrorCode(scanners.stderr)).toBe('USAGE_INVALID');
    expect(scanners.stderr).toMatch(/--scanners "secrt".*did you mean "secret"/);
    const from = await portcullis(['policy', 'import', join(scratch.dir, 'x'), '--from', 'gitlb']);
    expect(from.code).toBe(2);
    expect(from.stderr).toMatch(/--from "gitlb".*did you mean "gitlab"/);
  });

  it('--format SARIF and --severity HIGH mean sarif and high (the case cannot mean anything else)', async () => {
    const run = await portcullis([
      'scan',
      IMAGE,
      '--format',
      'SARIF',
      '--severity',
      'HIGH',
      '--scanners',
      'Secret',
    ]);
    expect(run.stderr).not.toMatch(/USAGE_INVALID/);
    expect((JSON.parse(run.stdout) as { version: string }).version).toBe('2.1.0');
  });
});
