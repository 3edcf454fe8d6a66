import { PortcullisError } from '../../errors.js';
import type { OsInfo } from '../../types/package.js';

/** Release files are tiny; anything larger is not one (and must not be scanned line by line forever). */
export const MAX_RELEASE_FILE_BYTES = 64 * 1024;

/** Longest value kept from a release file: real ones are a few dozen characters. */
const MAX_VALUE_LENGTH = 256;

function parseFailed(path: string, reason: string): PortcullisError {
  return new PortcullisError('ANALYZER_PARSE_FAILED', `${path}: ${reason}`, {
    problems: [{ path, message: reason }],
  });
}

function readText(buf: Buffer, path: string): string {
  if (buf.length > MAX_RELEASE_FILE_BYTES) {
    throw parseFailed(path, `release file is ${buf.length} bytes, more than ${MAX_RELEASE_FILE_BYTES}`);
  }
  if (buf.includes(0)) throw parseFailed(path, 'release file contains NUL bytes: not text');
  return buf.toString('utf8');
}

/** Removes one level of shell quoting and the escapes os-release(5) allows. */
function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    return v.slice(1, -1).replace(/\\([\\$"`])/g, '$1');
  }
  return v;
}

/**
 * Parses `KEY=value` lines (os-release(5), lsb-release). Comments and malformed lines are ignored, as
 * systemd does; values are unquoted.
 */
export function parseKeyValueRelease(buf: Buffer, path = '/etc/os-release'): Record<string, string> {
  const text = readText(buf, path);
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const value = unquote(m[2]);
    if (value.length > MAX_VALUE_LENGTH) continue;
    out[m[1]] = value;
  }
  return out;
}

/** Major version (`12` of `12.5`), or undefined when the version does not start with a number. */
function major(version: string): string | undefined {
  return /^(\d+)/.exec(version)?.[1];
}

function majorMinor(version: string): string | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The version id an OSV ecosystem is keyed on, per family (`12`, `v3.11`, `22.04`). */
export function toVersionId(family: string, version: string): string | undefined {
  switch (family) {
    case 'alpine': {
      const mm = majorMinor(version);
      return mm ? `v${mm}` : undefined;
    }
    case 'debian':
    case 'rhel':
    case 'centos':
    case 'rocky':
    case 'almalinux':
    case 'ol':
    case 'fedora':
      return major(version);
    case 'ubuntu':
    case 'cbl-mariner':
    case 'azurelinux':
      return majorMinor(version) ?? (version || undefined);
    default:
      return version || undefined;
  }
}

function toOsInfo(family: string, version: string, prettyName?: string): OsInfo {
  const os: OsInfo = { family, version };
  const versionId = toVersionId(family, version);
  if (versionId !== undefined) os.versionId = versionId;
  if (prettyName) os.prettyName = prettyName;
  return os;
}

/** `/etc/os-release` or `/usr/lib/os-release`. Undefined when there is no ID. */
/**
 * os-release ids that name a family we know under another id: CBL-Mariner 2.0 writes `ID=mariner`, while its
 * `/etc/mariner-release` and Trivy say `cbl-mariner` (OSV ecosystem `Mariner:2.0`).
 */
const OS_ID_ALIASES: Readonly<Record<string, string>> = { mariner: 'cbl-mariner' };

export function parseOsRelease(buf: Buffer, path = '/etc/os-release'): OsInfo | undefined {
  const kv = parseKeyValueRelease(buf, path);
  const id = kv.ID?.toLowerCase();
  if (!id) return undefined;
  const family = OS_ID_ALIASES[id] ?? id;
  // Debian testing/sid has no VERSION_ID; the codename is the best version we have.
  const version = kv.VERSION_ID ?? kv.VERSION_CODENAME ?? '';
  // PRETTY_NAME keeps Ubuntu's `LTS` marker (`Ubuntu 22.04.3 LTS`), which the OSV ecosystem needs.
  const pretty = kv.PRETTY_NAME ?? (kv.NAME && kv.VERSION ? `${kv.NAME} ${kv.VERSION}` : kv.NAME);
  return toOsInfo(family, version, pretty);
}

