import { assertPlausible, compareDigits } from './util.js';

/** A Packagist (Composer) version, canonicalised as PHP's version_compare does. */
export interface ComposerVersion {
  parts: string[];
}

export function parseComposerVersion(v: string): ComposerVersion {
  assertPlausible('Packagist', v);
  const s = v
    .replace(/^[vV]/, '')
    .replace(/[-_+]/g, '.')
    .replace(/([^\d.])(\d)/g, '$1.$2')
    .replace(/(\d)([^\d.])/g, '$1.$2');
  return { parts: s.split('.') };
}

// version_compare's special words; anything unknown sorts lowest, a number counts as `#`.
const SPECIAL = ['dev', 'a', 'b', 'rc', '#', 'p'];

function weigh(part: string): number {
  if (part.startsWith('RC')) return 3;
  const i = SPECIAL.findIndex((w) => part.startsWith(w));
  return i < 0 ? 0 : i;
}

function isNumber(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function compareParts(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const nx = isNumber(x);
    const ny = isNumber(y);
    const d = nx && ny ? compareDigits(x, y) : Math.sign(weigh(nx ? '#' : x) - weigh(ny ? '#' : y));
    if (d !== 0) return d;
  }
  if (a.length > b.length) return isNumber(a[b.length] ?? '') ? 1 : compareParts(a.slice(b.length), ['#']);
  if (a.length < b.length) return isNumber(b[a.length] ?? '') ? -1 : compareParts(['#'], b.slice(a.length));
  return 0;
}

export function compareComposer(a: ComposerVersion, b: ComposerVersion): number {
  return compareParts(a.parts, b.parts);
}

export function compareComposerVersions(a: string, b: string): number {
  return compareComposer(parseComposerVersion(a), parseComposerVersion(b));
}
