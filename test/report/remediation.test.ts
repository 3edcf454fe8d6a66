import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy } from '../../core/src/policy/index.js';
import { remediationFor } from '../../core/src/report/index.js';
import type { Finding } from '../../core/src/types/finding.js';
import { NOW, readMultiScan } from './helpers.js';

function vuln(
  id: string,
  name: string,
  version: string,
  fixed: string | undefined,
  type: string,
  eco: string,
): Finding {
  const purlType = type === 'dpkg' ? 'deb/debian' : type === 'apk' ? 'apk/alpine' : 'npm';
  return {
    type: 'vulnerability',
    id,
    severity: 'high',
    title: id,
    location: { path: type === 'npm' ? `/app/node_modules/${name}/package.json` : '/var/lib/dpkg/status' },
    package: {
      name,
      version,
      ecosystem: eco,
      purl: `pkg:${purlType}/${name}@${version}`,
      type,
      ...(fixed !== undefined && { fixedVersion: fixed }),
    },
  };
}

describe('remediationFor', () => {
  it('picks, per package, the smallest version that fixes every vulnerability (dpkg ordering)', () => {
    const scan = readMultiScan();
    scan.findings = [
      vuln('CVE-1', 'libc6', '2.36-9+deb12u1', '2.36-9+deb12u3', 'dpkg', 'Debian:12'),
      vuln('CVE-2', 'libc6', '2.36-9+deb12u1', '2.36-9+deb12u10', 'dpkg', 'Debian:12'),
      vuln('CVE-3', 'libc6', '2.36-9+deb12u1', '2.36-9+deb12u4', 'dpkg', 'Debian:12'),
      vuln('CVE-4', 'libc6', '2.36-9+deb12u1', undefined, 'dpkg', 'Debian:12'),
    ];
    const r = remediationFor(evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }), scan);
    expect(r.packages).toEqual([
      expect.objectContaining({
        name: 'libc6',
        installed: '2.36-9+deb12u1',
        fixedVersion: '2.36-9+deb12u10',
        fixes: ['CVE-1', 'CVE-2', 'CVE-3'],
        unfixed: ['CVE-4'],
        manager: 'apt',
      }),
    ]);
    expect(r.dockerfile).toEqual([
      'RUN apt-get update && apt-get install -y --no-install-recommends --only-upgrade libc6=2.36-9+deb12u10 && rm -rf /var/lib/apt/lists/*',
    ]);
  });

  it('uses the smallest listed fix above the installed version when the matcher gave none', () => {
    const scan = readMultiScan();
    const f = vuln('GHSA-x', 'lodash', '4.17.20', undefined, 'npm', 'npm');
    f.fixedVersions = ['4.17.21', '3.10.2', '4.17.19', '5.0.0'];
    scan.findings = [f];
    const r = remediationFor(evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }), scan);
    expect(r.packages[0]).toMatchObject({ name: 'lodash', fixedVersion: '4.17.21' });
    expect(r.dockerfile).toEqual([]);
  });

  it('writes an apk line for Alpine packages and leaves out suppressed findings', () => {
    const scan = readMultiScan();
    scan.findings = [
      vuln('CVE-2021-36159', 'apk-tools', '2.10.4-r3', '2.10.7-r0', 'apk', 'Alpine:v3.11'),
      vuln('CVE-2021-42378', 'busybox', '1.31.1-r9', '1.31.1-r11', 'apk', 'Alpine:v3.11'),
      vuln('CVE-2020-28928', 'musl', '1.1.24-r2', '1.1.24-r3', 'apk', 'Alpine:v3.11'),
    ];
    const ev = evaluatePolicy(
      scan,
      { apiVersion: 'portcullis/v1', exceptions: [{ package: 'musl', reason: 'static binaries only' }] },
      { now: NOW },
    );
    expect(remediationFor(ev, scan).dockerfile).toEqual([
      'RUN apk add --no-cache --upgrade apk-tools=2.10.7-r0 busybox=1.31.1-r11',
    ]);
  });

  it('never puts shell metacharacters from data into the snippet', () => {
    const scan = readMultiScan();
    scan.findings = [vuln('CVE-9', 'evil;rm', '1.0-1', '1.0-2$(id)', 'dpkg', 'Debian:12')];
    const r = remediationFor(evaluatePolicy(scan, DEFAULT_POLICY, { now: NOW }), scan);
    expect(r.packages).toHaveLength(1);
    expect(r.dockerfile).toEqual([]);
  });
});
