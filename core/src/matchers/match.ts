import { toOsvEcosystem } from '../analyzers/index.js';
import { isPortcullisError } from '../errors.js';
import type { Finding, Note, OsInfo, Package } from '../types/index.js';
import { createComparator, isSupportedEcosystem } from '../versions/index.js';
import type { OsvRecord, VulnDb } from '../vulndb/index.js';
import { borrowSeverity, groupByAlias, pickPrimary, toAliases, toOwnSource } from './aliases.js';
import { evaluateAffected } from './range.js';
import { toSeverity } from './severity.js';

export interface MatchOptions {
  /** Drop findings that have no fixed version newer than the installed one (`--ignore-unfixed`). */
  ignoreUnfixed?: boolean;
  /** OS release → OSV ecosystem; defaults to toOsvEcosystem. */
  osvEcosystem?: (os: OsInfo) => string | undefined;
}

export interface MatchResult {
  findings: Finding[];
  notes: Note[];
}

const OS_TYPES = new Set(['dpkg', 'apk', 'rpm']);

// One memoising comparator per ecosystem for the life of the process: affected entries cache their
// sorted events against these exact functions.
const comparators = new Map<string, (a: string, b: string) => number>();
function comparatorFor(ecosystem: string): (a: string, b: string) => number {
  let cmp = comparators.get(ecosystem);
  if (!cmp) {
    cmp = createComparator(ecosystem);
    comparators.set(ecosystem, cmp);
  }
  return cmp;
}
const semverCmp = createComparator('npm');

interface Target {
  ecosystem: string;
  name: string;
  version: string;
}

/** Which ecosystem, name and version a package is looked up as; undefined for OS packages without an OS ecosystem. */
function toTarget(pkg: Package, osEcosystem: string | undefined): Target | undefined {
  if (OS_TYPES.has(pkg.type)) {
    if (!osEcosystem) return undefined;
    // Debian, Ubuntu and Alpine advisories name source packages.
    return {
      ecosystem: osEcosystem,
      name: pkg.sourceName ?? pkg.name,
      version: pkg.sourceVersion ?? pkg.version,
    };
  }
  let version = pkg.version;
  // Go toolchains report `go1.19.8`; OSV's stdlib/toolchain ranges are plain `1.19.8`.
  if (pkg.ecosystem === 'Go' && /^go\d/.test(version)) version = version.slice(2);
  return { ecosystem: pkg.ecosystem, name: pkg.name, version };
}

/**
 * Matches packages against the OSV records in the DB. OS packages (dpkg/apk/rpm) use the OS's OSV
 * ecosystem and their source name/version; an unknown OS or an OS the DB has no data for yields a note,
 * never a silent "clean". A version that cannot be ordered yields a note for that package.
 */
