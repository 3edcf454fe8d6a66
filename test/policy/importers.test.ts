import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  importGitlabAllowlist,
  importTrivyIgnore,
  parsePolicy,
} from '../../core/src/policy/index.js';
import { NOW, readMultiScan, readPolicyFixture } from './helpers.js';

describe('importTrivyIgnore', () => {
  describe('with a .trivyignore', () => {
    const { exceptions, warnings } = importTrivyIgnore(readPolicyFixture('trivyignore'));
    it('makes one entry per id, with comments as reasons and exp dates', () => {
      expect(warnings).toEqual([]);
      expect(exceptions).toEqual([
        { id: 'CVE-2023-4911', reason: 'Accept the risk: we never pass proxy credentials' },
        {
          id: 'CVE-2024-5535',
          reason: 'Accept the risk until the base image is rebuilt',
          expires: '2027-01-31',
        },
        { id: 'CVE-2022-48303', reason: 'No impact in our settings', expires: '2026-12-02' },
        { id: 'GHSA-35jh-r3h4-6jhm', reason: 'No impact in our settings', expires: '2026-12-02' },
        { id: ['AVD-DS-0002', 'DS-0002', 'DS002'], reason: 'Ignore misconfigurations' },
        { id: 'aws-access-key-id', reason: 'Ignore secrets' },
      ]);
    });
    it('produces a valid policy that suppresses those findings', () => {
      const policy = parsePolicy(JSON.stringify({ apiVersion: 'portcullis/v1', exceptions }));
      const ev = evaluatePolicy(readMultiScan(), policy, { now: NOW });
      const suppressed = ev.findings.filter((f) => f.suppressedBy).map((f) => f.id);
      expect(suppressed).toEqual([
        'CVE-2023-4911',
        'CVE-2024-5535',
        'CVE-2022-48303',
        'GHSA-35jh-r3h4-6jhm',
        'DS-0002',
      ]);
    });
    it('rejects a malformed exp with the line', () => {
      expect(() => importTrivyIgnore('CVE-1 exp:tomorrow\n')).toThrow(
        expect.objectContaining({
          code: 'POLICY_IMPORT_INVALID',
          problems: [expect.objectContaining({ path: 'line 1' })],
        }),
      );
    });
  });

  describe('with a .trivyignore.yaml', () => {
    const { exceptions, warnings } = importTrivyIgnore(readPolicyFixture('trivyignore.yaml'));
    it('maps sections to types, paths, purls (one entry each), expiry and statement', () => {
      expect(exceptions).toEqual([
        {
          id: 'CVE-2022-40897',
          type: 'vulnerability',
          path: 'usr/local/lib/python3.9/site-packages/setuptools-58.1.0.dist-info/METADATA',
          reason: 'Accept the risk',
        },
        { id: 'CVE-2023-2650', type: 'vulnerability', reason: 'imported from .trivyignore.yaml' },
        {
          id: 'CVE-2023-3817',
          type: 'vulnerability',
          reason: 'imported from .trivyignore.yaml',
          package: 'pkg:deb/debian/libssl1.1',
        },
        {
          id: 'CVE-2023-3817',
          type: 'vulnerability',
          reason: 'imported from .trivyignore.yaml',
          package: 'pkg:deb/debian/openssl@1.1.1n-0+deb11u5',
        },
        { id: 'CVE-2020-15114', type: 'vulnerability', reason: 'Review in 6 months', expires: '2024-08-20' },
        {
          id: ['AVD-DS-0001', 'DS-0001', 'DS001'],
          type: ['build-instruction', 'baseline'],
          reason: 'imported from .trivyignore.yaml',
        },
        {
          id: ['AVD-DS-0002', 'DS-0002', 'DS002'],
          type: ['build-instruction', 'baseline'],
          path: 'docs/Dockerfile',
          reason: 'The image needs root privileges',
        },
        { id: 'aws-access-key-id', type: 'sensitive-file', reason: 'imported from .trivyignore.yaml' },
        {
          id: 'aws-secret-access-key',
          type: 'sensitive-file',
          path: 'foo/bar/aws.secret',
          reason: 'imported from .trivyignore.yaml',
        },
      ]);
      expect(warnings).toEqual(['section "licenses" skipped: Portcullis has no matching risk type']);
    });
    it('produces entries the policy schema accepts', () => {
      expect(() => parsePolicy(JSON.stringify({ apiVersion: 'portcullis/v1', exceptions }))).not.toThrow();
    });
    it('collects every problem', () => {
      const bad =
        'vulnerabilities:\n  - id: CVE-1\n    expired_at: someday\n  - statement: nothing\nsecrets: nope\n';
      try {
        importTrivyIgnore(bad);
        expect.unreachable();
      } catch (err) {
        expect((err as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual([
          '/vulnerabilities/0/expired_at',
          '/vulnerabilities/1',
          '/secrets',
        ]);
      }
    });
  });
});

describe('importGitlabAllowlist', () => {
  const { exceptions } = importGitlabAllowlist(readPolicyFixture('vulnerability-allowlist.yml'));
  it('maps generalallowlist to every image and image sections to images scopes', () => {
    expect(exceptions).toHaveLength(8);
    expect(exceptions[0]).toEqual({
      id: 'CVE-2019-8696',
      type: 'vulnerability',
      reason: 'imported from GitLab vulnerability-allowlist.yml (generalallowlist)',
    });
    expect(exceptions[1]?.reason).toBe(
      'imported from GitLab vulnerability-allowlist.yml (generalallowlist: cups)',
    );
    expect(exceptions[3]).toMatchObject({
      id: 'CVE-2018-4180',
      images: ['exampleregistry.io/myproject/myimage'],
    });
    expect(exceptions[7]).toMatchObject({
      id: 'CVE-2018-1000021',
      images: ['registry.gitlab.com/gitlab-org/security-products/dast/webgoat-8.0'],
    });
  });
  it('scopes image sections the way GitLab does (any tag of that image)', () => {
    const policy = parsePolicy(JSON.stringify({ apiVersion: 'portcullis/v1', exceptions }));
    const scan = readMultiScan();
    scan.findings = [{ ...scan.findings[0]!, id: 'CVE-2019-8457', aliases: [] }];
    const at = (ref: string): boolean =>
      evaluatePolicy(scan, policy, { now: NOW, image: { ref } }).findings[0]?.suppressedBy !== undefined;
    expect(at('centos:7')).toBe(true);
    expect(at('docker.io/library/centos@sha256:aa')).toBe(true);
    expect(at('your.private.registry:5000/centos:7')).toBe(false);
    expect(at('ubuntu:22.04')).toBe(false);
  });
  it('rejects a list where a mapping belongs', () => {
    expect(() => importGitlabAllowlist('generalallowlist:\n  - CVE-1\n')).toThrow(
      expect.objectContaining({ code: 'POLICY_IMPORT_INVALID' }),
    );
  });
});
