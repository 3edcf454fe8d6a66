import { PortcullisError } from '../errors.js';
import { compareApkVersions, parseApkVersion } from './apk.js';
import { compareComposerVersions, parseComposerVersion } from './composer.js';
import { compareDpkgVersions, parseDpkgVersion } from './dpkg.js';
import { compareMavenVersions, parseMavenVersion } from './maven.js';
import { comparePep440Versions, parsePep440Version } from './pep440.js';
import { compareRpmVersions, parseRpmVersion } from './rpm.js';
import { compareRubyGemsVersions, parseRubyGemsVersion } from './rubygems.js';
import { compareSemverVersions, parseSemverVersion } from './semver.js';

/** The version orderings Portcullis implements. */
export type VersionScheme = 'dpkg' | 'apk' | 'rpm' | 'semver' | 'pep440' | 'maven' | 'rubygems' | 'composer';

// OSV ecosystem base name (before the first `:`) → ordering.
const SCHEME_BY_ECOSYSTEM: Record<string, VersionScheme> = {
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  Alpine: 'apk',
  Wolfi: 'apk',
  Chainguard: 'apk',
  Alpaquita: 'apk',
  'BellSoft Hardened Containers': 'apk',
  'Red Hat': 'rpm',
  'Rocky Linux': 'rpm',
  AlmaLinux: 'rpm',
  SUSE: 'rpm',
  openSUSE: 'rpm',
  Mageia: 'rpm',
  Mariner: 'rpm',
  'Azure Linux': 'rpm',
  openEuler: 'rpm',
  npm: 'semver',
  'crates.io': 'semver',
  Go: 'semver',
  Hex: 'semver',
  Bitnami: 'semver',
  PyPI: 'pep440',
  Maven: 'maven',
  RubyGems: 'rubygems',
  Packagist: 'composer',
};

const COMPARATORS: Record<VersionScheme, (a: string, b: string) => number> = {
  dpkg: compareDpkgVersions,
  apk: compareApkVersions,
  rpm: compareRpmVersions,
  semver: compareSemverVersions,
  pep440: comparePep440Versions,
  maven: compareMavenVersions,
  rubygems: compareRubyGemsVersions,
  composer: compareComposerVersions,
};

const PARSERS: Record<VersionScheme, (v: string) => unknown> = {
  dpkg: parseDpkgVersion,
  apk: parseApkVersion,
  rpm: parseRpmVersion,
  semver: parseSemverVersion,
  pep440: parsePep440Version,
  maven: parseMavenVersion,
  rubygems: parseRubyGemsVersion,
  composer: parseComposerVersion,
};

/** The base name of an OSV ecosystem string: `Debian:12` → `Debian`, `Red Hat:rhel_aus:8.4::appstream` → `Red Hat`. */
export function toEcosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/** The ordering an OSV ecosystem uses, or undefined when Portcullis has none for it. */
export function toVersionScheme(ecosystem: string): VersionScheme | undefined {
  return SCHEME_BY_ECOSYSTEM[toEcosystemBase(ecosystem)];
}

/** True when Portcullis can order versions of this OSV ecosystem. */
export function isSupportedEcosystem(ecosystem: string): boolean {
  return toVersionScheme(ecosystem) !== undefined;
}

function schemeOrThrow(ecosystem: string): VersionScheme {
  const scheme = toVersionScheme(ecosystem);
  if (!scheme) {
    throw new PortcullisError(
      'VERSION_ECOSYSTEM_UNSUPPORTED',
      `no version ordering for ecosystem ${JSON.stringify(ecosystem)}`,
    );
  }
  return scheme;
}

/** A comparator for one ecosystem, resolved once (for hot loops). */
export function createComparator(ecosystem: string): (a: string, b: string) => number {
  return COMPARATORS[schemeOrThrow(ecosystem)];
}

/**
 * Orders two versions of an OSV ecosystem: negative, 0 or positive.
 * Throws VERSION_INVALID for a version the ecosystem cannot order (never a silent guess),
 * VERSION_ECOSYSTEM_UNSUPPORTED for an unknown ecosystem.
 */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  return COMPARATORS[schemeOrThrow(ecosystem)](a, b);
}

/** True when `version` is a version the ecosystem's ordering accepts. */
export function isValidVersion(ecosystem: string, version: string): boolean {
  const scheme = toVersionScheme(ecosystem);
  if (!scheme) return false;
  try {
    PARSERS[scheme](version);
    return true;
  } catch {
    return false;
  }
}
