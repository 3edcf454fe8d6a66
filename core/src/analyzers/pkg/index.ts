import type { Analyzer } from '../analyzer.js';
import { apkAnalyzer } from './apk.js';
import { dpkgAnalyzer } from './dpkg.js';
import { rpmAnalyzer } from './rpm.js';

export { APK_INSTALLED_PATHS, apkAnalyzer, parseApkInstalled } from './apk.js';
export {
  DPKG_STATUS_DIR,
  DPKG_STATUS_PATH,
  dpkgAnalyzer,
  isDpkgStatusPath,
  parseDpkgStatus,
  type DpkgParseOptions,
} from './dpkg.js';
export {
  RPM_DB_PATHS,
  parseRpmDb,
  readRpmDbBlobs,
  rpmAnalyzer,
  toRpmDbFormat,
  toRpmRecord,
  type RpmDbFormat,
} from './rpm.js';
export { RPMTAG, RpmHeaderError, parseRpmHeader, parseSourceRpm, type RpmHeaderInfo } from './rpm-header.js';
export { isBerkeleyDb, readBerkeleyDbValues, type BlobList } from './rpm-bdb.js';
export { isNdb, readNdbBlobs } from './rpm-ndb.js';
export { isSqlite, readSqliteBlobs } from './rpm-sqlite.js';
export { applyOsToPackages, toOsvEcosystem, toOsPackageIdentity } from './os-packages.js';
export { toPurl, type PurlParts } from './purl.js';
export {
  MAX_FIELD_LENGTH,
  analyzeSafely,
  toAnalysisResult,
  toOsPackage,
  type OsPackageRecord,
  type ParsedPackages,
} from './record.js';

/** Every OS package inventory analyzer, in registration order. */
export const PKG_ANALYZERS: readonly Analyzer[] = [dpkgAnalyzer, apkAnalyzer, rpmAnalyzer];
