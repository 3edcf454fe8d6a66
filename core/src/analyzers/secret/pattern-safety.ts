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
