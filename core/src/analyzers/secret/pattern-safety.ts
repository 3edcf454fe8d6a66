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

/**
 * Index just past the character class opening at `i`, or undefined when it is not closed. As JavaScript
 * reads a class (no `u` flag): it ends at the first `]` not escaped, so `[]` is an empty class and `[^]`
 * matches any character (`checkPatternSafety` reads it the same way).
 */
function classEnd(source: string, i: number): number | undefined {
  let j = i + 1;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j < source.length ? j + 1 : undefined;
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
      i = classEnd(source, i) ?? fail();
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

/** Most spellings of a pattern's literal opening `keywordOffsetBound` expands before it gives up. */
const MAX_SPELLINGS = 256;

/**
 * How far into every match of the pattern one of `keywords` starts at most, or undefined when that is
 * not proven. Proven from the pattern, never taken from rule data: after zero-width assertions (`\b`, `^`,
 * lookbehinds) the pattern may open with a gap of bounded length (classes, `\d`-like escapes or `.`, with
 * bounded repeats: `[a-f0-9]{32}`), then has a literal part — characters, small classes of literal
 * characters, groups of such alternatives, parts optional with `?` — and every spelling of that part
 * holds a keyword (compared in lower case, as the keyword finder folds case; patterns only have the
 * `i`, `m` and `s` flags, so an ASCII letter never matches a non-ASCII one). The bound is the gap's
 * length plus where, at the furthest, a keyword starts in a spelling. An alternation at the top level, or
 * a literal part that some spelling holds no keyword in, gives undefined.
 */
export function keywordOffsetBound(source: string, keywords: readonly string[]): number | undefined {
  if (keywords.length === 0 || hasTopLevelAlternation(source)) return undefined;
  const lower = keywords.map((k) => k.toLowerCase());
  let i = 0;
  // zero-width openings
  for (;;) {
    if (source.startsWith('\\b', i)) i += 2;
    else if (source[i] === '^') i++;
    else if (source.startsWith('(?<=', i) || source.startsWith('(?<!', i)) {
      const end = closingParen(source, i);
      if (end === undefined) return undefined;
      i = end + 1;
    } else break;
  }
  const opening = spellSequence(source, i);
  if (!opening) return undefined;
  // each spelling is in every match it stands for, after the gap: where its first keyword starts
  let furthest = 0;
  for (const spelling of opening.spellings) {
    const text = spelling.toLowerCase();
    let first = -1;
    for (const k of lower) {
      const at = text.indexOf(k);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    if (first === -1) return undefined;
    furthest = Math.max(furthest, first);
  }
  return opening.gap + furthest;
}

/** Most literals `requiredLiterals` gives: past that the opening is too varied to be worth finding. */
const MAX_REQUIRED_LITERALS = 16;

/**
 * Literals one of which every match of the pattern holds, lower-cased: the spellings of its literal opening
 * (after a gap of bounded length, as `keywordOffsetBound` reads it). Undefined when that is not proven (an
 * alternation at the top level, no literal opening, a zero-width one) or when a spelling is shorter than
 * `minLength` or not printable ASCII (the keyword finder folds ASCII case only).
 */
export function requiredLiterals(source: string, minLength: number): string[] | undefined {
  if (hasTopLevelAlternation(source)) return undefined;
  const opening = spellSequence(source, 0);
  if (!opening) return undefined;
  const spellings = [...new Set(opening.spellings.map((s) => s.toLowerCase()))];
  if (spellings.length > MAX_REQUIRED_LITERALS) return undefined;
  if (spellings.some((s) => s.length < minLength || !/^[\x20-\x7e]+$/.test(s))) return undefined;
  return spellings;
}

/** True when every match of the pattern starts with one of `keywords` (a bound of 0). */
export function startsWithKeyword(source: string, keywords: readonly string[]): boolean {
  return keywordOffsetBound(source, keywords) === 0;
}

/** The spellings of a pattern's literal part, after a gap of at most `gap` characters. */
interface Spelled {
  spellings: string[];
  gap: number;
  end: number;
  /** False when a construct that is not literal ended the literal part before the alternative did. */
  complete: boolean;
}

/**
 * Spells the alternative starting at `i`: a leading gap of bounded length, then its literal part, up to
 * the alternative's end (`|`, `)` or the end of the pattern) or to the first construct that is not literal
 * (the rest of the alternative is then skipped). Undefined past MAX_SPELLINGS.
 */
function spellSequence(source: string, i: number): Spelled | undefined {
  let spellings = [''];
  let gap = 0;
  let j = i;
  const started = (): boolean => spellings.length !== 1 || spellings[0] !== '';
  const stop = (at: number): Spelled => ({
    spellings,
    gap,
    end: skipAlternative(source, at),
    complete: false,
  });
  while (j < source.length && source[j] !== '|' && source[j] !== ')') {
    const atom = spellAtom(source, j);
    if (!atom) {
      // nothing literal yet: a class, `\d`, `.` of bounded length widens the gap
      const skip = started() ? undefined : gapAtom(source, j);
      if (!skip) return stop(j);
      gap += skip.length;
      j = skip.end;
      continue;
    }
    let options = atom.spellings;
    let end = atom.end;
    if (source[end] === '?' && source[end + 1] !== '?') {
      options = [...options, ''];
      end++;
    }
    // repeated, or a group with its own gap after literal characters: the literal part ends before it
    if (readQuantifier(source, end) || (atom.gap > 0 && started())) return stop(j);
    gap += atom.gap;
    const next: string[] = [];
    for (const s of spellings) for (const o of options) next.push(s + o);
    if (next.length > MAX_SPELLINGS) return undefined;
    spellings = next;
    if (!atom.complete) return stop(end);
    j = end;
  }
  return { spellings, gap, end: j, complete: true };
}

/** A class, an escape like `\d`, or `.`, with a bounded repeat: its most characters. */
function gapAtom(source: string, i: number): { length: number; end: number } | undefined {
  let end: number;
  const c = source[i];
  if (c === '[') {
    const close = classEnd(source, i);
    if (close === undefined) return undefined;
    end = close;
  } else if (c === '\\' && /[dDwWsS]/.test(source[i + 1] ?? '')) end = i + 2;
  else if (c === '.') end = i + 1;
  else return undefined;
  const q = readQuantifier(source, end);
  if (!q) return { length: 1, end };
  if (q.max === Infinity) return undefined;
  const after = end + q.length;
  return { length: q.max, end: source[after] === '?' ? after + 1 : after };
}

/**
 * One literal atom at `i`: a character (escaped punctuation included), a class of at most 8 plain
 * characters, or a group whose alternatives are spelled (their largest gap is the group's; not `complete`
 * when one of them stops early: nothing after the group may then be appended). Undefined otherwise.
 */
function spellAtom(source: string, i: number): Spelled | undefined {
  const c = source[i];
  if (c === undefined) return undefined;
  if (c === '\\') {
    const next = source[i + 1];
    // `\/`, `\.`, `\+`…: the character itself; `\d`, `\x41`, `\b`…: not a literal
    if (next === undefined || /[A-Za-z0-9]/.test(next)) return undefined;
    return { spellings: [next], gap: 0, end: i + 2, complete: true };
  }
  if (c === '[') {
    const close = source.indexOf(']', i + 1);
    const body = close === -1 ? '' : source.slice(i + 1, close);
    // `[MC]`, `[_.-]`: each character a spelling (a `-` first or last is itself); ranges, negation and
    // escapes are not literal
    if (!/^-?[A-Za-z0-9_~.:/@+]{0,8}-?$/.test(body) || body === '' || body === '--') return undefined;
    return { spellings: [...new Set(body)], gap: 0, end: close + 1, complete: true };
  }
  if (c === '(') {
    const named = source[i + 2] === '<' && /[A-Za-z]/.test(source[i + 3] ?? '');
    if (source[i + 1] === '?' && source[i + 2] !== ':' && !named) return undefined; // lookarounds
    let j = i + 1 + (source[i + 1] === '?' ? skipGroupPrefix(source, i + 1) : 0);
    const all: string[] = [];
    let gap = 0;
    let complete = true;
    for (;;) {
      const alternative = spellSequence(source, j);
      if (!alternative) return undefined;
      all.push(...alternative.spellings);
      if (all.length > MAX_SPELLINGS) return undefined;
      gap = Math.max(gap, alternative.gap);
      complete &&= alternative.complete;
      j = alternative.end;
      if (source[j] === '|') j++;
      else if (source[j] === ')') return { spellings: all, gap, end: j + 1, complete };
      else return undefined;
    }
  }
  if ('^$.|?*+)]{}'.includes(c)) return undefined;
  return { spellings: [c], gap: 0, end: i + 1, complete: true };
}

/** Index of the `|` or `)` ending the alternative that contains `i` (groups, classes and escapes skipped). */
function skipAlternative(source: string, i: number): number {
  let depth = 0;
  for (let j = i; j < source.length; j++) {
    const c = source[j];
    if (c === '\\') j++;
    else if (c === '[') j = (classEnd(source, j) ?? source.length) - 1;
    else if (c === '(') depth++;
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
