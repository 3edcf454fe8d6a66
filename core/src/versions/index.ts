export {
  compareVersions,
  createComparator,
  isSupportedEcosystem,
  isValidVersion,
  toEcosystemBase,
  toVersionScheme,
} from './compare.js';
export type { VersionScheme } from './compare.js';
export { compareDpkg, compareDpkgVersions, compareDpkgPart, parseDpkgVersion } from './dpkg.js';
export type { DpkgVersion } from './dpkg.js';
export { compareApk, compareApkVersions, parseApkVersion } from './apk.js';
export type { ApkVersion } from './apk.js';
export { compareRpm, compareRpmVersions, parseRpmVersion, rpmvercmp } from './rpm.js';
export type { RpmVersion } from './rpm.js';
export { compareSemver, compareSemverVersions, parseSemverVersion } from './semver.js';
export type { SemverVersion } from './semver.js';
export { comparePep440, comparePep440Versions, parsePep440Version } from './pep440.js';
export type { Pep440Version } from './pep440.js';
export { compareMaven, compareMavenVersions, parseMavenVersion } from './maven.js';
export type { MavenVersion } from './maven.js';
export { compareRubyGems, compareRubyGemsVersions, parseRubyGemsVersion } from './rubygems.js';
export type { RubyGemsVersion } from './rubygems.js';
export { compareComposer, compareComposerVersions, parseComposerVersion } from './composer.js';
export type { ComposerVersion } from './composer.js';
export { MAX_VERSION_LENGTH } from './util.js';