/** `/etc/lsb-release` (DISTRIB_ID, DISTRIB_RELEASE). */
export function parseLsbRelease(buf: Buffer, path = '/etc/lsb-release'): OsInfo | undefined {
  const kv = parseKeyValueRelease(buf, path);
  const family = kv.DISTRIB_ID?.toLowerCase();
  if (!family || !kv.DISTRIB_RELEASE) return undefined;
  return toOsInfo(family, kv.DISTRIB_RELEASE, kv.DISTRIB_DESCRIPTION);
}

function firstLine(buf: Buffer, path: string): string {
  const line = readText(buf, path).split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (line.length > MAX_VALUE_LENGTH) throw parseFailed(path, 'first line is too long for a release file');
  return line;
}

/** `/etc/alpine-release`: a single version line (`3.11.5`, `3.20_alpha20240329`). */
export function parseAlpineRelease(buf: Buffer, path = '/etc/alpine-release'): OsInfo | undefined {
  const line = firstLine(buf, path);
  if (!/^\d+\.\d+/.test(line)) return undefined;
  return toOsInfo('alpine', line);
}

/** `/etc/debian_version`: `12.5`, or a codename such as `bookworm/sid` on testing (no numeric version). */
export function parseDebianVersion(buf: Buffer, path = '/etc/debian_version'): OsInfo | undefined {
  const line = firstLine(buf, path);
  if (!line) return undefined;
  if (!/^\d+(\.\d+)*$/.test(line)) return { family: 'debian', version: line };
  return toOsInfo('debian', line);
}

/** Family ids for the distribution names that appear in `*-release` first lines. */
const REDHAT_LIKE: readonly [RegExp, string][] = [
  [/^Red Hat Enterprise Linux/i, 'rhel'],
  [/^CentOS Stream/i, 'centos'],
  [/^CentOS/i, 'centos'],
  [/^Rocky Linux/i, 'rocky'],
  [/^AlmaLinux/i, 'almalinux'],
  [/^Oracle Linux/i, 'ol'],
  [/^Fedora/i, 'fedora'],
  [/^Amazon Linux/i, 'amzn'],
  [/^CBL-Mariner/i, 'cbl-mariner'],
];

/** `/etc/redhat-release` and friends: `Red Hat Enterprise Linux release 8.8 (Ootpa)`. */
export function parseRedhatRelease(buf: Buffer, path = '/etc/redhat-release'): OsInfo | undefined {
  const line = firstLine(buf, path);
  const family = REDHAT_LIKE.find(([re]) => re.test(line))?.[1];
  const version = /(?:release\s+)?(\d+(?:\.\d+)*)/.exec(line)?.[1];
  if (!family || !version) return undefined;
  return toOsInfo(family, version, line);
}

/** Release files the OS analyzer reads, with their parser, highest precedence first. */
export const OS_RELEASE_FILES: readonly [string, (buf: Buffer, path: string) => OsInfo | undefined][] = [
  ['/etc/os-release', parseOsRelease],
  ['/usr/lib/os-release', parseOsRelease],
  ['/etc/lsb-release', parseLsbRelease],
  ['/etc/alpine-release', parseAlpineRelease],
  ['/etc/debian_version', parseDebianVersion],
  ['/etc/redhat-release', parseRedhatRelease],
  ['/etc/centos-release', parseRedhatRelease],
  ['/etc/fedora-release', parseRedhatRelease],
  ['/etc/system-release', parseRedhatRelease],
];

const PARSERS = new Map(OS_RELEASE_FILES);

/** Parses one release file by its path; undefined for a path that is not a release file. */
export function parseOsFile(path: string, buf: Buffer): OsInfo | undefined {
  const parse = PARSERS.get(path);
  return parse ? parse(buf, path) : undefined;
}

/** Whether the path is one of the release files (cheap: one map lookup). */
export function isOsReleasePath(path: string): boolean {
  return PARSERS.has(path);
}
