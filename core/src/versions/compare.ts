import { PortcullisError } from '../errors.js';
import { compareApk, parseApkVersion } from './apk.js';
import { compareComposer, parseComposerVersion } from './composer.js';
import { compareDpkg, parseDpkgVersion } from './dpkg.js';
import { compareMaven, parseMavenVersion } from './maven.js';
import { comparePep440, parsePep440Version } from './pep440.js';
import { compareRpm, parseRpmVersion } from './rpm.js';
import { compareRubyGems, parseRubyGemsVersion } from './rubygems.js';
import { compareSemver, parseSemverVersion } from './semver.js';

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

interface Scheme<T> {
  parse: (v: string) => T;
  compare: (a: T, b: T) => number;
}

function scheme<T>(parse: (v: string) => T, compare: (a: T, b: T) => number): Scheme<unknown> {
  return { parse, compare } as Scheme<unknown>;
}

const SCHEMES: Record<VersionScheme, Scheme<unknown>> = {
  dpkg: scheme(parseDpkgVersion, compareDpkg),
  apk: scheme(parseApkVersion, compareApk),
  rpm: scheme(parseRpmVersion, compareRpm),
  semver: scheme(parseSemverVersion, compareSemver),
  pep440: scheme(parsePep440Version, comparePep440),
  maven: scheme(parseMavenVersion, compareMaven),
  rubygems: scheme(parseRubyGemsVersion, compareRubyGems),
  composer: scheme(parseComposerVersion, compareComposer),
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

/** Parsed versions a memoising comparator keeps before it starts over. */
const MEMO_LIMIT = 50_000;

/**
 * A comparator for one ecosystem, resolved once, that remembers parsed versions: matching compares the
 * same few versions (installed, event bounds) many times. Invalid versions still throw on every call.
 */
export function createComparator(ecosystem: string): (a: string, b: string) => number {
  const { parse, compare } = SCHEMES[schemeOrThrow(ecosystem)];
  const memo = new Map<string, unknown>();
  const parsed = (v: string): unknown => {
    let p = memo.get(v);
    if (p === undefined) {
      p = parse(v);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(v, p);
    }
    return p;
  };
  return (a, b) => compare(parsed(a), parsed(b));
}

/**
 * Orders two versions of an OSV ecosystem: negative, 0 or positive.
 * Throws VERSION_INVALID for a version the ecosystem cannot order (never a silent guess),
 * VERSION_ECOSYSTEM_UNSUPPORTED for an unknown ecosystem.
 */
export function compareVersions(ecosystem: string, a: string, b: string): number {
  const { parse, compare } = SCHEMES[schemeOrThrow(ecosystem)];
  return compare(parse(a), parse(b));
}

/** True when `version` is a version the ecosystem's ordering accepts. */
export function isValidVersion(ecosystem: string, version: string): boolean {
  const scheme = toVersionScheme(ecosystem);
  if (!scheme) return false;
  try {
    SCHEMES[scheme].parse(version);
    return true;
  } catch {
    return false;
  }
}
