/**
 * Issue #11 item 10: `policy import` writes a policy `policy check` accepts, and GitLab's documented allowlist
 * layout (`images:` section) maps image names to `images` scopes with the comments kept as text.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePolicy, importGitlabAllowlist, parsePolicy } from '../../core/src/policy/index.js';
import { FIXTURES } from '../helpers/env.js';
import { createScratch, portcullis } from '../e2e/helpers.js';
import { NOW, readMultiScan } from './helpers.js';

// The layout of GitLab's documentation (doc/user/application_security/container_scanning/index.md)
const DOCUMENTED = `generalallowlist:
  CVE-2019-8696:
  CVE-2014-8166: cups
  CVE-2017-18248:
images:
  registry.gitlab.com/gitlab-org/security-products/dast/webgoat-8.0:
    CVE-2018-4180:
  your.private.registry:5000/centos:
    CVE-2015-1419: libxml2
    CVE-2015-1447:
`;

let scratch: Awaited<ReturnType<typeof createScratch>>;
beforeAll(async () => {
  scratch = await createScratch('import');
});
afterAll(async () => {
  await scratch?.cleanup();
});

describe('GitLab allowlist with an images: section', () => {
  const { exceptions } = importGitlabAllowlist(DOCUMENTED);
  it('makes one exception per vulnerability id, never one per image name', () => {
    expect(exceptions.map((e) => e.id)).toEqual([
      'CVE-2019-8696',
      'CVE-2014-8166',
      'CVE-2017-18248',
      'CVE-2018-4180',
      'CVE-2015-1419',
      'CVE-2015-1447',
    ]);
    expect(exceptions[4]).toEqual({
      id: 'CVE-2015-1419',
      type: 'vulnerability',
      images: ['your.private.registry:5000/centos'],
      reason: 'imported from GitLab vulnerability-allowlist.yml (your.private.registry:5000/centos: libxml2)',
    });
    for (const e of exceptions) expect(e.reason).not.toContain('[object Object]');
  });
  it('scopes each id to its image only', () => {
    const policy = parsePolicy(JSON.stringify({ apiVersion: 'portcullis/v1', exceptions }));
    const scan = readMultiScan();
    scan.findings = [{ ...scan.findings[0]!, id: 'CVE-2015-1419', aliases: [] }];
    const at = (ref: string): boolean =>
      evaluatePolicy(scan, policy, { now: NOW, image: { ref } }).findings[0]?.suppressedBy !== undefined;
    expect(at('your.private.registry:5000/centos:7')).toBe(true);
    expect(at('centos:7')).toBe(false);
    expect(at('your.private.registry:5000/centos-other:7')).toBe(false);
  });
  it('refuses a comment that is not text instead of writing [object Object]', () => {
    expect(() => importGitlabAllowlist('generalallowlist:\n  CVE-1: { a: 1 }\n')).toThrow(
      expect.objectContaining({ code: 'POLICY_IMPORT_INVALID' }),
    );
  });
});

describe('portcullis policy import → policy check', () => {
  const inputs: [string, string][] = [
    ['vulnerability-allowlist.yml', join(FIXTURES, 'policy', 'vulnerability-allowlist.yml')],
    ['trivyignore', join(FIXTURES, 'policy', 'trivyignore')],
    ['trivyignore.yaml', join(FIXTURES, 'policy', 'trivyignore.yaml')],
  ];
  for (const [name, input] of inputs) {
    it(`${name}: the written policy is valid as written`, async () => {
      const out = join(scratch.dir, `${name}.policy.yaml`);
      const imported = await portcullis(['policy', 'import', input, '--output', out]);
      expect(imported.code, imported.stderr).toBe(0);
      const check = await portcullis(['policy', 'check', out]);
      expect(check.stderr).toBe('');
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/valid/);
    });
  }
  it('the documented images: layout round-trips too', async () => {
    const input = join(scratch.dir, 'vulnerability-allowlist.yml');
    await writeFile(input, DOCUMENTED);
    const out = join(scratch.dir, 'documented.policy.yaml');
    expect((await portcullis(['policy', 'import', input, '--output', out])).code).toBe(0);
    const check = await portcullis(['policy', 'check', out]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/6 exceptions/);
  });
});
