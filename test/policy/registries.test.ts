import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../core/src/index.js';
import { portcullis } from '../e2e/helpers.js';

const ISSUE_EXAMPLE = `apiVersion: portcullis/v1
registries:
  - name: harbor-prod
    kind: harbor
    url: https://harbor.example.com
    credentials: { usernameEnv: HARBOR_USER, passwordEnv: HARBOR_PASSWORD }
    repositories: { include: ["team-a/*"], exclude: ["*/sandbox-*"] }
    autoAddNew: true
    throttle: { imagesPerHour: 10 }
    concurrency: 3
    tags: { latest: 5 }
  - name: acr-ee
    kind: acr
    url: https://seed-registry.cn-hangzhou.cr.aliyuncs.com
    instanceId: cri-abc
    regionId: cn-hangzhou
    accessKeyIdEnv: ACR_AK
    accessKeySecretEnv: ACR_SK
    autoAddNew: false
scan:
  timeRange: 7d
  timeout: 4h
  scanners: [vuln, secret, malware, baseline, buildinstruction]
  retention: { tasks: 30d, vulnerabilities: 90d }
`;

function problemsOf(text: string): { path: string; message: string }[] {
  try {
    parsePolicy(text);
  } catch (err) {
    return (err as { problems: { path: string; message: string }[] }).problems;
  }
  return [];
}

describe('policy registries: and scan:', () => {
  it("accepts the issue's example", () => {
    const p = parsePolicy(ISSUE_EXAMPLE);
    expect(p.registries?.map((r) => r.name)).toEqual(['harbor-prod', 'acr-ee']);
    expect(p.scan?.retention).toEqual({ tasks: '30d', vulnerabilities: '90d' });
    expect(p.registries?.[0]?.concurrency).toBe(3);
  });

  it('reports every problem with its path at once', () => {
    const problems = problemsOf(`apiVersion: portcullis/v1
registries:
  - name: a
    kind: nexus
    url: ftp://x
    throttle: { imagesPerHour: 0 }
    concurrency: 0
    credentials: { password: hunter2 }
  - name: a
    kind: quay
    url: https://quay.example
    instanceId: cri-1
  - kind: acr
    url: https://x.example
scan:
  timeout: 4 hours
  retention: { tasks: forever }
  everything: true
`);
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/registries/0/kind',
        '/registries/0/url',
        '/registries/0/throttle/imagesPerHour',
        '/registries/0/concurrency',
        '/registries/0/credentials/password',
        '/registries/1/name',
        '/registries/1/namespaces',
        '/registries/1/instanceId',
        '/registries/2/name',
        '/registries/2/regionId',
        '/scan/timeout',
        '/scan/retention/tasks',
        '/scan/everything',
      ]),
    );
    expect(problems.find((p) => p.path === '/registries/1/name')?.message).toMatch(
      /duplicates \/registries\/0\/name/,
    );
    expect(problems.find((p) => p.path === '/registries/1/namespaces')?.message).toMatch(
      /required for kind quay/,
    );
    expect(problems.find((p) => p.path === '/registries/1/instanceId')?.message).toMatch(/only to kind acr/);
  });

  it('does not let registry settings change the policy digest (verdicts do not depend on them)', async () => {
    const { policyDigest, resolvePolicy } = await import('../../core/src/index.js');
    const base = parsePolicy('apiVersion: portcullis/v1\n');
    expect(policyDigest(resolvePolicy(parsePolicy(ISSUE_EXAMPLE)))).toBe(policyDigest(resolvePolicy(base)));
  });

  describe('portcullis policy check', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-policy-reg-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('prints each registry and the scan settings', async () => {
      const file = join(dir, 'p.yaml');
      writeFileSync(file, ISSUE_EXAMPLE);
      const r = await portcullis(['policy', 'check', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'registry harbor-prod: harbor, https://harbor.example.com, 10 images/hour, auto-add on, latest 5 tags',
      );
      expect(r.stdout).toContain(
        'registry acr-ee: acr, https://seed-registry.cn-hangzhou.cr.aliyuncs.com, no throttle, auto-add off',
      );
      expect(r.stdout).toContain(
        'registry scan: time range 7d, timeout 4h, keep tasks 30d, keep results 90d',
      );
    });
    it('fails with every problem and its path', async () => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(
        file,
        'apiVersion: portcullis/v1\nregistries:\n  - name: x\n    kind: quay\n    url: https://q\nscan: { timeout: soon }\n',
      );
      const r = await portcullis(['policy', 'check', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('/registries/0/namespaces: is required for kind quay');
      expect(r.stderr).toMatch(/\/scan\/timeout: must match/);
    });
  });
});
