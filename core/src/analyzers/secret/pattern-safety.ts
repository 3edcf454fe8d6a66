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
