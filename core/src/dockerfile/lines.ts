import { PortcullisError } from '../errors.js';
import type { Heredoc, ParserDirective } from './types.js';
import { splitWords } from './words.js';

/** Limits that keep hostile input bounded. */
export const DOCKERFILE_LIMITS = {
  /** Whole file. */
  maxBytes: 8 * 1024 * 1024,
  /** One physical line (BuildKit's scanner limit). */
  maxLineChars: 65_535,
  /** One logical instruction after joining continuation lines. */
  maxLogicalLineChars: 1024 * 1024,
  maxInstructions: 50_000,
  maxHeredocsPerInstruction: 64,
} as const;

/** One logical line with its exact physical line span and here-documents. */
export interface LogicalLine {
  text: string;
  startLine: number;
  endLine: number;
  heredocs: Heredoc[];
}

export interface SplitResult {
  directives: ParserDirective[];
  escapeChar: string;
  lines: LogicalLine[];
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

export function parseFailed(message: string, line?: number): PortcullisError {
  const where = line === undefined ? '' : ` (line ${line})`;
  return new PortcullisError('DOCKERFILE_PARSE_FAILED', `${message}${where}`, {
    problems: line === undefined ? [] : [{ path: `line ${line}`, message }],
  });
}

function trimLeft(s: string): string {
  return s.replace(/^[ \t]+/, '');
}

/**
 * Splits Dockerfile text into logical lines the way BuildKit's parser does: directives only before the
 * first other line, continuation lines joined verbatim, comment and empty lines inside a continuation
 * skipped, here-document bodies taken after the instruction line.
 */
export function splitLogicalLines(text: string): SplitResult {
  if (text.length > DOCKERFILE_LIMITS.maxBytes) {
    throw parseFailed(`Dockerfile is larger than ${DOCKERFILE_LIMITS.maxBytes} bytes`);
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    throw parseFailed('binary content (NUL byte) in Dockerfile', lineOf(text, nul));
  }
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const long = physical.findIndex((l) => l.length > DOCKERFILE_LIMITS.maxLineChars);
  if (long >= 0) {
    throw parseFailed(
      `dockerfile line greater than max allowed size of ${DOCKERFILE_LIMITS.maxLineChars}`,
      long + 1,
    );
  }
  const directives: ParserDirective[] = [];
  let escapeChar = '\\';
  let directivePhase = true;
  const lines: LogicalLine[] = [];
  let i = 0;
  while (i < physical.length) {
    const lineNo = i + 1;
    const line = trimLeft(physical[i++] as string);
    if (directivePhase) {
      const d = parseDirective(line, lineNo, directives);
      if (d === undefined) directivePhase = false;
      else {
        if (d.name === 'escape') escapeChar = d.value;
        continue;
      }
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const cont = continuationPattern(escapeChar);
    let [part, done] = trimContinuation(line, cont);
    if (done && part.trim() === '') continue;
    const parts = [part];
    let size = part.length;
    while (!done && i < physical.length) {
      const raw = physical[i++] as string;
      const t = trimLeft(raw);
      if (t.startsWith('#') || t === '') continue;
      [part, done] = trimContinuation(raw, cont);
      parts.push(part);
      size += part.length;
      if (size > DOCKERFILE_LIMITS.maxLogicalLineChars) {
        throw parseFailed(
          `instruction longer than ${DOCKERFILE_LIMITS.maxLogicalLineChars} characters`,
          lineNo,
        );
      }
    }
    const logical: LogicalLine = { text: parts.join(''), startLine: lineNo, endLine: i, heredocs: [] };
    i = readHeredocs(logical, physical, i, escapeChar);
    lines.push(logical);
    if (lines.length > DOCKERFILE_LIMITS.maxInstructions) {
      throw parseFailed(`more than ${DOCKERFILE_LIMITS.maxInstructions} instructions`, lineNo);
    }
  }
  return { directives, escapeChar, lines };
}

function lineOf(text: string, index: number): number {
  let n = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < index; k = text.indexOf('\n', k + 1)) n++;
  return n;
}

function parseDirective(line: string, lineNo: number, seen: ParserDirective[]): ParserDirective | undefined {
  const m = DIRECTIVE.exec(line);
  if (m === null) return undefined;
  const name = (m[1] as string).toLowerCase();
  if (!KNOWN_DIRECTIVES.has(name)) return undefined;
  if (seen.some((d) => d.name === name))
    throw parseFailed(`only one ${name} parser directive can be used`, lineNo);
  const value = m[2] as string;
  if (name === 'escape' && value !== '\\' && value !== '`') {
    throw parseFailed(`invalid escape token '${value}' does not match \` or \\`, lineNo);
  }
  const d = { name, value, line: lineNo };
  seen.push(d);
  return d;
}

function continuationPattern(escapeChar: string): RegExp {
  const e = escapeChar === '\\' ? '\\\\' : escapeChar;
  return new RegExp(`${e}[ \\t]*$`);
}

/** Returns the line without its continuation character and whether the logical line ends here. */
function trimContinuation(line: string, cont: RegExp): [string, boolean] {
  const m = cont.exec(line);
  if (m === null) return [line, true];
  return [line.slice(0, m.index), false];
}

function readHeredocs(logical: LogicalLine, physical: string[], from: number, escapeChar: string): number {
  const keyword = /^\s*(\S+)/.exec(logical.text)?.[1]?.toLowerCase() ?? '';
  if (!HEREDOC_KEYWORDS.has(keyword) || !logical.text.includes('<<')) return from;
  const rest = logical.text.replace(/^\s*\S+\s*/, '');
  if (isJsonArray(stripFlags(rest))) return from;
  let i = from;
  const words = splitWords(rest, escapeChar);
  for (let w = 0; w < words.length; w++) {
    const word = words[w] as string;
    // `<< EOF` and `<<- EOF`: the operator and the terminator may be separate words.
    const bare = /^(\d*)<<(-?)$/.exec(word);
    const h =
      bare !== null && w + 1 < words.length
        ? heredocName(words[++w] as string, bare[2] === '-')
        : heredocFromWord(word);
    if (h === undefined) continue;
    if (h === 'invalid') throw parseFailed(`invalid heredoc terminator in ${word}`, logical.startLine);
    if (logical.heredocs.length >= DOCKERFILE_LIMITS.maxHeredocsPerInstruction) {
      throw parseFailed('too many heredocs in one instruction', logical.startLine);
    }
    const body: string[] = [];
    const startLine = i + 1;
    let terminated = false;
    while (i < physical.length) {
      const raw = physical[i++] as string;
      const candidate = h.chomp ? raw.replace(/^\t+/, '') : raw;
      if (candidate === h.name) {
        terminated = true;
        break;
      }
      body.push(raw);
    }
    if (!terminated) {
      throw parseFailed(
        `unterminated heredoc <<${h.name} starting at line ${logical.startLine}`,
        logical.startLine,
      );
    }
    logical.heredocs.push({
      name: h.name,
      chomp: h.chomp,
      expand: h.expand,
      content: body.length === 0 ? '' : `${body.join('\n')}\n`,
      startLine,
      endLine: i,
    });
  }
  logical.endLine = i;
  return i;
}

type HeredocHead = { name: string; chomp: boolean; expand: boolean } | 'invalid' | undefined;

function heredocFromWord(word: string): HeredocHead {
  const m = HEREDOC_WORD.exec(word);
  if (m === null) return undefined;
  return heredocName(m[3] as string, m[2] === '-');
}

/** Terminator word: quotes removed, `\x` taken literally; any quoting turns expansion off. */
function heredocName(raw: string, chomp: boolean): HeredocHead {
  let name = '';
  let quote = '';
  let quoted = false;
  for (let k = 0; k < raw.length; k++) {
    const c = raw[k] as string;
    if (quote !== '') {
      if (c === quote) quote = '';
      else name += c;
    } else if (c === '\\' && k + 1 < raw.length) name += raw[++k] as string;
    else if (c === '"' || c === "'") {
      quote = c;
      quoted = true;
    } else name += c;
  }
  if (quote !== '') return 'invalid';
  if (name === '') return undefined;
  return { name, chomp, expand: !quoted };
}

/** Drops leading `--flag[=value]` words. */
export function stripFlags(rest: string): string {
  return rest.replace(/^(\s*--\S*)+\s*/, '').trim();
}

export function isJsonArray(s: string): boolean {
  if (!s.startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(s);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}
