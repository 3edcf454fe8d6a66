/**
 * A small POSIX-shell reader for build commands: enough to find simple commands, their words and the
 * pipelines they sit in. It never executes anything and is linear in the input.
 */

/** One simple command after quote removal, with the wrappers (`sudo`, `env`, `VAR=x`) peeled off. */
export interface SimpleCommand {
  /** Words as written after quote removal (wrappers included). */
  words: string[];
  /** Base name of the command actually run (`apt-get` for `sudo -E /usr/bin/apt-get …`), or '' if none. */
  name: string;
  /** Arguments of that command. */
  args: string[];
  /** Wrapper commands seen before it (`sudo`, `env`, …). */
  wrappers: string[];
  /** Raw text of each word before quote removal, parallel to `words` (used to see `$(curl …)`). */
  raw: string[];
}

/** Commands joined by `|` (a single command is a pipeline of one). */
export interface Pipeline {
  commands: SimpleCommand[];
}

/** Upper bound on words read from one script, so hostile input stays bounded. */
const MAX_WORDS = 200_000;

const WRAPPERS = new Set([
  'sudo',
  'doas',
  'env',
  'exec',
  'command',
  'nohup',
  'time',
  'nice',
  'stdbuf',
  'ionice',
]);
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  '!',
  '{',
  '}',
  'case',
  'esac',
]);

interface Token {
  kind: 'word' | 'op';
  text: string;
  raw: string;
}

const SHELL_NAMES = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh']);
/** How deep `sh -c "sh -c '…'"` scripts are followed. */
const MAX_NESTING = 4;

/**
 * Splits a shell script into pipelines of simple commands. Scripts passed to `sh -c` / `bash -c` are read
 * too; their pipelines follow the outer ones.
 */
export function parseShell(script: string, depth = 0): Pipeline[] {
  const pipelines = parseFlat(script);
  if (depth >= MAX_NESTING) return pipelines;
  const nested: Pipeline[] = [];
  for (const p of pipelines) {
    for (const c of p.commands) {
      const inner = nestedScript(c);
      if (inner !== undefined) nested.push(...parseShell(inner, depth + 1));
    }
  }
  return [...pipelines, ...nested];
}

/** The script of `sh -c SCRIPT` (also `bash -ec SCRIPT`), if this command is one. */
function nestedScript(c: SimpleCommand): string | undefined {
  if (!SHELL_NAMES.has(c.name)) return undefined;
  for (let i = 0; i < c.args.length; i++) {
    const a = c.args[i] as string;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) return c.args[i + 1];
    if (!a.startsWith('-')) return undefined;
  }
  return undefined;
}

function parseFlat(script: string): Pipeline[] {
  const pipelines: Pipeline[] = [];
  let current: SimpleCommand[] = [];
  let words: string[] = [];
  let raws: string[] = [];
  const endCommand = (): void => {
    if (words.length > 0) current.push(toCommand(words, raws));
    words = [];
    raws = [];
  };
  const endPipeline = (): void => {
    endCommand();
    if (current.length > 0) pipelines.push({ commands: current });
    current = [];
  };
  let skipNext = false;
  for (const t of tokenize(script)) {
    if (t.kind === 'op') {
      if (t.text === '|' || t.text === '|&') endCommand();
      else if (/^[<>]|^\d+[<>]|^&>/.test(t.text)) skipNext = !/&\d*-?$/.test(t.text);
      else endPipeline();
      continue;
    }
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (words.length === 0 && KEYWORDS.has(t.text)) continue;
    words.push(t.text);
    raws.push(t.raw);
  }
  endPipeline();
  return pipelines;
}

function toCommand(words: string[], raw: string[]): SimpleCommand {
  const wrappers: string[] = [];
  let i = 0;
  while (i < words.length) {
    const w = words[i] as string;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
      continue;
    }
    const base = baseName(w);
    if (!WRAPPERS.has(base)) break;
    wrappers.push(base);
    i++;
    // Skip the wrapper's own options (`sudo -E -u app`, `nice -n 10`).
    while (i < words.length && (words[i] as string).startsWith('-')) {
      const opt = words[i] as string;
      i++;
      if (/^-[unpgCchrTUt]$/.test(opt) && (base === 'sudo' || base === 'nice' || base === 'doas')) i++;
    }
  }
  const name = i < words.length ? baseName(words[i] as string) : '';
  return { words, name, args: words.slice(i + 1), wrappers, raw };
}

