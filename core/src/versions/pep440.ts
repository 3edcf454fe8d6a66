import { assertPlausible, compareDigits, compareStrings } from './util.js';

/** A PyPI version: PEP 440 when it parses as such, otherwise a setuptools "legacy" version. */
export interface Pep440Version {
  epoch: string;
  release: string[];
  /** Pre-release phase `a`, `b` or `rc` and its number. */
  pre?: { phase: string; number: string };
  post?: string;
  dev?: string;
  local: string[];
  /** Set for versions PEP 440 rejects; they sort before all PEP 440 versions, as old pip did. */
  legacy?: string[];
}

// PEP 440 Appendix B, case-insensitive.
const PEP440 =
  /^\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)([-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?([0-9]+)?)?((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?([-_.]?(dev)[-_.]?([0-9]+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/;

const PRE_PHASE: Record<string, string> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
};

export function parsePep440Version(v: string): Pep440Version {
  assertPlausible('PyPI', v);
  const s = v.toLowerCase();
  const m = PEP440.exec(s);
  if (!m) return { epoch: '-1', release: [], local: [], legacy: parseLegacy(s) };
  const version: Pep440Version = { epoch: m[1] ?? '0', release: (m[2] ?? '0').split('.'), local: [] };
  if (m[4] !== undefined) version.pre = { phase: PRE_PHASE[m[4]] ?? m[4], number: m[5] ?? '0' };
  if (m[6] !== undefined) version.post = m[7] ?? m[9] ?? '0';
  if (m[11] !== undefined) version.dev = m[12] ?? '0';
  if (m[13] !== undefined) version.local = m[13].split(/[-_.]/);
  return version;
}

// setuptools' pre-PEP 440 parse_version: numbers zero-padded, words prefixed so they sort before them.
function parseLegacy(s: string): string[] {
  const parts: string[] = [];
  const tokens = [...(s.match(/[0-9]+|[a-z]+|\.|-/g) ?? []), 'final'];
  for (const raw of tokens) {
    if (raw === '.') continue;
    const word = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' }[raw] ?? raw;
    const part = /^[0-9]/.test(word) ? word.padStart(8, '0') : `*${word}`;
    if (part.startsWith('*')) {
      if (part < '*final') while (parts[parts.length - 1] === '*final-') parts.pop();
      while (parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

function compareOptional(a: string | undefined, b: string | undefined, absentFirst: boolean): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return absentFirst ? -1 : 1;
  if (b === undefined) return absentFirst ? 1 : -1;
  return compareDigits(a, b);
}

// 1.0.dev0 sorts before 1.0a0: a dev release without pre/post acts as the lowest pre-release.
function devOnly(v: Pep440Version): boolean {
  return v.pre === undefined && v.post === undefined && v.dev !== undefined;
}

function comparePre(a: Pep440Version, b: Pep440Version): number {
  const da = devOnly(a);
  const db = devOnly(b);
  if (da || db) return da && db ? 0 : da ? -1 : 1;
  if (!a.pre && !b.pre) return 0;
  if (!a.pre) return 1;
  if (!b.pre) return -1;
  return (
    compareStrings(a.pre.phase[0] ?? '', b.pre.phase[0] ?? '') || compareDigits(a.pre.number, b.pre.number)
  );
}

function compareLocal(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const nx = /^[0-9]+$/.test(x);
    const ny = /^[0-9]+$/.test(y);
    const d = nx && ny ? compareDigits(x, y) : nx ? 1 : ny ? -1 : compareStrings(x, y);
    if (d !== 0) return d;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  if (a.legacy || b.legacy) {
    if (!a.legacy) return 1;
    if (!b.legacy) return -1;
    return compareStrings(a.legacy.join(''), b.legacy.join(''));
  }
  const e = compareDigits(a.epoch, b.epoch);
  if (e !== 0) return e;
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a.release[i] ?? '0', b.release[i] ?? '0');
    if (d !== 0) return d;
  }
  return (
    comparePre(a, b) ||
    compareOptional(a.post, b.post, true) ||
    compareOptional(a.dev, b.dev, false) ||
    compareLocal(a.local, b.local)
  );
}

export function comparePep440Versions(a: string, b: string): number {
  return comparePep440(parsePep440Version(a), parsePep440Version(b));
}
