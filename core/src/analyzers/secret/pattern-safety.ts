/** Largest repetition count a rule pattern may use; keeps the worst case linear in the input. */
export const MAX_PATTERN_REPEAT = 8192;

interface GroupState {
  /** Some quantifier (at any depth) applies inside this group. */
  quantified: boolean;
}

/**
 * Checks a rule's regular expression for the shapes that make backtracking explode on hostile input:
 * unbounded quantifiers (`*`, `+`, `{n,}`), bounds above {@link MAX_PATTERN_REPEAT}, and repeated
 * groups that themselves contain a quantifier (`(a{1,3}){1,9}`). Optional groups (`(…)?`) are allowed.
 * Returns a problem description, or undefined when the pattern is safe.
 */
export function checkPatternSafety(source: string): string | undefined {
  const stack: GroupState[] = [{ quantified: false }];
  let inClass = false;
  let closedGroup: GroupState | undefined;
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      i += 2;
      closedGroup = undefined;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      closedGroup = undefined;
      i++;
      continue;
    }
    if (c === '(') {
      stack.push({ quantified: false });
      closedGroup = undefined;
      i++;
      if (source[i] === '?') i += skipGroupPrefix(source, i);
      continue;
    }
    if (c === ')') {
      const group = stack.pop();
      const parent = stack[stack.length - 1];
      if (!group || !parent) return `unbalanced ")" at ${i}`;
      if (group.quantified) parent.quantified = true;
      closedGroup = group;
      i++;
      continue;
    }
    const q = readQuantifier(source, i);
    if (q) {
      if (q.max === Infinity) return `unbounded quantifier "${source.slice(i, i + q.length)}" at ${i}`;
      if (q.max > MAX_PATTERN_REPEAT) return `repetition bound ${q.max} above ${MAX_PATTERN_REPEAT} at ${i}`;
      if (closedGroup?.quantified && q.max > 1) return `repeated group containing a quantifier at ${i}`;
      const top = stack[stack.length - 1];
      if (top) top.quantified = true;
      closedGroup = undefined;
      i += q.length;
      if (source[i] === '?') i++; // lazy modifier
      continue;
    }
    closedGroup = undefined;
    i++;
  }
  if (stack.length !== 1) return 'unbalanced "("';
  return undefined;
}

/** Length of `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` after an opening parenthesis. */
function skipGroupPrefix(source: string, i: number): number {
  const next = source[i + 1];
  if (next === ':' || next === '=' || next === '!') return 2;
  if (next === '<') {
    const after = source[i + 2];
    if (after === '=' || after === '!') return 3;
    const end = source.indexOf('>', i);
    return end === -1 ? 1 : end - i + 1;
  }
  return 1;
}

function readQuantifier(source: string, i: number): { max: number; length: number } | undefined {
  const c = source[i];
  if (c === '*' || c === '+') return { max: Infinity, length: 1 };
  if (c === '?') return { max: 1, length: 1 };
  if (c !== '{') return undefined;
  const m = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(source.slice(i, i + 16));
  if (!m) return undefined; // a literal brace
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
  return { max, length: m[0].length };
}

/** Upper bounds on what a pattern reads: characters one match spans, and how far its lookarounds peek. */
export interface MatchExtent {
  /** Most characters one match can span (lookarounds count zero). */
  maxLength: number;
  /** Most characters a lookaround, `^`, `$` or `\b` reads outside the match, on either side. */
  maxLook: number;
}

/**
 * Bounds the match length of a rule pattern (the subset rules use: literals, escapes, classes, groups,
 * alternation, bounded quantifiers, lookarounds). Undefined when no bound exists or the pattern uses a
 * back-reference. Escapes like `\x41` are counted as several characters: an over-estimate, which is safe
 * for every caller (a window that is too wide only costs time).
 */
