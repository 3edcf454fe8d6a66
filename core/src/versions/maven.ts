import { assertPlausible, compareDigits, compareStrings } from './util.js';

/** One token of a Maven version: its separator (`.` or `-`, `` for the first) and lower-cased value. */
interface MavenToken {
  sep: string;
  value: string;
  numeric: boolean;
  /** A padding token standing in for a missing one. */
  pad?: boolean;
}

/** A Maven version as ComparableVersion sees it: tokens with trailing "null" values trimmed. */
export interface MavenVersion {
  tokens: MavenToken[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { cr: 'rc', ga: '', final: '', release: '' };
const SHORT: Record<string, string> = { a: 'alpha', b: 'beta', m: 'milestone' };

function token(sep: string, raw: string, followedByDigit: boolean): MavenToken {
  let value = raw.toLowerCase();
  if (value === '') value = '0';
  value = ALIASES[value] ?? value;
  // `a1`, `b2`, `m3` are short for alpha, beta and milestone only when a number follows directly.
  if (followedByDigit) value = SHORT[value] ?? value;
  const numeric = /^[0-9]+$/.test(value);
  if (numeric) value = value.replace(/^0+(?=.)/, '');
  return { sep, value, numeric };
}

export function parseMavenVersion(v: string): MavenVersion {
  assertPlausible('Maven', v);
  const tokens: MavenToken[] = [];
  const pieces = v.split(/([.-])/);
  for (let i = 0; i < pieces.length; i += 2) {
    const piece = pieces[i] ?? '';
    let sep = i === 0 ? '' : (pieces[i - 1] ?? '');
    // A switch between digits and letters inside a piece counts as a `-` separator.
    const runs = piece.match(/[0-9]+|[^0-9]+/g) ?? [''];
    runs.forEach((run, j) => {
      if (j > 0) sep = '-';
      tokens.push(token(sep, run, j < runs.length - 1));
    });
  }
  // Trailing null values (0, '', final, ga) are dropped, at the end and before each `-`, from the end.
  let i = tokens.length - 1;
  while (i > 0) {
    const t = tokens[i];
    if (t && (t.value === '0' || t.value === '')) {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    while (i >= 0 && tokens[i]?.sep !== '-') i--;
    i--;
  }
  return { tokens };
}

function padFor(other: MavenToken): MavenToken {
  if (other.sep === '-') return { sep: '-', value: '', numeric: false, pad: true };
  // `sp` is the one qualifier after the release, so a `.` pad must sort below it.
  return { sep: '.', value: other.value === 'sp' ? '' : '0', numeric: other.value !== 'sp', pad: true };
}

// ".qualifier" < "-qualifier" < "-number" < ".number"
function kindOrder(t: MavenToken): number {
  if (t.numeric) return t.sep === '-' ? 2 : 3;
  return t.sep === '-' ? 1 : 0;
}

function qualifierRank(value: string): number {
  const i = QUALIFIERS.indexOf(value);
  return i < 0 ? QUALIFIERS.length : i;
}

function compareTokens(a: MavenToken, b: MavenToken): number {
  if (a.sep === b.sep) {
    if (a.numeric && b.numeric) return compareDigits(a.value, b.value);
    // Numbers sort after qualifiers, unless the number is padding.
    if (a.numeric && !a.pad) return 1;
    if (b.numeric && !b.pad) return -1;
    const ra = qualifierRank(a.value);
    const rb = qualifierRank(b.value);
    if (ra === QUALIFIERS.length && rb === QUALIFIERS.length) return compareStrings(a.value, b.value);
    return ra === rb ? 0 : ra < rb ? -1 : 1;
  }
  const d = kindOrder(a) - kindOrder(b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

export function compareMaven(a: MavenVersion, b: MavenVersion): number {
  const n = Math.max(a.tokens.length, b.tokens.length);
  for (let i = 0; i < n; i++) {
    const x = a.tokens[i];
    const y = b.tokens[i];
    const left = x ?? padFor(y as MavenToken);
    const right = y ?? padFor(x as MavenToken);
    if (left.sep === right.sep && left.value === right.value) continue;
    const d = compareTokens(left, right);
    if (d !== 0) return d;
  }
  return 0;
}

export function compareMavenVersions(a: string, b: string): number {
  return compareMaven(parseMavenVersion(a), parseMavenVersion(b));
}
