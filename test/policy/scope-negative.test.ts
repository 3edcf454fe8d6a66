/**
 * Issue #11 item 21: every scope gets its negative case. An exception must never suppress a finding outside its
 * scope (digest, registry glob and its case, repository and image globs, namespace, purl namespace), and expiry
 * is exact at the boundary. Each case pairs an inside evaluation (suppressed) with the outside ones (not).
 */
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, parsePolicy, policyCheck } from '../../core/src/policy/index.js';
import type { Finding } from '../../core/src/types/finding.js';
import type { ScanResult } from '../../core/src/types/scan.js';
import type { EvaluationContext } from '../../core/src/policy/index.js';
import { NOW, readMultiScan } from './helpers.js';

const KEY = 'PCS-SECRET-PRIVATE-KEY';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

function suppressed(
  scan: ScanResult,
  exception: string,
  ctx: Omit<EvaluationContext, 'now'>,
  id = KEY,
): boolean {
  const p = parsePolicy(`apiVersion: portcullis/v1\nexceptions:\n  - ${exception}\n`);
  const ev = evaluatePolicy(scan, p, { now: NOW, ...ctx });
  const f = ev.findings.find((x) => x.id === id);
  if (!f) throw new Error(`no ${id} finding in the fixture`);
  return f.suppressedBy !== undefined;
}

describe('exception scopes: inside suppresses, outside never does', () => {
  const scan = readMultiScan();

  it('digest: only the named digest', () => {
    const e = `{ id: ${KEY}, digest: "${DIGEST_A}", reason: r }`;
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/app', digest: DIGEST_A } })).toBe(true);
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/app', digest: DIGEST_B } })).toBe(false);
    expect(suppressed(scan, e, { image: { ref: `registry.example.com/app@${DIGEST_B}` } })).toBe(false);
    // no digest known at all: the scope cannot be checked, so it does not match
    const noDigest = { ...scan, image: { ...scan.image, digest: undefined } } as unknown as ScanResult;
    delete (noDigest.image as { digest?: string }).digest;
    expect(suppressed(noDigest, e, { image: { ref: 'registry.example.com/app' } })).toBe(false);
    // a list of digests: each inside, any other outside
    const list = `{ id: ${KEY}, digest: ["${DIGEST_A}", "${DIGEST_B}"], reason: r }`;
    expect(suppressed(scan, list, { image: { ref: 'x.example/app', digest: DIGEST_B } })).toBe(true);
    expect(
      suppressed(scan, list, { image: { ref: 'x.example/app', digest: `sha256:${'c'.repeat(64)}` } }),
    ).toBe(false);
  });

  it('registry glob: host case does not matter, but the host does', () => {
    const e = `{ id: ${KEY}, registries: ["Registry.Example.COM"], reason: r }`;
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/team/app:1' } })).toBe(true);
    expect(suppressed(scan, e, { image: { ref: 'registry.example.org/team/app:1' } })).toBe(false);
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com.evil.io/team/app:1' } })).toBe(false);
    expect(suppressed(scan, e, { image: { ref: 'evil.io/registry.example.com/app:1' } })).toBe(false);
    const glob = `{ id: ${KEY}, registries: ["*.example.com"], reason: r }`;
    expect(suppressed(scan, glob, { image: { ref: 'eu.example.com/app' } })).toBe(true);
    expect(suppressed(scan, glob, { image: { ref: 'example.com.attacker.io/app' } })).toBe(false);
    // a local source has no registry: a registry scope never matches it
    expect(suppressed(scan, glob, { image: { ref: 'oci:/tmp/layout:app' } })).toBe(false);
  });

  it('image and repository globs: one path level per *, no prefix or suffix match', () => {
    const e = `{ id: ${KEY}, images: ["registry.example.com/team/*"], reason: r }`;
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/team/app:1' } })).toBe(true);
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/team/sub/app:1' } })).toBe(false);
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/teamx/app:1' } })).toBe(false);
    expect(suppressed(scan, e, { image: { ref: 'other.example.com/team/app:1' } })).toBe(false);
    // image paths are case-sensitive (only the registry host is not)
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/Team/app:1' } })).toBe(false);
    const repo = `{ id: ${KEY}, repositories: ["registry.example.com/team/app"], reason: r }`;
    expect(suppressed(scan, repo, { image: { ref: 'registry.example.com/team/app:2' } })).toBe(true);
    expect(suppressed(scan, repo, { image: { ref: 'registry.example.com/team/app2:2' } })).toBe(false);
    const hub = `{ id: ${KEY}, images: ["nginx"], reason: r }`;
    expect(suppressed(scan, hub, { image: { ref: 'docker.io/library/nginx:1.25' } })).toBe(true);
    expect(suppressed(scan, hub, { image: { ref: 'docker.io/evil/nginx:1.25' } })).toBe(false);
  });

  it('namespace glob: whole names only, and no namespace means no match', () => {
    const e = `{ id: ${KEY}, namespaces: ["team-*"], reason: r }`;
    expect(suppressed(scan, e, { namespace: 'team-a' })).toBe(true);
    expect(suppressed(scan, e, { namespace: 'teams' })).toBe(false);
    expect(suppressed(scan, e, { namespace: 'prod-team-a' })).toBe(false);
    expect(suppressed(scan, e, {})).toBe(false);
  });

  it('scopes combine with AND: a matching image in another namespace is outside', () => {
    const e = `{ id: ${KEY}, images: ["registry.example.com/**"], namespaces: [sandbox], reason: r }`;
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/a/b' }, namespace: 'sandbox' })).toBe(
      true,
    );
    expect(suppressed(scan, e, { image: { ref: 'registry.example.com/a/b' }, namespace: 'prod' })).toBe(
      false,
    );
    expect(suppressed(scan, e, { image: { ref: 'other.example.com/a/b' }, namespace: 'sandbox' })).toBe(
      false,
    );
  });
});

