import { yamlLib } from './lazy.js';
import { PortcullisError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { RiskType } from '../types/finding.js';
import type { PolicyException } from './types.js';

/** Exceptions converted from another tool's ignore file, plus what could not be carried over. */
export interface ImportResult {
  exceptions: PolicyException[];
  /** Entries skipped or changed in meaning, one line each (never silently dropped). */
  warnings: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_IMPORT_BYTES = 4 * 1024 * 1024;

/** Trivy misconfiguration ids (`AVD-DS-0002`) also match the short forms rules use (`DS-0002`, `DS002`). */
function expandId(id: string): string | string[] {
  const m = /^AVD-([A-Z]+)-(\d{4})$/.exec(id);
  if (!m || m[1] === undefined || m[2] === undefined) return id;
  return [id, `${m[1]}-${m[2]}`, `${m[1]}${m[2].slice(1)}`];
}

function assertSize(text: string, what: string): void {
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', `${what}: larger than ${MAX_IMPORT_BYTES} bytes`);
  }
}

/**
 * Converts a Trivy ignore file: `.trivyignore` (one id per line, `exp:YYYY-MM-DD` inline or in a `# exp:`
 * comment, preceding `#` comments become the reason) or `.trivyignore.yaml` (`vulnerabilities`,
 * `misconfigurations`, `secrets` lists with `paths`, `purls`, `expired_at`, `statement`). The format is
 * sniffed unless given.
 */
export function importTrivyIgnore(text: string, opts: { format?: 'lines' | 'yaml' } = {}): ImportResult {
  assertSize(text, '.trivyignore');
  const format =
    opts.format ??
    (/^\s*(vulnerabilities|misconfigurations|secrets|licenses)\s*:/m.test(text) ? 'yaml' : 'lines');
  return format === 'yaml' ? importTrivyYaml(text) : importTrivyLines(text);
}

function importTrivyLines(text: string): ImportResult {
  const exceptions: PolicyException[] = [];
  const problems: Problem[] = [];
  let comments: string[] = [];
  let exp: string | undefined;
  let lastWasEntry = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') {
      comments = [];
      exp = undefined;
      lastWasEntry = false;
      return;
    }
    if (line.startsWith('#')) {
      if (lastWasEntry) {
        comments = [];
        exp = undefined;
      }
      lastWasEntry = false;
      const body = line.replace(/^#+\s*/, '');
      const m = /^exp:\s*(\S+)/.exec(body);
      if (m?.[1] !== undefined) {
        if (!DATE.test(m[1]))
          problems.push({ path: `line ${i + 1}`, message: `exp must be YYYY-MM-DD, got "${m[1]}"` });
        else exp = m[1];
      } else if (body !== '') comments.push(body);
      return;
    }
    lastWasEntry = true;
    const hash = line.indexOf(' #');
    const trailing = hash >= 0 ? line.slice(hash + 2).trim() : '';
    const tokens = (hash >= 0 ? line.slice(0, hash) : line).split(/\s+/);
    const id = tokens[0] ?? '';
    let expires = exp;
    for (const t of tokens.slice(1)) {
      const m = /^exp:(.*)$/.exec(t);
      if (m?.[1] !== undefined && DATE.test(m[1])) expires = m[1];
      else
        problems.push({ path: `line ${i + 1}`, message: `unexpected "${t}" (expected ID [exp:YYYY-MM-DD])` });
    }
    const reason = [...comments, ...(trailing ? [trailing] : [])].join('; ') || 'imported from .trivyignore';
    exceptions.push({ id: expandId(id), reason, ...(expires !== undefined && { expires }) });
  });
  if (problems.length > 0) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', `.trivyignore: ${problems.length} problem(s)`, {
      problems,
    });
  }
  return { exceptions, warnings: [] };
}

interface TrivyYamlEntry {
  id?: unknown;
  paths?: unknown;
  purls?: unknown;
  expired_at?: unknown;
  statement?: unknown;
}

const SECTION_TYPES: Record<string, RiskType[]> = {
  vulnerabilities: ['vulnerability'],
  misconfigurations: ['build-instruction', 'baseline'],
  secrets: ['sensitive-file'],
};

function importTrivyYaml(text: string): ImportResult {
  let doc: unknown;
  try {
    doc = yamlLib().parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', `.trivyignore.yaml: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', '.trivyignore.yaml: expected a mapping of sections');
  }
  const exceptions: PolicyException[] = [];
  const warnings: string[] = [];
  const problems: Problem[] = [];
  for (const [section, list] of Object.entries(doc as Record<string, unknown>)) {
    const types = SECTION_TYPES[section];
    if (!types) {
      warnings.push(`section "${section}" skipped: Portcullis has no matching risk type`);
      continue;
    }
    if (list === null) continue;
    if (!Array.isArray(list)) {
      problems.push({ path: `/${section}`, message: 'must be a list' });
      continue;
    }
    list.forEach((item: unknown, i) => {
      const at = `/${section}/${i}`;
      if (typeof item !== 'object' || item === null) {
        problems.push({ path: at, message: 'must be a mapping with id' });
        return;
      }
      const e = item as TrivyYamlEntry;
      const id = typeof e.id === 'string' && e.id !== '' ? e.id : undefined;
      const paths = toStrings(e.paths, `${at}/paths`, problems);
      const purls = toStrings(e.purls, `${at}/purls`, problems);
      let expires: string | undefined;
      if (e.expired_at !== undefined && e.expired_at !== null) {
        const s =
          e.expired_at instanceof Date ? e.expired_at.toISOString().slice(0, 10) : String(e.expired_at);
        if (DATE.test(s)) expires = s;
        else problems.push({ path: `${at}/expired_at`, message: `must be YYYY-MM-DD, got "${s}"` });
      }
      if (id === undefined && paths.length === 0 && purls.length === 0) {
        problems.push({ path: at, message: 'needs an id, paths or purls' });
        return;
      }
      const base: PolicyException = {
        ...(id !== undefined && { id: expandId(id) }),
        type: types.length === 1 ? (types[0] as RiskType) : types,
        ...(paths.length > 0 && { path: paths.length === 1 ? (paths[0] as string) : paths }),
        reason:
          typeof e.statement === 'string' && e.statement !== ''
            ? e.statement
            : 'imported from .trivyignore.yaml',
        ...(expires !== undefined && { expires }),
      };
      // Trivy requires path AND purl to match; one entry per purl keeps that.
      if (purls.length === 0) exceptions.push(base);
      else for (const purl of purls) exceptions.push({ ...base, package: purl });
    });
  }
  if (problems.length > 0) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', `.trivyignore.yaml: ${problems.length} problem(s)`, {
      problems,
    });
  }
  return { exceptions, warnings };
}

function toStrings(v: unknown, path: string, problems: Problem[]): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s !== '')) {
    problems.push({ path, message: 'must be a list of strings' });
    return [];
  }
  return v as string[];
}
