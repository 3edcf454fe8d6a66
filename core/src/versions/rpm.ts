import { assertPlausible, compareStrings, isDigitCode, isLetterCode } from './util.js';

/** An RPM `[epoch:]version[-release]`. */
export interface RpmVersion {
  epoch: string;
  version: string;
  release: string;
}

export function parseRpmVersion(v: string): RpmVersion {
  assertPlausible('rpm', v);
  let epoch = '';
  let rest = v;
  const colon = v.indexOf(':');
  // A colon whose prefix is not a number is part of the version (module streams such as `…:nginx:1`).
  if (colon >= 0 && /^[0-9]*$/.test(v.slice(0, colon))) {
    epoch = v.slice(0, colon);
    rest = v.slice(colon + 1);
  }
  const dash = rest.indexOf('-');
  return {
    epoch: epoch === '' ? '0' : epoch,
    version: dash >= 0 ? rest.slice(0, dash) : rest,
    release: dash >= 0 ? rest.slice(dash) : '',
  };
}

function isSeparator(c: number): boolean {
  return !isDigitCode(c) && !isLetterCode(c) && c !== 126 && c !== 94;
}

/** rpmvercmp(3), including `~` (sorts before anything) and `^` (after the base, before a longer one). */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '' && b !== '') return -1;
  if (a !== '' && b === '') return 1;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
    while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
    const at = a.charCodeAt(i) === 126;
    const bt = b.charCodeAt(j) === 126;
    if (at || bt) {
      if (!(at && bt)) return at ? -1 : 1;
      i++;
      j++;
      continue;
    }
    const ac = a.charCodeAt(i) === 94;
    const bc = b.charCodeAt(j) === 94;
    if (ac || bc) {
      if (ac && bc) {
        i++;
        j++;
        continue;
      }
      if (ac) return j >= b.length ? 1 : -1;
      return i >= a.length ? -1 : 1;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigitCode(a.charCodeAt(i));
    const inRun = numeric ? isDigitCode : isLetterCode;
    const si = i;
    while (i < a.length && inRun(a.charCodeAt(i))) i++;
    const sj = j;
    while (j < b.length && inRun(b.charCodeAt(j))) j++;
    let x = a.slice(si, i);
    let y = b.slice(sj, j);
    // Segments of different kinds: numbers are newer than letters.
    if (y === '') return numeric ? 1 : -1;
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    }
    const d = compareStrings(x, y);
    if (d !== 0) return d;
  }
  const ra = a.length - i;
  const rb = b.length - j;
  return ra === rb ? 0 : ra < rb ? -1 : 1;
}

export function compareRpmVersions(a: string, b: string): number {
  return compareRpm(parseRpmVersion(a), parseRpmVersion(b));
}

export function compareRpm(va: RpmVersion, vb: RpmVersion): number {
  return (
    rpmvercmp(va.epoch, vb.epoch) || rpmvercmp(va.version, vb.version) || rpmvercmp(va.release, vb.release)
  );
}
