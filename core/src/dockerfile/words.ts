/**
 * Word splitting and variable expansion as BuildKit's shell lexer does it for the instructions the builder
 * expands itself (FROM, COPY, ADD, ENV, ARG, LABEL, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL).
 */

/** Variable scope: a key present with `undefined` is declared (`ARG NAME`) but has no known value. */
export type VarScope = ReadonlyMap<string, string | undefined>;

export interface Expansion {
  value: string;
  /** A variable with no known value was used without a fallback. */
  unresolved: boolean;
}

interface ExpandState {
  unresolved: boolean;
  /** False for exec-form (JSON) items: quotes and escapes are literal there. */
  quotes: boolean;
  /** Current `${…:-${…}}` nesting, bounded so hostile input cannot exhaust the stack. */
  depth: number;
}

const MAX_NESTING = 32;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Splits on unquoted whitespace, keeping quotes and escapes in the words (BuildKit `parseWords`), so
 * `a="b c" d` gives `a="b c"` and `d`.
 */
export function splitWords(text: string, escapeChar: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === '' && (c === ' ' || c === '\t')) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += c;
    if (c === escapeChar && quote !== "'" && i + 1 < text.length) {
      cur += text[++i] as string;
      continue;
    }
    if (quote === '' && (c === '"' || c === "'")) quote = c;
    else if (c === quote) quote = '';
  }
  if (inWord) words.push(cur);
  return words;
}

/** Removes quotes and expands `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`, `${VAR+x}`, `${VAR:?x}`. */
export function expandWord(
  word: string,
  scope: VarScope,
  escapeChar: string,
  options: { quotes?: boolean } = {},
): Expansion {
  const state = { unresolved: false, quotes: options.quotes ?? true, depth: 0 };
  const value = expandSpan(word, scope, escapeChar, state, false);
  return { value, unresolved: state.unresolved };
}

function expandSpan(
  word: string,
  scope: VarScope,
  esc: string,
  state: ExpandState,
  inDouble: boolean,
): string {
  let out = '';
  let i = 0;
  let dq = inDouble;
  while (i < word.length) {
    const c = word[i] as string;
    if (!state.quotes && c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (c === esc && i + 1 < word.length) {
      const next = word[i + 1] as string;
      // Inside double quotes only `"`, `$` and the escape char itself are escapable.
      if (!dq || next === '"' || next === '$' || next === esc) out += next;
      else out += c + next;
      i += 2;
      continue;
    }
    if (c === "'" && !dq) {
      const end = word.indexOf("'", i + 1);
      if (end < 0) {
        out += word.slice(i + 1);
        break;
      }
      out += word.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      dq = !dq;
      i++;
      continue;
    }
    if (c === '$') {
      const r = expandDollar(word, i, scope, esc, state);
      out += r.text;
      i = r.next;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function expandDollar(
  word: string,
  at: number,
  scope: VarScope,
  esc: string,
  state: ExpandState,
): { text: string; next: number } {
  const next = word[at + 1];
  if (next === '{') {
    const close = findClosingBrace(word, at + 2);
    if (close < 0) return { text: word.slice(at), next: word.length };
    const body = word.slice(at + 2, close);
    return { text: expandBraced(body, scope, esc, state), next: close + 1 };
  }
  if (next !== undefined && NAME_START.test(next)) {
    let j = at + 1;
    while (j < word.length && NAME_CHAR.test(word[j] as string)) j++;
    const name = word.slice(at + 1, j);
    return { text: lookup(name, scope, state), next: j };
  }
  return { text: '$', next: at + 1 };
}

function findClosingBrace(word: string, from: number): number {
  let depth = 1;
  for (let i = from; i < word.length; i++) {
    const c = word[i];
    if (c === '{' && word[i - 1] === '$') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, scope: VarScope, state: ExpandState): string {
  const v = scope.get(name);
  if (v === undefined) {
    state.unresolved = true;
    return '';
  }
  return v;
}

function expandBraced(body: string, scope: VarScope, esc: string, state: ExpandState): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(:?[-+?]|#{1,2}|%{1,2}|\/{1,2})?([\s\S]*)$/.exec(body);
  if (m === null) return '';
  const name = m[1] as string;
  const op = m[2];
  const arg = m[3] ?? '';
  const known = scope.has(name) && scope.get(name) !== undefined;
  const val = scope.get(name) ?? '';
  if (op === undefined) return arg === '' ? lookup(name, scope, state) : '';
  const sub = (): string => {
    if (state.depth >= MAX_NESTING) return arg;
    state.depth++;
    const out = expandSpan(arg, scope, esc, state, false);
    state.depth--;
    return out;
  };
  switch (op) {
    case ':-':
      return known && val !== '' ? val : sub();
    case '-':
      return known ? val : sub();
    case ':+':
      return known && val !== '' ? sub() : '';
    case '+':
      return known ? sub() : '';
    case ':?':
    case '?':
      // BuildKit fails the build when the variable is unset; statically we only know it is unknown.
      if (!known || (op === ':?' && val === '')) state.unresolved = true;
      return val;
    default:
      // Pattern operators (#, %, /): best effort, keep the value unchanged.
      if (!known) state.unresolved = true;
      return val;
  }
}
