import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  toScanProjection,
  toStoredProjection,
  type Policy,
  type ScanResult,
} from '../../core/src/index.js';
import { toExceptionsView } from '../../service/src/exceptions.js';
import { toIndexedImage } from '../../service/src/image-index.js';
import { selectImages, toImageSummary } from '../../service/src/images.js';
import { readScan, toStored } from '../webhook/helpers.js';

/*
 * The image lists evaluate projections (`VerdictStore.listProjections`) instead of full results. These are the
 * real stored scans of the fixture images `multi` and `min`: evaluating the projection must give the same
 * verdict, counts and suppressions as the full result, under policies whose exceptions match by package, path,
 * id and type, and an exception that must not match still does not.
 */
const NOW = new Date('2026-11-28T00:00:00Z');

const policies: Record<string, Policy> = {
  none: { apiVersion: 'portcullis/v1' },
  exceptions: {
    apiVersion: 'portcullis/v1',
    exceptions: [
      { package: 'libc6', reason: 'by package name', expires: '2026-12-01' },
      { package: { purl: 'pkg:pypi/urllib3' }, reason: 'by purl' },
      { path: '/root/.ssh/*', reason: 'by path', owner: 'team-a', ticket: 'SEC-1' },
      { id: 'GO-2023-*', type: 'vulnerability', reason: 'by id glob' },
      { id: 'PCS-BUILD-PIPE-TO-SHELL', reason: 'expired', expires: '2026-01-01' },
      // must not match: wrong package, path in another folder, wrong type for the id
      { package: 'openssl', reason: 'never matches (package)' },
      { path: '/etc/ssh/id_rsa', reason: 'never matches (path)' },
      { id: 'PCS-SECRET-AWS-SECRET-ACCESS-KEY', type: 'baseline', reason: 'never matches (type)' },
    ],
  },
  gates: {
    apiVersion: 'portcullis/v1',
    gates: { deny: { severity: 'critical' }, warn: { severity: 'low' }, fixableOnly: true },
    exceptions: [{ path: '/app/.env', reason: 'by path' }],
  },
};

const scans: Record<string, ScanResult> = { multi: readScan('multi'), min: readScan('min') };

describe('scan projections', () => {
  it('drop the package inventory, layers and per-finding prose, and keep what evaluation reads', () => {
    const full = scans.multi!;
    const p = toScanProjection(full);
    expect(full.packages.length).toBeGreaterThan(0);
    expect(p.packages).toEqual([]);
    expect(p.image.layers).toEqual([]);
    expect(p.findings.some((f) => f.evidence !== undefined)).toBe(false);
    expect(full.findings.some((f) => f.evidence !== undefined)).toBe(true);
    expect(JSON.stringify(p).length).toBeLessThan(JSON.stringify(full).length);
    expect(p.findings.map((f) => [f.type, f.id, f.severity, f.location.path, f.package?.purl])).toEqual(
      full.findings.map((f) => [f.type, f.id, f.severity, f.location.path, f.package?.purl]),
    );
    expect(p.image.ref).toBe(full.image.ref);
    expect(p.db).toEqual(full.db);
    expect(p.notes).toEqual(full.notes);
    // the input is not changed
    expect(full.packages.length).toBe(readScan('multi').packages.length);
  });

  for (const [imageName, scan] of Object.entries(scans))
    for (const [policyName, policy] of Object.entries(policies))
      it(`${imageName} under policy "${policyName}": the projection evaluates like the full result`, () => {
        const entry = toStored(scan);
        const projected = toStoredProjection(entry);
        const full = evaluatePolicy(entry.scan, policy, { now: NOW, image: { digest: entry.digest } });
        const light = evaluatePolicy(projected.scan, policy, { now: NOW, image: { digest: entry.digest } });
        expect(light.verdict).toEqual(full.verdict);
        expect(light.notes).toEqual(full.notes);
        expect(light.findings.map((f) => [f.id, f.suppressedBy])).toEqual(
          full.findings.map((f) => [f.id, f.suppressedBy]),
        );
        expect(toImageSummary(projected, policy, NOW)).toEqual(toImageSummary(entry, policy, NOW));
        const [a, b] = [toIndexedImage(projected, policy, NOW), toIndexedImage(entry, policy, NOW)];
        expect({ ...a, risks: [...a.risks].sort() }).toEqual({ ...b, risks: [...b.risks].sort() });
        expect(
          selectImages([projected], policy, { riskType: 'vulnerability', severity: 'high' }, NOW),
        ).toEqual(selectImages([entry], policy, { riskType: 'vulnerability', severity: 'high' }, NOW));
        expect(toExceptionsView([projected], policy, NOW)).toEqual(toExceptionsView([entry], policy, NOW));
      });

  it('the exceptions policy really suppresses by package, purl, path and id, and the decoys match nothing', () => {
    const projected = toStoredProjection(toStored(scans.multi!));
    const { findings } = evaluatePolicy(projected.scan, policies.exceptions!, { now: NOW });
    const by = (id: string) => findings.find((f) => f.id === id)?.suppressedBy?.index;
    expect(by('CVE-2010-4756')).toBe(0); // libc6
    expect(by('PYSEC-2023-192')).toBe(1); // pkg:pypi/urllib3
    expect(by('PCS-SECRET-PRIVATE-KEY')).toBe(2); // /root/.ssh/id_rsa
    expect(by('GO-2023-1840')).toBe(3);
    // expired: no longer suppresses
    expect(by('PCS-BUILD-PIPE-TO-SHELL')).toBeUndefined();
    // negative cases: not libc6, not under /root/.ssh, not a baseline finding
    expect(by('CVE-2011-3374')).toBeUndefined();
    expect(by('PCS-SECRET-AWS-SECRET-ACCESS-KEY')).toBeUndefined();
    expect(findings.some((f) => [5, 6, 7].includes(f.suppressedBy?.index ?? -1))).toBe(false);
    const view = toExceptionsView([projected], policies.exceptions!, NOW);
    expect(view.items.map((i) => i.suppressed)).toEqual([1, 2, 1, 2, 0, 0, 0, 0]);
  });
});
