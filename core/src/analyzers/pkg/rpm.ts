import type { Analyzer } from '../analyzer.js';
import { analyzeSafely, addWarning, parseFailed } from './record.js';
import type { OsPackageRecord, ParsedPackages } from './record.js';
import { isBerkeleyDb, readBerkeleyDbValues, type BlobList } from './rpm-bdb.js';
import { parseRpmHeader, parseSourceRpm, type RpmHeaderInfo } from './rpm-header.js';
import { isNdb, readNdbBlobs } from './rpm-ndb.js';
import { isSqlite, readSqliteBlobs } from './rpm-sqlite.js';

/** rpmdb locations: classic `/var/lib/rpm`, and `/usr/lib/sysimage/rpm` (SUSE, Fedora 36+). */
export const RPM_DB_PATHS: readonly string[] = [
  '/var/lib/rpm/Packages',
  '/var/lib/rpm/Packages.db',
  '/var/lib/rpm/rpmdb.sqlite',
  '/usr/lib/sysimage/rpm/Packages',
  '/usr/lib/sysimage/rpm/Packages.db',
  '/usr/lib/sysimage/rpm/rpmdb.sqlite',
];

/** Which backend a buffer holds, judged by its magic bytes (not its file name). */
export type RpmDbFormat = 'bdb' | 'ndb' | 'sqlite';

export function toRpmDbFormat(buf: Buffer): RpmDbFormat | undefined {
  if (isSqlite(buf)) return 'sqlite';
  if (isNdb(buf)) return 'ndb';
  if (isBerkeleyDb(buf)) return 'bdb';
  return undefined;
}

/** `[epoch:]version-release`, the form rpm compares; epoch 0 is left out as rpm treats it as absent. */
function evr(epoch: number | undefined, version: string, release: string): string {
  const vr = release ? `${version}-${release}` : version;
  return epoch ? `${epoch}:${vr}` : vr;
}

/** One header's fields as an OS package record. */
export function toRpmRecord(h: RpmHeaderInfo): OsPackageRecord {
  const version = evr(h.epoch, h.version, h.release);
  const record: OsPackageRecord = { name: h.name, version, sourceName: h.name };
  if (h.arch) record.arch = h.arch;
  const source = h.sourceRpm ? parseSourceRpm(h.sourceRpm) : undefined;
  if (source) {
    record.sourceName = source.name;
    // The source RPM file name carries no epoch; it is the binary's (rpm builds both from one spec).
    const sourceVersion = evr(h.epoch, source.version, source.release);
    if (sourceVersion !== version) record.sourceVersion = sourceVersion;
  }
  if (h.license) record.licenses = [h.license];
  if (h.vendor) record.vendor = h.vendor;
  if (h.modularityLabel) record.modularityLabel = h.modularityLabel;
  return record;
}

/** Reads every header blob of an rpm database in any of the three backends. */
export function readRpmDbBlobs(buf: Buffer, path: string): BlobList {
  const format = toRpmDbFormat(buf);
  if (!format) throw parseFailed(path, 'not an rpm database: no Berkeley DB, ndb or sqlite magic');
  try {
    if (format === 'sqlite') return readSqliteBlobs(buf);
    if (format === 'ndb') return readNdbBlobs(buf);
    return readBerkeleyDbValues(buf);
  } catch (err) {
    throw parseFailed(path, `${format}: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

/**
 * Parses an rpm database (Berkeley DB `Packages`, ndb `Packages.db` or sqlite `rpmdb.sqlite`, detected by
 * content) into package records. Headers that fail to parse are skipped with a warning; `gpg-pubkey`
 * pseudo-packages (imported signing keys) are left out. Throws ANALYZER_PARSE_FAILED when the database
 * itself cannot be read.
 */
export function parseRpmDb(buf: Buffer, path = '/var/lib/rpm/rpmdb.sqlite'): ParsedPackages {
  const { blobs, warnings } = readRpmDbBlobs(buf, path);
  const backendProblems = warnings.length;
  const packages: OsPackageRecord[] = [];
  let bad = 0;
  for (const blob of blobs) {
    let header: RpmHeaderInfo;
    try {
      header = parseRpmHeader(blob);
    } catch (err) {
      bad++;
      addWarning(
        warnings,
        `skipped an unreadable package header: ${err instanceof Error ? err.message : String(err)}`,
      );
      continue;
    }
    if (header.name === 'gpg-pubkey') continue;
    packages.push(toRpmRecord(header));
  }
  if (bad > 0 && packages.length === 0) {
    throw parseFailed(path, `none of the ${blobs.length} package headers could be read`);
  }
  // every backend warning (truncated file, bad page or slot, broken chain) is a package that may be lost
  const skipped = bad + backendProblems;
  return skipped > 0 ? { packages, warnings, skipped } : { packages, warnings };
}

export const rpmAnalyzer: Analyzer = {
  name: 'rpm',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return header.kind === 'file' && RPM_DB_PATHS.includes(path);
  },
  analyze(file) {
    const content = file.content;
    if (!content) return undefined;
    return analyzeSafely(file, 'rpm', () => parseRpmDb(content, file.path));
  },
};
