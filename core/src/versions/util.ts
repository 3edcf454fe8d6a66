import { PortcullisError } from '../errors.js';

/** Longest version string any comparator accepts; longer input is hostile or broken. */
export const MAX_VERSION_LENGTH = 256;

/** Compares two strings of ASCII digits numerically, without a size limit (leading zeros ignored). */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  const sa = i === 0 ? a : a.slice(i);
  const sb = j === 0 ? b : b.slice(j);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Plain code-unit order, as -1/0/1. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isLetterCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

export const DIGITS_ONLY = /^[0-9]+$/;

// No whitespace or control characters anywhere: such a "version" is a parsing accident upstream.
const PRINTABLE = /^[^\s\p{Cc}]+$/u;

/** The checks every scheme shares: non-empty, bounded, printable without whitespace. */
export function isPlausibleVersion(v: string): boolean {
  return v.length > 0 && v.length <= MAX_VERSION_LENGTH && PRINTABLE.test(v);
}

export function invalidVersion(scheme: string, v: string, why: string): PortcullisError {
  const shown = v.length > 80 ? `${v.slice(0, 80)}…` : v;
  return new PortcullisError('VERSION_INVALID', `invalid ${scheme} version ${JSON.stringify(shown)}: ${why}`);
}

/** Throws VERSION_INVALID unless the shared checks pass. */
export function assertPlausible(scheme: string, v: string): void {
  if (typeof v !== 'string' || v.length === 0) throw invalidVersion(scheme, String(v), 'empty');
  if (v.length > MAX_VERSION_LENGTH) throw invalidVersion(scheme, v, `longer than ${MAX_VERSION_LENGTH}`);
  if (!PRINTABLE.test(v)) throw invalidVersion(scheme, v, 'contains whitespace or control characters');
}
