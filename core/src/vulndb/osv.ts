import { PortcullisError } from '../errors.js';
import { isSupportedEcosystem, isValidVersion, toEcosystemBase } from '../versions/index.js';

/** One event of an OSV range: exactly one of the four keys. */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT' | string;
  repo?: string;
  events: OsvEvent[];
}

export interface OsvSeverity {
  type: string;
  score: string;
}

/** One `affected[]` entry of an OSV record. */
export interface OsvAffected {
  package: { ecosystem: string; name: string; purl?: string };
  ranges?: OsvRange[];
  versions?: string[];
  severity?: OsvSeverity[];
  ecosystem_specific?: Record<string, unknown>;
  database_specific?: Record<string, unknown>;
}

/** An OSV record (ossf/osv-schema 1.7), the parts Portcullis reads. */
export interface OsvRecord {
  id: string;
  modified: string;
  published?: string;
  withdrawn?: string;
  aliases?: string[];
  upstream?: string[];
  summary?: string;
  details?: string;
  severity?: OsvSeverity[];
  affected?: OsvAffected[];
  references?: { type: string; url: string }[];
  database_specific?: Record<string, unknown>;
}

const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/** PEP 503 name normalisation, applied to PyPI names on import and on lookup. */
export function normalizePackageName(ecosystem: string, name: string): string {
  if (toEcosystemBase(ecosystem) === 'PyPI') return name.toLowerCase().replace(/[-_.]+/g, '-');
  return name;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * Checks the parts of a parsed OSV record that matching relies on and returns it typed.
 * Throws DB_RECORD_INVALID with every problem found (each problem names the JSON path).
 */
export function parseOsvRecord(value: unknown, source: string): OsvRecord {
  const problems: { path: string; message: string }[] = [];
  const fail = (path: string, message: string): void => void problems.push({ path, message });
  if (!isObject(value)) throw recordError(source, [{ path: '/', message: 'not a JSON object' }]);
  if (typeof value.id !== 'string' || value.id === '') fail('/id', 'missing or not a string');
  if (typeof value.modified !== 'string' || value.modified === '')
    fail('/modified', 'missing or not a string');
  for (const key of ['aliases', 'upstream'] as const) {
    if (value[key] !== undefined && !isStringArray(value[key])) fail(`/${key}`, 'not an array of strings');
  }
  if (value.affected !== undefined && !Array.isArray(value.affected)) fail('/affected', 'not an array');
  if (Array.isArray(value.affected)) {
    value.affected.forEach((a: unknown, i: number) => checkAffected(a, `/affected/${i}`, fail));
  }
  if (problems.length > 0) throw recordError(source, problems);
  return value as unknown as OsvRecord;
}

function checkAffected(a: unknown, path: string, fail: (path: string, message: string) => void): void {
  if (!isObject(a)) return fail(path, 'not an object');
  const pkg = a.package;
  if (
    !isObject(pkg) ||
    typeof pkg.ecosystem !== 'string' ||
    typeof pkg.name !== 'string' ||
    pkg.name === ''
  ) {
    return fail(`${path}/package`, 'needs string ecosystem and name');
  }
  const ecosystem = pkg.ecosystem;
  if (a.versions !== undefined && !isStringArray(a.versions))
    fail(`${path}/versions`, 'not an array of strings');
  if (a.ranges === undefined) return;
  if (!Array.isArray(a.ranges)) return fail(`${path}/ranges`, 'not an array');
  a.ranges.forEach((r: unknown, i: number) => checkRange(r, ecosystem, `${path}/ranges/${i}`, fail));
}

function checkRange(
  r: unknown,
  ecosystem: string,
  path: string,
  fail: (path: string, message: string) => void,
): void {
  if (!isObject(r) || typeof r.type !== 'string') return fail(path, 'needs a string type');
  if (!Array.isArray(r.events) || r.events.length === 0) return fail(`${path}/events`, 'missing or empty');
  let introduced = 0;
  let fixed = 0;
  let lastAffected = 0;
  r.events.forEach((e: unknown, i: number) => {
    const keys = isObject(e)
      ? Object.keys(e).filter((k) => (EVENT_KEYS as readonly string[]).includes(k))
      : [];
    if (!isObject(e) || keys.length !== 1)
      return fail(`${path}/events/${i}`, 'needs exactly one of introduced, fixed, last_affected, limit');
    const key = keys[0] as (typeof EVENT_KEYS)[number];
    const version = e[key];
    if (typeof version !== 'string' || version === '')
      return fail(`${path}/events/${i}/${key}`, 'not a non-empty string');
    if (key === 'introduced') introduced++;
    if (key === 'fixed') fixed++;
    if (key === 'last_affected') lastAffected++;
    // Versions must be orderable now, so a match can never silently come out "not affected".
    const special = (key === 'introduced' && version === '0') || (key === 'limit' && version === '*');
    const scheme = r.type === 'SEMVER' ? 'npm' : r.type === 'ECOSYSTEM' ? ecosystem : undefined;
    if (!special && scheme && isSupportedEcosystem(scheme) && !isValidVersion(scheme, version)) {
      fail(
        `${path}/events/${i}/${key}`,
        `${JSON.stringify(version)} is not a valid ${r.type === 'SEMVER' ? 'SemVer' : ecosystem} version`,
      );
    }
  });
  if (introduced === 0) fail(`${path}/events`, 'no introduced event');
  if (fixed > 0 && lastAffected > 0) fail(`${path}/events`, 'fixed and last_affected are mutually exclusive');
}

function recordError(source: string, problems: { path: string; message: string }[]): PortcullisError {
  const first = problems[0];
  const summary = first ? `${first.path}: ${first.message}` : 'invalid';
  const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
  return new PortcullisError('DB_RECORD_INVALID', `${source}: ${summary}${more}`, { problems });
}

/** Ecosystems a record affects, as written in `affected[].package.ecosystem`. */
export function toRecordEcosystems(record: OsvRecord): string[] {
  return [...new Set((record.affected ?? []).map((a) => a.package.ecosystem))];
}
