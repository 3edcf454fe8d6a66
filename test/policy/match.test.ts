/**
 * The exception matcher, selector by selector, each with the case that must match and the nearest one that must
 * not (written against the mutants Stryker found surviving in core/src/policy/match.ts; see docs/MUTATION.md).
 */
import { describe, expect, it } from 'vitest';
import {
  compileFindingMatcher,
  describeException,
  isExceptionMatch,
  parsePurl,
  toExpiryDate,
} from '../../core/src/policy/match.js';
import { toImageRefParts } from '../../core/src/policy/image-ref.js';
import type { PolicyException } from '../../core/src/policy/types.js';
import type { Finding } from '../../core/src/types/finding.js';

const base: Finding = {
  type: 'vulnerability',
  id: 'CVE-2023-4911',
  ruleId: 'CVE-2023-4911',
  severity: 'high',
  title: 't',
  location: { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', layerDigest: 'sha256:l' },
  aliases: ['DEBIAN-CVE-2023-4911'],
  package: {
    name: 'libc6',
    version: '2.36-9+deb12u1',
    ecosystem: 'Debian:12',
    purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64',
    sourceName: 'glibc',
  },
};
const entry = (e: Partial<PolicyException>): PolicyException => ({ reason: 'r', ...e });
const matches = (e: Partial<PolicyException>, f: Finding = base): boolean =>
  compileFindingMatcher(entry(e))(f);

describe('finding selectors', () => {
  it('id: exact, case-insensitive, through ruleId and aliases, and globs', () => {
    expect(matches({ id: 'cve-2023-4911' })).toBe(true);
    expect(matches({ id: 'CVE-2023-49' })).toBe(false);
    expect(matches({ id: 'DEBIAN-CVE-2023-4911' })).toBe(true);
    expect(matches({ id: 'CVE-OTHER' }, { ...base, ruleId: 'CVE-OTHER' })).toBe(true);
    expect(matches({ id: ['X', 'CVE-2023-4911'] })).toBe(true);
    expect(matches({ id: 'CVE-2023-*' })).toBe(true);
    expect(matches({ id: 'cve-2023-*' })).toBe(true);
    expect(matches({ id: 'CVE-2024-*' })).toBe(false);
    expect(matches({ id: 'DEBIAN-*' })).toBe(true);
    expect(matches({ id: 'CVE-2023-*' }, { ...base, ruleId: undefined, aliases: [] } as Finding)).toBe(true);
    const { ruleId: _r, aliases: _a, ...bare } = base;
    expect(matches({ id: 'DEBIAN-*' }, bare)).toBe(false);
  });

  it('type: one or a list', () => {
    expect(matches({ id: '*', type: 'vulnerability' })).toBe(true);
    expect(matches({ id: '*', type: 'baseline' })).toBe(false);
    expect(matches({ id: '*', type: ['baseline', 'vulnerability'] })).toBe(true);
  });

  it('path: globs with or without the leading slash, never a sibling directory', () => {
    expect(matches({ path: '/usr/lib/**' })).toBe(true);
    expect(matches({ path: 'usr/lib/**' })).toBe(true);
    expect(matches({ path: '/usr/lib/*' })).toBe(false);
    expect(matches({ path: '/usr/li/**' })).toBe(false);
    expect(matches({ path: '/usr/lib/x86_64-linux-gnu/libc.so.6' })).toBe(true);
    expect(matches({ path: ['/etc/**', '/usr/**'] })).toBe(true);
    expect(matches({ path: '/USR/lib/**' })).toBe(false);
    expect(matches({ path: '/usr/**' }, { ...base, location: {} })).toBe(false);
  });

  it('package: name or source name (globs), version, purl', () => {
    expect(matches({ package: 'libc6' })).toBe(true);
    expect(matches({ package: 'glibc' })).toBe(true);
    expect(matches({ package: 'libc*' })).toBe(true);
    expect(matches({ package: 'libc' })).toBe(false);
    expect(matches({ package: { name: 'libc6', version: '2.36-9+deb12u1' } })).toBe(true);
    expect(matches({ package: { name: 'libc6', version: '2.36-9' } })).toBe(false);
    expect(matches({ package: { version: '2.36-9+deb12u1' } })).toBe(true);
    expect(matches({ package: 'pkg:deb/debian/libc6' })).toBe(true);
    expect(matches({ package: 'pkg:deb/debian/LIBC6' })).toBe(true);
    expect(matches({ package: 'pkg:deb/debian/libc7' })).toBe(false);
    expect(matches({ package: 'pkg:apk/debian/libc6' })).toBe(false);
    expect(matches({ package: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1' })).toBe(true);
    expect(matches({ package: 'pkg:deb/debian/libc6@2.36-9' })).toBe(false);
    expect(matches({ package: 'not a purl but pkg:' })).toBe(false);
    expect(matches({ package: 'pkg:bad' })).toBe(false);
    const { package: _p, ...noPackage } = base;
    expect(matches({ package: 'libc6' }, noPackage)).toBe(false);
    const noSource = { ...base, package: { ...base.package!, sourceName: undefined } } as Finding;
    expect(matches({ package: 'glibc' }, noSource)).toBe(false);
  });

  it('every selector present must match (AND)', () => {
    expect(matches({ id: 'CVE-2023-4911', package: 'libc6', path: '/usr/**', type: 'vulnerability' })).toBe(
      true,
    );
    expect(matches({ id: 'CVE-2023-4911', package: 'openssl' })).toBe(false);
    expect(matches({ id: 'CVE-2023-4911', path: '/etc/**' })).toBe(false);
  });
});

describe('parsePurl', () => {
  it('reads type, namespace, name and version, decoding each', () => {
    expect(parsePurl('pkg:npm/%40scope/name@1.0.0?x=1#sub')).toEqual({
      type: 'npm',
      namespace: '@scope',
      name: 'name',
      version: '1.0.0',
    });
    expect(parsePurl('pkg:DEB/debian/libc6@2.36-9%2Bdeb12u1')).toEqual({
      type: 'deb',
      namespace: 'debian',
      name: 'libc6',
      version: '2.36-9+deb12u1',
    });
    expect(parsePurl(' pkg:golang/github.com/a/b ')).toEqual({
      type: 'golang',
      namespace: 'github.com/a',
      name: 'b',
    });
    expect(parsePurl('pkg:npm/lodash@')).toEqual({ type: 'npm', name: 'lodash' });
    expect(parsePurl('npm/lodash')).toBeUndefined();
    expect(parsePurl('pkg:npm')).toBeUndefined();
  });
});

describe('scopes and their absence', () => {
  const f = base;
  it('a scope that cannot be checked does not match', () => {
    expect(isExceptionMatch(entry({ id: '*', images: ['**'] }), f, {})).toBe(false);
    expect(isExceptionMatch(entry({ id: '*', repositories: ['**'] }), f, {})).toBe(false);
    expect(isExceptionMatch(entry({ id: '*', registries: ['*'] }), f, {})).toBe(false);
    expect(isExceptionMatch(entry({ id: '*', namespaces: ['*'] }), f, {})).toBe(false);
    expect(isExceptionMatch(entry({ id: '*', digest: 'sha256:a' }), f, {})).toBe(false);
    expect(isExceptionMatch(entry({ id: '*' }), f, {})).toBe(true);
  });
  it('images match the reference, the repository and repository:tag', () => {
    const image = toImageRefParts('registry.example.com/team/app:1.2@sha256:abc');
    expect(
      isExceptionMatch(entry({ id: '*', images: ['registry.example.com/team/app'] }), f, { image }),
    ).toBe(true);
    expect(
      isExceptionMatch(entry({ id: '*', images: ['registry.example.com/team/app:1.2'] }), f, { image }),
    ).toBe(true);
    expect(
      isExceptionMatch(entry({ id: '*', images: ['registry.example.com/team/app:1.3'] }), f, { image }),
    ).toBe(false);
    expect(isExceptionMatch(entry({ id: '*', digest: 'sha256:abc' }), f, { image })).toBe(true);
    expect(isExceptionMatch(entry({ id: '*', digest: ['sha256:x', 'sha256:abc'] }), f, { image })).toBe(true);
    expect(isExceptionMatch(entry({ id: '*', digest: 'sha256:abd' }), f, { image })).toBe(false);
    // the scope's own digest wins over the reference's
    expect(
      isExceptionMatch(entry({ id: '*', digest: 'sha256:abc' }), f, { image, digest: 'sha256:zzz' }),
    ).toBe(false);
  });
  it('a local source has no registry', () => {
    const image = toImageRefParts('oci:/tmp/layout:app');
    expect(isExceptionMatch(entry({ id: '*', registries: ['*'] }), f, { image })).toBe(false);
  });
});

describe('describeException and toExpiryDate', () => {
  it('labels an entry by its first three selectors', () => {
    expect(describeException(entry({ id: 'CVE-1' }), 2)).toBe('#2 (CVE-1)');
    expect(describeException(entry({ id: ['A', 'B'], path: '/x', images: ['i'] }), 0)).toBe(
      '#0 (A, B, /x, …)',
    );
    expect(describeException(entry({ package: { purl: 'pkg:npm/a' } }), 1)).toBe('#1 (pkg:npm/a)');
    expect(describeException(entry({ package: { name: 'a' } }), 1)).toBe('#1 (a)');
    expect(describeException(entry({ package: 'b', namespaces: ['ns'] }), 1)).toBe('#1 (b, ns:ns)');
    expect(describeException(entry({ package: { version: '1' } }), 3)).toBe('#3');
    expect(describeException(entry({ type: 'baseline', repositories: ['r'], registries: ['g'] }), 4)).toBe(
      '#4 (baseline, r, g)',
    );
  });
  it('reads a bare date as 00:00 UTC and a time as written; nothing or junk is undefined', () => {
    expect(toExpiryDate(entry({ expires: '2027-01-31' }))?.toISOString()).toBe('2027-01-31T00:00:00.000Z');
    expect(toExpiryDate(entry({ expires: '2027-01-31T12:30:00+02:00' }))?.toISOString()).toBe(
      '2027-01-31T10:30:00.000Z',
    );
    expect(toExpiryDate(entry({}))).toBeUndefined();
    expect(toExpiryDate(entry({ expires: 'soon' }))).toBeUndefined();
  });
});
