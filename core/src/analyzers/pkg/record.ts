import { PortcullisError, wrapError } from '../../errors.js';
import type { ImageFile } from '../../types/file.js';
import type { Note } from '../../types/finding.js';
import type { Package, PackageType } from '../../types/package.js';
import { toOsPackageIdentity } from './os-packages.js';

/** A package as read from an OS package database, before the scan knows which OS it belongs to. */
export interface OsPackageRecord {
  name: string;
  /** Full version as the package manager compares it (`1:2.31.1-0.4ubuntu3.1`, `2.32.1-42.el8_8`). */
  version: string;
  arch?: string;
  sourceName?: string;
  /** Set only when it differs from `version`. */
  sourceVersion?: string;
  licenses?: string[];
  /** rpm: the package vendor, used to guess a namespace before the OS is known. */
  vendor?: string;
  /** rpm: modularity label (`nodejs:18:…`), absent for non-modular packages. */
  modularityLabel?: string;
}

/** What an OS package parser returns: the packages, and why any entry was skipped. */
export interface ParsedPackages {
  packages: OsPackageRecord[];
  /** Non-fatal problems (a skipped entry, a truncated database): they become notes. */
  warnings: string[];
  /**
   * Entries (or regions) that were in the database but could not be read: damage, over-long fields,
   * unreadable headers or pages. Any makes the inventory incomplete (an INVENTORY_INCOMPLETE note).
   */
  skipped?: number;
}

/**
 * The note code for "this package database could not be read completely": some installed packages may be
 * missing from the inventory, so their vulnerabilities were not checked (the policy never lets such a scan
 * be a clean allow; see `core/src/policy/unchecked.ts`).
 */
export const INVENTORY_INCOMPLETE = 'INVENTORY_INCOMPLETE';

function toIncompleteNote(
  file: Pick<ImageFile, 'path' | 'layerDigest'>,
  what: string,
  found: number | undefined,
): Note {
  const read =
    found === undefined ? 'no packages were read' : `${found} package${found === 1 ? '' : 's'} read`;
  return {
    code: INVENTORY_INCOMPLETE,
    message: `${file.path}: ${what} (${read}): installed packages may be missing, so vulnerabilities were not fully checked`,
    path: file.path,
    layerDigest: file.layerDigest,
  };
}

/** Longest name or version kept; longer values come from corrupted or hostile databases. */
export const MAX_FIELD_LENGTH = 1024;

/** Warnings kept per parsed file; a garbage file must not produce one note per line. */
export const MAX_WARNINGS = 20;

/** Adds a warning unless the cap is reached (then one last "more warnings" line). */
export function addWarning(warnings: string[], message: string): void {
  if (warnings.length < MAX_WARNINGS) warnings.push(message);
  else if (warnings.length === MAX_WARNINGS) warnings.push('more problems were found and not listed');
}

/** The error every OS package parser throws on input it cannot read at all. */
export function parseFailed(path: string, reason: string, cause?: unknown): PortcullisError {
  return new PortcullisError('ANALYZER_PARSE_FAILED', `${path}: ${reason}`, {
    cause,
    problems: [{ path, message: reason }],
  });
}

/** Turns parser output into packages and notes located at the file they were read from. */
export function toAnalysisResult(
  parsed: ParsedPackages,
  type: PackageType,
  file: Pick<ImageFile, 'path' | 'layerDigest'>,
): { packages: Package[]; notes?: Note[] } {
  const packages = parsed.packages.map((r) => toOsPackage(r, type, file));
  const notes: Note[] = parsed.warnings.map((message) => ({
    code: 'ANALYZER_PARSE_PARTIAL',
    message: `${file.path}: ${message}`,
    path: file.path,
    layerDigest: file.layerDigest,
  }));
  const skipped = parsed.skipped ?? 0;
  if (skipped > 0) {
    const what = `${skipped} damaged or unreadable entr${skipped === 1 ? 'y was' : 'ies were'} skipped`;
    notes.push(toIncompleteNote(file, what, packages.length));
  }
  return notes.length === 0 ? { packages } : { packages, notes };
}

/**
 * Runs a package parser for an analyzer: a file it cannot read becomes a note, never a failed scan
 * (a later layer may still hold a good copy, and the rest of the image is still worth reporting).
 */
export function analyzeSafely(
  file: Pick<ImageFile, 'path' | 'layerDigest'>,
  type: PackageType,
  parse: () => ParsedPackages,
): { packages?: Package[]; notes?: Note[] } {
  try {
    return toAnalysisResult(parse(), type, file);
  } catch (err) {
    const e = wrapError(err, `reading ${file.path} in layer ${file.layerDigest}`, 'ANALYZER_PARSE_FAILED');
    return {
      notes: [
        { code: e.code, message: e.message, path: file.path, layerDigest: file.layerDigest },
        // a package database that cannot be read at all hides every package it lists
        toIncompleteNote(file, 'the package database could not be read', undefined),
      ],
    };
  }
}

/** A Package with a best-effort ecosystem and purl; `applyOsToPackages` corrects both once the OS is known. */
export function toOsPackage(
  record: OsPackageRecord,
  type: PackageType,
  file: Pick<ImageFile, 'path' | 'layerDigest'>,
): Package {
  const { ecosystem, purl } = toOsPackageIdentity(
    { type, name: record.name, version: record.version, arch: record.arch },
    undefined,
    record.vendor,
  );
  const pkg: Package = {
    name: record.name,
    version: record.version,
    type,
    ecosystem,
    purl,
    sourceName: record.sourceName ?? record.name,
    layerDigest: file.layerDigest,
    path: file.path,
  };
  if (record.sourceVersion !== undefined && record.sourceVersion !== record.version) {
    pkg.sourceVersion = record.sourceVersion;
  }
  if (record.arch) pkg.arch = record.arch;
  if (record.licenses && record.licenses.length > 0) pkg.licenses = record.licenses;
  return pkg;
}
