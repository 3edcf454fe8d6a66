import { assertPlausible, compareDigits, compareStrings, invalidVersion, isDigitCode } from './util.js';

/**
 * A SemVer-like version as npm, crates.io, Go and Hex use them: an optional `v`, numeric components
 * (only the first three count; extra ones join the build string, as in Go's `+incompatible`-free
 * module versions), then a prerelease `-…` and/or build metadata `+…`.
 * Go pseudo-versions (`v0.0.0-20210101000000-abcdef123456`) are ordinary prereleases here.
 */
export interface SemverVersion {
  /** Numeric components, digits only. */
  numbers: string[];
  /** Everything after the numeric components: prerelease and build, with their leading sign. */
  tail: string;
}

export function parseSemverVersion(v: string): SemverVersion {
  assertPlausible('semver', v);
  const s = v[0] === 'v' ? v.slice(1) : v;
  if (s.length === 0 || !isDigitCode(s.charCodeAt(0)))
    throw invalidVersion('semver', v, 'does not start with a number');
  const numbers: string[] = [];
  let i = 0;
  let start = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigitCode(c)) continue;
    if (i > start) numbers.push(s.slice(start, i));
    if (c !== 46) break;
    start = i + 1;
  }
  if (i === s.length && i > start) numbers.push(s.slice(start));
  let tail = i < s.length ? s.slice(i) : '';
  if (numbers.length > 3) {
    tail =
      numbers
        .slice(3)
        .map((n) => `.${n}`)
        .join('') + tail;
    numbers.length = 3;
  }
  return { numbers, tail };
}

function comparePrerelease(a: string, b: string): number {
  // Build metadata never affects precedence; a prerelease sorts before the release.
  const pa = stripBuild(a);
  const pb = stripBuild(b);
  if (pa === pb) return 0;
  if (pa === '') return 1;
  if (pb === '') return -1;
  const xa = pa.split('.');
  const xb = pb.split('.');
  const n = Math.min(xa.length, xb.length);
  for (let i = 0; i < n; i++) {
    const x = xa[i] ?? '';
    const y = xb[i] ?? '';
    const nx = /^[0-9]+$/.test(x);
    const ny = /^[0-9]+$/.test(y);
    let d: number;
    if (nx && ny) d = compareDigits(x, y);
    else if (nx) d = -1;
    else if (ny) d = 1;
    else d = compareStrings(x, y);
    if (d !== 0) return d;
  }
  return xa.length === xb.length ? 0 : xa.length < xb.length ? -1 : 1;
}

function stripBuild(tail: string): string {
  const plus = tail.indexOf('+');
  const pre = plus >= 0 ? tail.slice(0, plus) : tail;
  return pre.startsWith('-') ? pre.slice(1) : pre;
}

export function compareSemver(a: SemverVersion, b: SemverVersion): number {
  const n = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < n; i++) {
    const d = compareDigits(a.numbers[i] ?? '0', b.numbers[i] ?? '0');
    if (d !== 0) return d;
  }
  return comparePrerelease(a.tail, b.tail);
}

export function compareSemverVersions(a: string, b: string): number {
  return compareSemver(parseSemverVersion(a), parseSemverVersion(b));
}
