import { isJsonArray, parseFailed } from './lines.js';
import type { LogicalLine } from './lines.js';
import type { Instruction, InstructionFlag, KeyValue } from './types.js';
import { splitWords } from './words.js';

/** Instructions BuildKit knows; anything else is a parse error, as in `docker build`. */
export const KNOWN_INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

const JSON_OR_SHELL = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL']);
const JSON_OR_WORDS = new Set(['COPY', 'ADD', 'VOLUME']);
const WHOLE_STRING = new Set(['USER', 'WORKDIR', 'MAINTAINER', 'STOPSIGNAL']);

/** Parses one logical line into an instruction (variables not yet expanded; `stageIndex` set by the caller). */
export function parseInstruction(line: LogicalLine, escapeChar: string): Instruction {
  return parseText(line.text, line, escapeChar, 0);
}

function parseText(text: string, line: LogicalLine, escapeChar: string, depth: number): Instruction {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(text);
  const word = m?.[1] ?? '';
  const keyword = word.toUpperCase();
  if (!KNOWN_INSTRUCTIONS.has(keyword)) {
    throw parseFailed(`unknown instruction: ${printable(word)}`, line.startLine);
  }
  const { flags, rest } = extractFlags((m?.[2] ?? '').trim(), escapeChar);
  const ins: Instruction = {
    keyword,
    startLine: line.startLine,
    endLine: line.endLine,
    original: text.trim(),
    flags,
    args: [],
    expanded: [],
    json: false,
    heredocs: depth === 0 ? line.heredocs : [],
    stageIndex: -1,
  };
  if (JSON_OR_SHELL.has(keyword)) {
    setJsonOrShell(ins, rest);
  } else if (JSON_OR_WORDS.has(keyword)) {
    if (isJsonArray(rest)) {
      ins.json = true;
      ins.args = JSON.parse(rest) as string[];
    } else ins.args = splitWords(rest, escapeChar);
  } else if (WHOLE_STRING.has(keyword)) {
    ins.args = rest === '' ? [] : [rest];
  } else if (keyword === 'ENV' || keyword === 'LABEL') {
    ins.pairs = parseNameVal(rest, keyword, line.startLine, escapeChar);
  } else if (keyword === 'ARG') {
    ins.pairs = splitWords(rest, escapeChar).map((w) => {
      const eq = w.indexOf('=');
      return eq < 0 ? { key: w } : { key: w.slice(0, eq), raw: w.slice(eq + 1) };
    });
    if (ins.pairs.length === 0) throw parseFailed('ARG requires at least one argument', line.startLine);
  } else if (keyword === 'HEALTHCHECK') {
    // Like BuildKit's parser, accept any kind here (`CONNECT …` fails later, at build time).
    const hm = /^(\S+)\s*([\s\S]*)$/.exec(rest);
    const kind = (hm?.[1] ?? '').toUpperCase();
    const body = (hm?.[2] ?? '').trim();
    if (kind === 'CMD') {
      setJsonOrShell(ins, body);
      ins.args.unshift('CMD');
    } else if (kind !== '') ins.args = body === '' ? [kind] : [kind, body];
  } else if (keyword === 'ONBUILD') {
    if (depth > 0) throw parseFailed('chaining ONBUILD via `ONBUILD ONBUILD` is not allowed', line.startLine);
    ins.onbuild = parseText(rest, line, escapeChar, depth + 1);
    // the trigger is expanded in the child build, with its variables: here values stay as written
    for (const f of ins.onbuild.flags) f.expanded = f.value;
    ins.args = [rest];
  } else {
    // FROM, EXPOSE: whitespace-separated words.
    ins.args = rest === '' ? [] : rest.split(/[ \t]+/);
  }
  if (ins.pairs !== undefined)
    ins.args = ins.pairs.map((p) => (p.raw === undefined ? p.key : `${p.key}=${p.raw}`));
  ins.expanded = [...ins.args];
  return ins;
}

function setJsonOrShell(ins: Instruction, rest: string): void {
  if (isJsonArray(rest)) {
    ins.json = true;
    ins.args = JSON.parse(rest) as string[];
  } else ins.args = rest === '' ? [] : [rest];
}

/** BuildKit `extractBuilderFlags`: leading `--name[=value]` words, quotes allowed in values. */
function extractFlags(rest: string, escapeChar: string): { flags: InstructionFlag[]; rest: string } {
  const flags: InstructionFlag[] = [];
  let pos = 0;
  for (;;) {
    while (pos < rest.length && (rest[pos] === ' ' || rest[pos] === '\t')) pos++;
    if (!rest.startsWith('--', pos)) break;
    let end = pos;
    let quote = '';
    while (end < rest.length) {
      const c = rest[end] as string;
      if (quote === '' && (c === ' ' || c === '\t')) break;
      if (c === escapeChar && quote !== "'") end++;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (c === quote) quote = '';
      end++;
    }
    const word = rest.slice(pos + 2, end);
    if (word === '') {
      // A bare `--` ends the flags.
      pos = end;
      break;
    }
    const eq = word.indexOf('=');
    flags.push(eq < 0 ? { name: word } : { name: word.slice(0, eq), value: word.slice(eq + 1) });
    pos = end;
  }
  return { flags, rest: rest.slice(pos).trim() };
}

/** BuildKit `parseNameVal`: `k=v k2="v 2"`, or the legacy `ENV key value with spaces`. */
function parseNameVal(rest: string, keyword: string, line: number, escapeChar: string): KeyValue[] {
  const words = splitWords(rest, escapeChar);
  const first = words[0];
  if (first === undefined) throw parseFailed(`${keyword} requires at least one argument`, line);
  if (!first.includes('=')) {
    const parts = /^(\S+)[ \t]+([\s\S]+)$/.exec(rest);
    if (parts === null) throw parseFailed(`${keyword} must have two arguments`, line);
    return [{ key: parts[1] as string, raw: parts[2] as string }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0)
      throw parseFailed(
        `Syntax error - can't find = in "${printable(w)}". Must be of the form: name=value`,
        line,
      );
    return { key: w.slice(0, eq), raw: w.slice(eq + 1) };
  });
}

/** Keeps error messages printable and short for garbage input. */
function printable(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