export function boundMatchExtent(source: string): MatchExtent | undefined {
  let i = 0;
  let maxLook = 0;
  const fail = (): never => {
    throw new RangeError('unbounded');
  };
  // alternation := sequence ('|' sequence)*
  const alternation = (): number => {
    let best = sequence();
    while (source[i] === '|') {
      i++;
      best = Math.max(best, sequence());
    }
    return best;
  };
  const sequence = (): number => {
    let total = 0;
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const atomLength = atom();
      const q = readQuantifier(source, i);
      if (q) {
        i += q.length;
        if (source[i] === '?') i++;
        if (q.max === Infinity) fail();
        total += atomLength * q.max;
      } else total += atomLength;
    }
    return total;
  };
  const atom = (): number => {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      i += 2;
      if (/[1-9k]/.test(next)) fail(); // back-references: length of another group, not bounded here
      if (next === 'b' || next === 'B') {
        maxLook = Math.max(maxLook, 1);
        return 0;
      }
      return 1;
    }
    if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++; // a leading `]` is a literal
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      if (i >= source.length) fail();
      i++;
      return 1;
    }
    if (c === '(') {
      const prefix = source[i + 1] === '?' ? skipGroupPrefix(source, i + 1) : 0;
      const look = source[i + 1] === '?' && /^\?(=|!|<=|<!)/.test(source.slice(i + 1, i + 4));
      i += 1 + prefix;
      const inner = alternation();
      if (source[i] !== ')') fail();
      i++;
      if (look) {
        maxLook = Math.max(maxLook, inner);
        return 0;
      }
      return inner;
    }
    if (c === '^' || c === '$') {
      i++;
      maxLook = Math.max(maxLook, 1);
      return 0;
    }
    i++;
    return 1;
  };
  try {
    const maxLength = alternation();
    if (i !== source.length) return undefined; // a stray `)`
    return { maxLength, maxLook };
  } catch (err) {
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

/** Most spellings of a pattern's literal opening `startsWithKeyword` expands before it gives up. */
const MAX_SPELLINGS = 256;

/**
 * True when every match of the pattern starts with one of `keywords` (compared in lower case, as the
 * keyword finder folds case; patterns only have the `i`, `m` and `s` flags, so an ASCII letter never
 * matches a non-ASCII one). Proven from the pattern, never taken from rule data: after zero-width
 * assertions (`\b`, `^`, lookbehinds) the pattern opens with literal characters, small classes of
 * literal characters and groups of such alternatives (parts optional with `?`), and every spelling of
 * that opening begins with a keyword. Anything else ends the opening; an alternation at the top level,
 * or an opening whose spellings do not all begin with a keyword, gives false.
 */
export function startsWithKeyword(source: string, keywords: readonly string[]): boolean {
  if (keywords.length === 0 || hasTopLevelAlternation(source)) return false;
  const lower = keywords.map((k) => k.toLowerCase());
  let i = 0;
  // zero-width openings
  for (;;) {
    if (source.startsWith('\\b', i)) i += 2;
    else if (source[i] === '^') i++;
    else if (source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) {
      const end = closingParen(source, i);
      if (end === undefined) return false;
      i = end + 1;
    } else break;
  }
  const opening = spellSequence(source, i);
  return (
    opening !== undefined && opening.spellings.every((s) => lower.some((k) => s.toLowerCase().startsWith(k)))
  );
}

/** The spellings of a pattern's literal opening; `end` is where the alternative ends. */
interface Spelled {
  spellings: string[];
  end: number;
  /** False when a construct that is not literal ended the opening before the alternative did. */
  complete: boolean;
}

/**
 * Spells the literal opening of the alternative starting at `i`, up to its end (`|`, `)` or the end of
 * the pattern) or to the first construct that is not literal (the rest of the alternative is skipped).
 * Undefined past MAX_SPELLINGS.
 */
function spellSequence(source: string, i: number): Spelled | undefined {
  let spellings = [''];
  let j = i;
  while (j < source.length && source[j] !== '|' && source[j] !== ')') {
    const atom = spellAtom(source, j);
    let end = atom?.end ?? j;
    let options = atom?.spellings ?? [];
    if (atom && source[end] === '?' && source[end + 1] !== '?') {
      options = [...options, ''];
      end++;
    }
    // not literal, or repeated: the opening ends before it
    if (!atom || readQuantifier(source, end))
      return { spellings, end: skipAlternative(source, j), complete: false };
    const next: string[] = [];
    for (const s of spellings) for (const o of options) next.push(s + o);
    if (next.length > MAX_SPELLINGS) return undefined;
    spellings = next;
    if (!atom.complete) return { spellings, end: skipAlternative(source, end), complete: false };
    j = end;
  }
  return { spellings, end: j, complete: true };
}

/**
 * One literal atom at `i`: a character (escaped punctuation included), a class of at most 8 plain
 * characters, or a group whose alternatives are spelled (not `complete` when one of them stops early:
 * nothing after the group may then be appended). Undefined for anything else.
 */
function spellAtom(source: string, i: number): Spelled | undefined {
  const c = source[i];
  if (c === undefined) return undefined;
  if (c === '\\') {
    const next = source[i + 1];
    // `\/`, `\.`, `\+`…: the character itself; `\d`, `\x41`, `\b`…: not a literal
    if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
    return { spellings: [next], end: i + 2, complete: true };
  }
  if (c === '[') {
    const close = source.indexOf(']', i + 1);
    const body = close === -1 ? '' : source.slice(i + 1, close);
    // `[MC]`, `[pousr]`: each character a spelling; ranges, negation and escapes are not literal
    if (!/^[A-Za-z0-9_~.:/@+]{1,8}$/.test(body)) return undefined;
    return { spellings: [...new Set(body)], end: close + 1, complete: true };
  }
  if (c === '(') {
    const named = source[i + 2] === '<' && /[A-Za-z]/.test(source[i + 3] ?? '');
    if (source[i + 1] === '?' && source[i + 2] !== ':' && !named) return undefined; // lookarounds
    let j = i + 1 + (source[i + 1] === '?' ? skipGroupPrefix(source, i + 1) : 0);
    const all: string[] = [];
    let complete = true;
    for (;;) {
      const alternative = spellSequence(source, j);
      if (!alternative) return undefined;
      all.push(...alternative.spellings);
      if (all.length > MAX_SPELLINGS) return undefined;
      complete &&= alternative.complete;
      j = alternative.end;
      if (source[j] === '|') j++;
      else if (source[j] === ')') return { spellings: all, end: j + 1, complete };
      else return undefined;
    }
  }
  if ('^$.|?*+)]{}'.includes(c)) return undefined;
  return { spellings: [c], end: i + 1, complete: true };
}

/** Index of the `|` or `)` ending the alternative that contains `i` (groups, classes and escapes skipped). */
function skipAlternative(source: string, i: number): number {
  let depth = 0;
  for (let j = i; j < source.length; j++) {
    const c = source[j];
    if (c === '\\') j++;
    else if (c === '[') {
      j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
    } else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return j;
      depth--;
    } else if (c === '|' && depth === 0) return j;
  }
  return source.length;
}

/** Index of the `)` closing the group opened at `i` (classes and escapes skipped), if any. */
function closingParen(source: string, i: number): number | undefined {
  let j = skipAlternative(source, i + 1);
  while (source[j] === '|') j = skipAlternative(source, j + 1);
  return source[j] === ')' ? j : undefined;
}

/** True unless the pattern is one alternative from start to end (no top-level `|`, no stray `)`). */
function hasTopLevelAlternation(source: string): boolean {
  return skipAlternative(source, 0) !== source.length;
}
