import { readFile } from 'node:fs/promises';
import type { Document, LineCounter } from 'yaml';
import { PortcullisError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { Policy } from './types.js';
import { yamlLib } from './lazy.js';
import { validatePolicyDocument } from './validate.js';

/** Policy files are small; anything bigger is a mistake (or an attack on the parser). */
export const MAX_POLICY_BYTES = 1024 * 1024;

/**
 * Parses a policy from YAML or JSON text and validates it. Throws `POLICY_INVALID` listing every problem
 * (JSON path, what was expected, and the line in `source`).
 */
export function parsePolicy(text: string, source = 'policy'): Policy {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) {
    throw new PortcullisError('POLICY_INVALID', `${source}: larger than ${MAX_POLICY_BYTES} bytes`);
  }
  const { LineCounter: Lines, parseDocument } = yamlLib();
  const lineCounter = new Lines();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: Problem[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { path: `line ${pos.line}:${pos.col}`, message: e.message.split('\n')[0] ?? e.code };
    });
    throw invalid(source, problems);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new PortcullisError('POLICY_INVALID', `${source}: ${(err as Error).message}`, { cause: err });
  }
  const problems = validatePolicyDocument(value);
  if (problems.length > 0) {
    // Report in file order, so the list reads top to bottom like the file.
    const located = problems.map((p) => withLine(p, doc, lineCounter));
    located.sort((a, b) => lineOf(a) - lineOf(b));
    throw invalid(source, located);
  }
  return value as Policy;
}

/** Reads and parses a policy file: `POLICY_NOT_FOUND` when it is missing, `POLICY_INVALID` when it is wrong. */
export async function loadPolicy(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PortcullisError(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'POLICY_NOT_FOUND' : 'POLICY_INVALID',
      `reading policy ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parsePolicy(text, path);
}

function invalid(source: string, problems: Problem[]): PortcullisError {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  return new PortcullisError(
    'POLICY_INVALID',
    `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines}`,
    { problems },
  );
}

function lineOf(p: Problem): number {
  const m = / \(line (\d+)\)$/.exec(p.message);
  return m?.[1] !== undefined ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** Adds the source line of the nearest existing node to a problem. */
function withLine(p: Problem, doc: Document, lc: LineCounter): Problem {
  if (!p.path.startsWith('/')) return p;
  const segs = p.path
    .split('/')
    .slice(1)
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let n = segs.length; n >= 0; n--) {
    const node = segs.length === 0 || n === 0 ? doc.contents : doc.getIn(segs.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const { line } = lc.linePos(range[0]);
      return { ...p, message: `${p.message} (line ${line})` };
    }
  }
  return p;
}