function baseName(w: string): string {
  const slash = w.lastIndexOf('/');
  return slash >= 0 ? w.slice(slash + 1) : w;
}

function* tokenize(s: string): Generator<Token> {
  let i = 0;
  let count = 0;
  const n = s.length;
  while (i < n) {
    const c = s[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '\\' && s[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && s[i] !== '\n') i++;
      continue;
    }
    const op =
      /^(?:&&|\|\||;;|\|&|[;&|\n()]|\d*>>|\d*>&\d*-?|\d*<&\d*-?|&>>?|\d*<<<|\d*<<-?|\d*<>|\d*[<>]\|?)/.exec(
        s.slice(i, i + 6),
      );
    if (op !== null && !(c === '<' && s[i + 1] === '(') && !(c === '>' && s[i + 1] === '(')) {
      yield { kind: 'op', text: op[0], raw: op[0] };
      i += op[0].length;
      continue;
    }
    const start = i;
    let text = '';
    while (i < n) {
      const ch = s[i] as string;
      if (ch === ' ' || ch === '\t' || ch === '\n' || ch === ';' || ch === '&' || ch === '|') break;
      if (ch === '(' || ch === ')') break;
      if ((ch === '<' || ch === '>') && s[i + 1] !== '(') break;
      if (ch === '\\') {
        if (s[i + 1] !== '\n' && i + 1 < n) text += s[i + 1];
        i += 2;
        continue;
      }
      if (ch === "'") {
        const end = s.indexOf("'", i + 1);
        const stop = end < 0 ? n : end;
        text += s.slice(i + 1, stop);
        i = stop + 1;
        continue;
      }
      if (ch === '"') {
        i++;
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n && '"\\$`\n'.includes(s[i + 1] as string)) i++;
          text += s[i];
          i++;
        }
        i++;
        continue;
      }
      if ((ch === '$' || ch === '<' || ch === '>') && s[i + 1] === '(') {
        const end = matchParen(s, i + 1);
        text += s.slice(i, end + 1);
        i = end + 1;
        continue;
      }
      if (ch === '`') {
        const end = s.indexOf('`', i + 1);
        const stop = end < 0 ? n - 1 : end;
        text += s.slice(i, stop + 1);
        i = stop + 1;
        continue;
      }
      text += ch;
      i++;
    }
    if (i === start) {
      i++;
      continue;
    }
    if (++count > MAX_WORDS) return;
    yield { kind: 'word', text, raw: s.slice(start, i) };
  }
}

/** Index of the `)` closing the `(` at `open` (or the last index when unbalanced). */
function matchParen(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (quote !== '') {
      if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return s.length - 1;
}

const DECLARERS = new Set(['export', 'declare', 'typeset', 'readonly', 'local']);
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/**
 * Variable assignments a command makes: `NAME=value cmd` prefixes (also after `env`), bare `NAME=value`,
 * and the operands of `export` / `declare` / `readonly` … Values are the raw text (quotes kept), so a
 * reference (`$TOKEN`) can be told from a literal.
 */
export function listAssignments(c: SimpleCommand): { key: string; raw: string }[] {
  const out: { key: string; raw: string }[] = [];
  const declarer = DECLARERS.has(c.name);
  c.words.forEach((w, i) => {
    const m = ASSIGNMENT.exec(w);
    if (m === null) return;
    // a word after the command name is an argument (`echo A=b`), unless the command declares variables
    const isPrefix = i < c.words.length - c.args.length - (c.name === '' ? 0 : 1);
    if (!isPrefix && !declarer) return;
    const raw = c.raw[i] ?? w;
    const eq = raw.indexOf('=');
    out.push({ key: m[1] as string, raw: eq < 0 ? '' : raw.slice(eq + 1) });
  });
  return out;
}

/** All simple commands of a script, in order. */
export function listCommands(script: string): SimpleCommand[] {
  return parseShell(script).flatMap((p) => p.commands);
}

/** The first non-option argument (`install` in `apt-get -q install x`), skipping options that take a value. */
export function subcommand(
  cmd: SimpleCommand,
  optsWithValue: ReadonlySet<string> = new Set(),
): string | undefined {
  for (let i = 0; i < cmd.args.length; i++) {
    const a = cmd.args[i] as string;
    if (a.startsWith('-')) {
      if (optsWithValue.has(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}
