import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Problem } from '../errors.js';
import policySchema from '../../schema/portcullis-policy.schema.json' with { type: 'json' };
import { ajvLib } from './lazy.js';
import { registryProblems } from './registries.js';

/** The published policy JSON Schema (`$id` https://portcullis.dev/schemas/portcullis-policy.schema.json). */
export const POLICY_SCHEMA: Readonly<Record<string, unknown>> = policySchema;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const { Ajv, addFormats } = ajvLib();
    const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
    addFormats(ajv);
    compiled = ajv.compile(policySchema);
  }
  return compiled;
}

/** Selectors that name what an exception suppresses; `type` and the scopes only narrow it. */
const WHAT_SELECTORS = ['id', 'package', 'path'];
const SCOPE_SELECTORS = ['images', 'repositories', 'registries', 'digest', 'namespaces'];

/** An id glob that matches every finding (`*`, `**`): allowed only with a type or a scope written next to it. */
export function isEveryIdGlob(id: string): boolean {
  return /^\*+$/.test(id);
}

/**
 * Validates a parsed policy document; returns every problem (schema and semantic), each with the JSON path
 * and what was expected. Empty array = valid.
 */
export function validatePolicyDocument(doc: unknown): Problem[] {
  const validate = validator();
  const problems = validate(doc) ? [] : toProblems(validate.errors ?? []);
  problems.push(...semanticProblems(doc), ...registryProblems(doc));
  return dedupe(problems);
}

function semanticProblems(doc: unknown): Problem[] {
  const out: Problem[] = [];
  if (typeof doc !== 'object' || doc === null) return out;
  const exceptions = (doc as { exceptions?: unknown }).exceptions;
  if (!Array.isArray(exceptions)) return out;
  exceptions.forEach((e: unknown, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return;
    if (!WHAT_SELECTORS.some((k) => k in e)) {
      const has = Object.keys(e).filter((k) => k !== 'reason' && k !== 'owner' && k !== 'ticket');
      out.push({
        path: `/exceptions/${i}`,
        message:
          `must name what it suppresses: \`id\`, \`package\` or \`path\` (\`type\` and the scopes only narrow it)` +
          `; ${has.length > 0 ? `with only ${has.join(', ')}` : 'without one'} it would suppress every finding in its scope` +
          ` (write \`id: "*"\` next to a scope to waive every finding of those images)`,
      });
      return;
    }
    const ids = (e as { id?: unknown }).id;
    const everyId = (Array.isArray(ids) ? ids : [ids]).some((x) => typeof x === 'string' && isEveryIdGlob(x));
    if (everyId && !('type' in e) && !SCOPE_SELECTORS.some((k) => k in e)) {
      out.push({
        path: `/exceptions/${i}/id`,
        message:
          'matches every finding, and the entry has no type or scope: it would suppress every finding of every image' +
          ' (add `images: ["**"]` to mean that explicitly, or name ids, a type or a scope)',
      });
    }
  });
  return out;
}

/** Turns ajv errors into problems; alternatives (`anyOf`) become one "must be A or B" problem. */
function toProblems(errors: ErrorObject[]): Problem[] {
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const out: Problem[] = [];
  const alternatives = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword === 'anyOf') continue;
    const path = e.instancePath || '/';
    // Errors inside an anyOf branch at the same instance path are the alternatives, not separate problems.
    if (anyOfPaths.has(e.instancePath) && /\/anyOf\/\d+\/[^/]+$/.test(e.schemaPath)) {
      const list = alternatives.get(path) ?? [];
      list.push(describe(e));
      alternatives.set(path, list);
      continue;
    }
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      out.push({ path: `${e.instancePath}/${missing}`, message: 'is required but missing' });
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      out.push({
        path: `${e.instancePath}/${extra}`,
        message: `is not allowed here${allowedKeys(e)}`,
      });
      continue;
    }
    out.push({ path, message: describe(e) });
  }
  for (const [path, list] of alternatives) {
    out.push({ path, message: [...new Set(list)].join(', or ') });
  }
  return out;
}

function allowedKeys(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? ` (expected one of: ${Object.keys(props).join(', ')})` : '';
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'type':
      return `must be ${String(p.type)}`;
    case 'pattern': {
      const d = (e.parentSchema as { description?: string } | undefined)?.description;
      return `must match ${String(p.pattern)}${d ? ` (${d})` : ''}`;
    }
    case 'format':
      return `must be a ${String(p.format)}${p.format === 'date' ? ' (YYYY-MM-DD)' : ''}`;
    case 'minLength':
      return 'must not be empty';
    case 'minItems':
      return `must have at least ${String(p.limit)} item(s)`;
    case 'uniqueItems':
      return 'must not contain duplicates';
    default:
      return e.message ?? `fails ${e.keyword}`;
  }
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\0${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
