import { describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/src/errors.js';
import {
  compareVersions,
  isValidVersion,
  toEcosystemBase,
  toVersionScheme,
} from '../../core/src/versions/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPortcullisError(err) ? err.code : 'NOT_PORTCULLIS';
  }
  return undefined;
}

describe('compareVersions', () => {
  describe('when dispatching by OSV ecosystem', () => {
    it.each([
      ['Debian:12', 'dpkg'],
      ['Ubuntu:22.04:LTS', 'dpkg'],
      ['Alpine:v3.11', 'apk'],
      ['Red Hat:rhel_aus:8.4::appstream', 'rpm'],
      ['SUSE:Linux Enterprise Server 15 SP5', 'rpm'],
      ['PyPI', 'pep440'],
      ['Go', 'semver'],
      ['crates.io', 'semver'],
      ['npm', 'semver'],
      ['Maven', 'maven'],
      ['RubyGems', 'rubygems'],
      ['Packagist', 'composer'],
    ])('maps %s to %s', (eco, scheme) => {
      expect(toVersionScheme(eco)).toBe(scheme);
    });

    it('strips the release from the base name', () => {
      expect(toEcosystemBase('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu');
    });

    it('refuses an ecosystem it has no ordering for', () => {
      expect(codeOf(() => compareVersions('CRAN', '1.0', '1.1'))).toBe('VERSION_ECOSYSTEM_UNSUPPORTED');
      expect(isValidVersion('CRAN', '1.0')).toBe(false);
    });
  });

  describe('when a version is invalid', () => {
    it.each([
      ['Debian:12', ''],
      ['Debian:12', '1.2.3-not-a-debian:version!@#$'],
      ['Debian:12', 'x:1.0'],
      ['Debian:12', ':1.0'],
      ['Alpine:v3.11', '1.0 r1'],
      ['Go', 'master'],
      ['npm', ''],
      ['PyPI', '1.0\n'],
      ['Maven', 'x'.repeat(300)],
      ['Red Hat', '1.0\t2'],
    ])('%s %j throws VERSION_INVALID instead of guessing', (eco, v) => {
      expect(codeOf(() => compareVersions(eco, v, '1.0'))).toBe('VERSION_INVALID');
      expect(codeOf(() => compareVersions(eco, '1.0', v))).toBe('VERSION_INVALID');
      expect(isValidVersion(eco, v)).toBe(false);
    });
  });

  describe('when ordering ecosystem specifics', () => {
    it.each([
      // dpkg: epoch beats everything, ~ before the release, revision last
      ['Debian:12', '1:0.1', '2.0', 1],
      ['Debian:12', '1.0~rc1-1', '1.0-1', -1],
      ['Debian:12', '2.36.1-8+deb11u1', '2.36.1-8', 1],
      // apk
      ['Alpine:v3.11', '1.31.1-r9', '1.31.1-r10', -1],
      ['Alpine:v3.11', '1.2_rc1', '1.2', -1],
      ['Alpine:v3.11', '1.2_p1', '1.2', 1],
      ['Alpine:v3.11', '1.1.1g-r0', '1.1.1d-r3', 1],
      // apk-tools 3 `~<hash>` (src/version.c TOKEN_COMMIT_HASH): hashes sort as byte strings, shorter
      // prefix first; a hash outranks a revision or the end at the same place; earlier tokens decide first
      ['Alpine:v3.11', '1.0~abc', '1.0~abd', -1],
      ['Alpine:v3.11', '1.0~abc', '1.0~ab', 1],
      ['Alpine:v3.11', '1.0~ABC', '1.0~abc', -1],
      ['Alpine:v3.11', '1.0~abc-r1', '1.0~abc-r2', -1],
      ['Alpine:v3.11', '1.0~abc-r5', '1.0~abd-r1', -1],
      ['Alpine:v3.11', '1.0~abc', '1.0', 1],
      ['Alpine:v3.11', '1.0~abc', '1.0-r9', 1],
      ['Alpine:v3.11', '1.0~abc', '1.1', -1],
      ['Alpine:v3.11', '1.0_git1~abc', '1.0_git2~abb', -1],
      ['Alpine:v3.11', '26.255.21994~842f055', '26.255.21994~842f055', 0],
      // rpm: ~ and ^, epoch
      ['Red Hat', '1.0~rc1', '1.0', -1],
      ['Red Hat', '1.0^git1', '1.0', 1],
      ['Red Hat', '1:1.0', '2.0', 1],
      // Go: v prefix, +incompatible is build metadata, pseudo-versions are prereleases of the next patch
      ['Go', 'v1.19.8', '1.19.8', 0],
      ['Go', 'v2.0.0+incompatible', 'v2.0.0', 0],
      ['Go', 'v0.0.0-20210101000000-abcdef123456', 'v0.0.0-20220101000000-abcdef123456', -1],
      ['Go', 'v1.2.4-0.20210101000000-abcdef123456', 'v1.2.4', -1],
      ['Go', 'v1.2.4-0.20210101000000-abcdef123456', 'v1.2.3', 1],
      // PEP 440
      ['PyPI', '2.28.1', '2.31.0', -1],
      ['PyPI', '1!0.1', '2.0', 1],
      ['PyPI', '1.0.post1', '1.0', 1],
      ['PyPI', '1.0rc1', '1.0', -1],
      ['PyPI', '1.0.dev1', '1.0a1', -1],
      ['PyPI', '1.0+local', '1.0', 1],
      // semver prereleases
      ['crates.io', '1.0.0-alpha', '1.0.0', -1],
      ['npm', '4.17.15', '4.17.21', -1],
      // Maven
      ['Maven', '1.0-SNAPSHOT', '1.0', -1],
      ['Maven', '1.0.RELEASE', '1.0', 0],
      ['Maven', '2.0-sp1', '2.0', 1],
      // RubyGems prereleases
      ['RubyGems', '1.0.0.beta1', '1.0.0', -1],
      // Composer
      ['Packagist', 'v1.0.0-RC1', '1.0.0', -1],
    ])('%s: %s vs %s is %i', (eco, a, b, want) => {
      expect(Math.sign(compareVersions(eco, a, b))).toBe(want);
      expect(Math.sign(compareVersions(eco, b, a))).toBe(want === 0 ? 0 : -want);
    });
  });
});