export function matchPackages(
  db: VulnDb,
  packages: Package[],
  os: OsInfo | undefined,
  opts: MatchOptions = {},
): MatchResult {
  const findings: Finding[] = [];
  const notes: Note[] = [];
  const noted = new Set<string>();
  const note = (key: string, n: Note): void => {
    if (noted.has(key)) return;
    noted.add(key);
    notes.push(n);
  };
  const hasOsPackages = packages.some((p) => OS_TYPES.has(p.type));
  const osEcosystem = os ? (opts.osvEcosystem ?? toOsvEcosystem)(os) : undefined;
  if (hasOsPackages) {
    if (!os)
      note('os', {
        code: 'VULN_OS_UNKNOWN',
        message: 'OS not detected: OS packages were not checked for vulnerabilities',
      });
    else if (!osEcosystem) {
      note('os', {
        code: 'VULN_OS_UNSUPPORTED',
        message: `no OSV ecosystem known for ${os.family} ${os.version}: OS packages were not checked for vulnerabilities`,
      });
    } else if (!db.hasEcosystem(osEcosystem)) {
      note('os', {
        code: 'VULN_NO_OS_DATA',
        message: `the vulnerability DB has no ${osEcosystem} records: OS packages were not checked (import or update that ecosystem)`,
      });
    }
  }

  // One query per ecosystem (in chunks) instead of one per package.
  const wanted = new Map<string, string[]>();
  for (const pkg of packages) {
    const t = toTarget(pkg, osEcosystem);
    if (!t) continue;
    const list = wanted.get(t.ecosystem);
    if (list) list.push(t.name);
    else wanted.set(t.ecosystem, [t.name]);
  }
  for (const [ecosystem, names] of wanted) db.prefetch(ecosystem, names);

  for (const pkg of packages) {
    const target = toTarget(pkg, osEcosystem);
    if (!target || (OS_TYPES.has(pkg.type) && !db.hasEcosystem(target.ecosystem))) continue;
    if (!isSupportedEcosystem(target.ecosystem)) {
      note(`eco:${target.ecosystem}`, {
        code: 'VULN_ECOSYSTEM_UNSUPPORTED',
        message: `no version ordering for ecosystem ${target.ecosystem}: its packages were not checked`,
      });
      continue;
    }
    if (!db.hasEcosystem(target.ecosystem)) {
      note(`nodata:${target.ecosystem}`, {
        code: 'VULN_NO_DATA',
        message: `the vulnerability DB has no ${target.ecosystem} records: ${target.ecosystem} packages were not checked`,
      });
      continue;
    }
    try {
      for (const f of matchOne(db, pkg, target, opts)) findings.push(f);
    } catch (err) {
      if (!isPortcullisError(err) || !err.code.startsWith('VERSION_')) throw err;
      notes.push({
        code: 'VULN_VERSION_INVALID',
        message: `${target.ecosystem} ${target.name}@${target.version} not checked: ${err.message}`,
        path: pkg.path,
        layerDigest: pkg.layerDigest,
      });
    }
  }
  return { findings, notes };
}

function matchOne(db: VulnDb, pkg: Package, target: Target, opts: MatchOptions): Finding[] {
  const rows = db.findAffected(target.ecosystem, target.name);
  if (rows.length === 0) return [];
  const cmp = comparatorFor(target.ecosystem);
  cmp(target.version, target.version); // throws VERSION_INVALID for an installed version we cannot order
  const byRecord = new Map<string, { fixed: string[]; affected: (typeof rows)[number]['affected'] }>();
  for (const row of rows) {
    const verdict = evaluateAffected(target.version, row.affected, cmp, semverCmp);
    if (!verdict.affected) continue;
    const seen = byRecord.get(row.recordId);
    if (seen) seen.fixed.push(...verdict.fixed);
    else byRecord.set(row.recordId, { fixed: verdict.fixed, affected: row.affected });
  }
  const hits = [...byRecord].flatMap(([id, hit]) => {
    const record = db.getRecord(id);
    return record ? [{ record, ...hit }] : [];
  });
  const out: Finding[] = [];
  // Records that alias each other (GO- and GHSA- of one CVE) are one vulnerability: one finding.
  for (const group of groupByAlias(hits)) {
    const primary = pickPrimary(group);
    const all = [...new Set(group.flatMap((h) => h.fixed))].filter((v) => safeValid(cmp, v)).sort(cmp);
    const fixedVersion = all.find((v) => cmp(v, target.version) > 0);
    if (opts.ignoreUnfixed && fixedVersion === undefined) continue;
    const records = group.map((h) => h.record);
    out.push(toFinding(db, primary.record, primary.affected, records, pkg, target, fixedVersion, all));
  }
  return out;
}

function safeValid(cmp: (a: string, b: string) => number, v: string): boolean {
  try {
    cmp(v, v);
    return true;
  } catch {
    return false;
  }
}

