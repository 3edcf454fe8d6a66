import { assertPlausible, compareDigits, compareStrings } from './util.js';

/**
 * An Alpine package version: `number{.number}…{letter}{_suffix{number}}…{~hash}{-r#}`.
 * apk itself accepts anything after a well-formed prefix; what it cannot read is kept as `rest` and
 * `malformed` is set, so two malformed versions compare as plain strings, like `apk version -t` does.
 */
export interface ApkVersion {
  original: string;
  numbers: string[];
  letter: string;
  suffixes: { weight: number; number: string }[];
  /** apk-tools 3's `~<hex>` commit token (TOKEN_COMMIT_HASH), without the `~`. */
  hash: string | undefined;
  revision: string;
  rest: string;
  malformed: boolean;
}

// Sort order of the suffixes; "no suffix" sits between `rc` and `cvs`.
const SUFFIX_WEIGHT: Record<string, number> = {
  alpha: 0,
  beta: 1,
  pre: 2,
  rc: 3,
  cvs: 5,
  svn: 6,
  git: 7,
  hg: 8,
  p: 9,
};
const NO_SUFFIX = { weight: 5, number: '0' };

const NUMBERS = /^[0-9]+(?:\.[0-9]+)*/;
const SUFFIX = /_(alpha|beta|pre|rc|cvs|svn|git|hg|p)([0-9]*)/y;
const HASH = /^~([0-9a-fA-F]+)/;
const REVISION = /^-r([0-9]*)/;

export function parseApkVersion(v: string): ApkVersion {
  assertPlausible('apk', v);
  let s = v;
  const numbers = NUMBERS.exec(s)?.[0] ?? '';
  s = s.slice(numbers.length);
  let letter = '';
  if (/^[a-z]/.test(s)) {
    letter = s[0] ?? '';
    s = s.slice(1);
  }
  const suffixes: { weight: number; number: string }[] = [];
  for (;;) {
    SUFFIX.lastIndex = 0;
    const m = SUFFIX.exec(s);
    if (!m) break;
    suffixes.push({ weight: SUFFIX_WEIGHT[m[1] ?? ''] ?? 9, number: m[2] || '0' });
    s = s.slice(m[0].length);
  }
  const hash = HASH.exec(s);
  s = s.slice(hash?.[0].length ?? 0);
  let revision = '0';
  let malformed = false;
  if (s !== '') {
    const m = REVISION.exec(s);
    if (m) {
      revision = m[1] || '0';
      s = s.slice(m[0].length);
    } else {
      malformed = true;
    }
  }
  return {
    original: v,
    numbers: numbers === '' ? [] : numbers.split('.'),
    letter,
    suffixes,
    hash: hash?.[1],
    revision,
    rest: s,
    malformed,
  };
}

function compareNumber(a: string | undefined, b: string | undefined, index: number): number {
  const x = a ?? '0';
  const y = b ?? '0';
  // After the first component apk compares numbers with a leading zero as strings (1.01 < 1.1).
  if (index > 0 && a !== undefined && b !== undefined && (x[0] === '0' || y[0] === '0')) {
    return compareStrings(x, y);
  }
  return compareDigits(x, y);
}

export function compareApk(a: ApkVersion, b: ApkVersion): number {
  if (a.malformed && b.malformed) return compareStrings(a.original, b.original);
  const n = Math.max(a.numbers.length, b.numbers.length);
  for (let i = 0; i < n; i++) {
    const d = compareNumber(a.numbers[i], b.numbers[i], i);
    if (d !== 0) return d;
  }
  if (a.letter !== b.letter) {
    if (a.letter === '') return -1;
    if (b.letter === '') return 1;
    return compareStrings(a.letter, b.letter);
  }
  const m = Math.max(a.suffixes.length, b.suffixes.length);
  for (let i = 0; i < m; i++) {
    const x = a.suffixes[i] ?? NO_SUFFIX;
    const y = b.suffixes[i] ?? NO_SUFFIX;
    if (x.weight !== y.weight) return x.weight < y.weight ? -1 : 1;
    const d = compareDigits(x.number, y.number);
    if (d !== 0) return d;
  }
  // apk-tools' version.c: equal tokens so far, one version has a commit hash where the other has its
  // revision or ends: the token kinds decide, and the hash (the smaller kind) is the greater version.
  // Two hashes compare as byte strings (apk_blob_sort: memcmp, then the shorter first).
  if (a.hash !== b.hash) {
    if (a.hash === undefined) return -1;
    if (b.hash === undefined) return 1;
    return compareStrings(a.hash, b.hash);
  }
  const r = compareDigits(a.revision, b.revision);
  if (r !== 0) return r;
  if (a.rest === '' && b.rest !== '') return 1;
  if (a.rest !== '' && b.rest === '') return -1;
  return 0;
}

export function compareApkVersions(a: string, b: string): number {
  return compareApk(parseApkVersion(a), parseApkVersion(b));
}
