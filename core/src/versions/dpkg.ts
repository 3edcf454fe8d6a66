import { assertPlausible, compareDigits, invalidVersion, isDigitCode, isLetterCode } from './util.js';

/** A Debian package version `[epoch:]upstream[-revision]` (deb-version(7)). */
export interface DpkgVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

const ALLOWED = /^[A-Za-z0-9.+~:-]+$/;

/** Parses a dpkg version; throws VERSION_INVALID on a non-numeric epoch, an empty upstream or bad characters. */
export function parseDpkgVersion(v: string): DpkgVersion {
  assertPlausible('dpkg', v);
  let rest = v;
  let epoch = '0';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    if (!/^[0-9]+$/.test(epoch)) throw invalidVersion('dpkg', v, 'epoch is not a number');
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') throw invalidVersion('dpkg', v, 'empty upstream version');
  if (!ALLOWED.test(upstream) || (revision !== '' && !ALLOWED.test(revision))) {
    throw invalidVersion('dpkg', v, 'characters outside [A-Za-z0-9.+~:-]');
  }
  return { epoch, upstream, revision };
}

// dpkg's order for the non-digit parts: `~` before the end of the string, the end before letters,
// letters before everything else.
function weight(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (c === 126) return -1;
  if (isLetterCode(c)) return c;
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs. */
export function compareDpkgPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (
      (i < a.length && !isDigitCode(a.charCodeAt(i))) ||
      (j < b.length && !isDigitCode(b.charCodeAt(j)))
    ) {
      const wa = i < a.length && !isDigitCode(a.charCodeAt(i)) ? weight(a, i) : 0;
      const wb = j < b.length && !isDigitCode(b.charCodeAt(j)) ? weight(b, j) : 0;
      if (wa !== wb) return wa < wb ? -1 : 1;
      if (i < a.length && !isDigitCode(a.charCodeAt(i))) i++;
      if (j < b.length && !isDigitCode(b.charCodeAt(j))) j++;
    }
    const si = i;
    while (i < a.length && isDigitCode(a.charCodeAt(i))) i++;
    const sj = j;
    while (j < b.length && isDigitCode(b.charCodeAt(j))) j++;
    const d = compareDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (d !== 0) return d;
  }
  return 0;
}

export function compareDpkgVersions(a: string, b: string): number {
  return compareDpkg(parseDpkgVersion(a), parseDpkgVersion(b));
}

export function compareDpkg(va: DpkgVersion, vb: DpkgVersion): number {
  return (
    compareDigits(va.epoch, vb.epoch) ||
    compareDpkgPart(va.upstream, vb.upstream) ||
    compareDpkgPart(va.revision, vb.revision)
  );
}