function toFinding(
  db: VulnDb,
  record: OsvRecord,
  affected: NonNullable<OsvRecord['affected']>[number],
  group: OsvRecord[],
  pkg: Package,
  target: Target,
  fixedVersion: string | undefined,
  fixedVersions: string[],
): Finding {
  // The ecosystem's own score first; else a GHSA alias's; else NVD's (borrowSeverity).
  const own = severityOf(record, affected);
  const borrowed = own.severity === 'unknown' ? borrowSeverity(db, record, group) : undefined;
  const { severity, cvss } = borrowed ?? own;
  const severitySource =
    borrowed?.source ?? (own.severity !== 'unknown' ? toOwnSource(record.id, target.ecosystem) : undefined);
  const parts = reportPartsOf(record, target.name, group);
  const finding: Finding = {
    type: 'vulnerability',
    id: record.id,
    severity,
    title: parts.title,
    location: { layerDigest: pkg.layerDigest, path: pkg.path },
    package: {
      name: pkg.name,
      version: pkg.version,
      ecosystem: target.ecosystem,
      purl: pkg.purl,
      type: pkg.type,
      ...(fixedVersion !== undefined ? { fixedVersion } : {}),
      ...(pkg.sourceName !== undefined ? { sourceName: pkg.sourceName } : {}),
    },
    aliases: parts.aliases.slice(),
    fixedVersions,
  };
  if (severitySource !== undefined) finding.severitySource = severitySource;
  const details = record.details ?? group.find((r) => r.details)?.details;
  if (details) finding.description = details;
  if (cvss.length > 0) finding.cvss = cvss.map((c) => ({ ...c }));
  if (parts.references.length) finding.references = parts.references.slice();
  if (fixedVersion !== undefined) finding.remediation = `upgrade ${target.name} to ${fixedVersion} or later`;
  return finding;
}

interface ReportParts {
  title: string;
  aliases: string[];
  references: string[];
}

// Records are cached by the DB handle; what every finding of a record shares is worked out once.
const reportParts = new WeakMap<OsvRecord, ReportParts>();
function reportPartsOf(record: OsvRecord, name: string, group: OsvRecord[]): ReportParts {
  let p = reportParts.get(record);
  if (!p || group.length > 1) {
    const others = group.filter((r) => r !== record);
    p = {
      // The record's summary, else the first sentence of its details; an alias's only when it has neither.
      title: toTitle(record) ?? others.map(toTitle).find((t) => t !== undefined) ?? `${record.id} in ${name}`,
      aliases: toAliases(record.id, [record, ...others]),
      references: [...new Set([record, ...others].flatMap((r) => (r.references ?? []).map((x) => x.url)))],
    };
    if (group.length <= 1) reportParts.set(record, p);
  }
  return p;
}

function toTitle(record: OsvRecord): string | undefined {
  const summary = record.summary?.trim();
  return summary ? clip(summary) : firstSentence(record.details);
}

// Scoring vectors (CVSS v4 especially) is the costly part of a finding; entries are cached by the DB handle.
const severities = new WeakMap<object, ReturnType<typeof toSeverity>>();
function severityOf(
  record: OsvRecord,
  affected: NonNullable<OsvRecord['affected']>[number],
): ReturnType<typeof toSeverity> {
  let s = severities.get(affected);
  if (!s) {
    s = toSeverity({
      recordSeverity: record.severity,
      affectedSeverity: affected.severity,
      databaseSpecific: record.database_specific,
      affectedDatabaseSpecific: affected.database_specific,
      ecosystemSpecific: affected.ecosystem_specific,
    });
    severities.set(affected, s);
  }
  return s;
}

/** The first sentence of the first paragraph (`. ` / `.` at its end), clipped to 120 characters. */
export function firstSentence(text: string | undefined): string | undefined {
  const para = text
    ?.split(/\n\s*\n/)
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .find((l) => l !== '');
  if (!para) return undefined;
  const sentences = para.match(/.*?[.!?](?=\s|$)|.+$/g)?.map((x) => x.trim()) ?? [para];
  // PYSEC records often open with the project's own description ("urllib3 is a user-friendly HTTP client
  // library for Python."): a title must say what is wrong, so such a sentence is passed over when more follow
  const first = sentences.find((x, i) => i === sentences.length - 1 || !PACKAGE_DESCRIPTION.test(x));
  return clip(first ?? para);
}

/** "<name> is a/an …" with a one-word name: how a package describes itself, not what is wrong with it. */
const PACKAGE_DESCRIPTION = /^[\w.-]+ is an? [^.]*\.$/i;

function clip(line: string): string {
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}