describe('package purl scopes', () => {
  const scan = readMultiScan();
  const libc = 'CVE-2023-4911';
  /** The multi fixture with its libc6 finding moved to another purl. */
  function withPurl(purl: string): ScanResult {
    const copy = readMultiScan();
    const f = copy.findings.find((x) => x.id === libc) as Finding;
    f.package = { ...(f.package as NonNullable<Finding['package']>), purl };
    return copy;
  }

  it('a purl namespace must match: debian is not ubuntu', () => {
    const e = `{ id: ${libc}, package: "pkg:deb/debian/libc6", reason: r }`;
    expect(suppressed(scan, e, {}, libc)).toBe(true);
    expect(suppressed(withPurl('pkg:deb/ubuntu/libc6@2.36-9%2Bdeb12u1?arch=amd64'), e, {}, libc)).toBe(false);
  });

  it('a purl without a namespace does not match a namespaced package (npm lodash is not @evil/lodash)', () => {
    const e = `{ package: "pkg:npm/lodash", reason: r }`;
    expect(suppressed(withPurl('pkg:npm/lodash@4.17.20'), e, {}, libc)).toBe(true);
    expect(suppressed(withPurl('pkg:npm/%40evil/lodash@4.17.20'), e, {}, libc)).toBe(false);
  });

  it('the purl type and a pinned version must match', () => {
    expect(suppressed(scan, `{ package: "pkg:rpm/debian/libc6", reason: r }`, {}, libc)).toBe(false);
    expect(
      suppressed(scan, `{ package: "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1", reason: r }`, {}, libc),
    ).toBe(true);
    expect(suppressed(scan, `{ package: "pkg:deb/debian/libc6@2.36-9", reason: r }`, {}, libc)).toBe(false);
  });
});

describe('expiry at the exact boundary', () => {
  const scan = readMultiScan();
  const at = (iso: string): string => `{ id: ${KEY}, reason: r, expires: "${iso}" }`;

  it('an entry stops applying at its expiry instant, not one millisecond later', () => {
    const now = NOW.toISOString();
    expect(suppressed(scan, at(now), {})).toBe(false);
    expect(suppressed(scan, at(new Date(NOW.getTime() + 1).toISOString()), {})).toBe(true);
    expect(suppressed(scan, at(new Date(NOW.getTime() - 1).toISOString()), {})).toBe(false);
  });

  it('a bare date ends at 00:00 UTC that day', () => {
    const midnight = new Date('2026-11-28T00:00:00Z');
    const p = parsePolicy(`apiVersion: portcullis/v1\nexceptions:\n  - ${at('2026-11-28')}\n`);
    const on = (now: Date): boolean =>
      evaluatePolicy(scan, p, { now }).findings.find((f) => f.id === KEY)?.suppressedBy !== undefined;
    expect(on(new Date(midnight.getTime() - 1))).toBe(true);
    expect(on(midnight)).toBe(false);
  });

  it('policy check calls an entry expiring now expired, and one a millisecond later expiring', () => {
    const p = parsePolicy(
      `apiVersion: portcullis/v1\nexceptions:\n  - ${at(NOW.toISOString())}\n  - ${at(new Date(NOW.getTime() + 1).toISOString())}\n`,
    );
    const r = policyCheck(p, NOW);
    expect(r.expired.map((e) => e.index)).toEqual([0]);
    expect(r.expiring.map((e) => e.index)).toEqual([1]);
  });
});
