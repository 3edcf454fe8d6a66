import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { evaluatePolicy, parsePolicy } from '../../core/src/policy/index.js';
import type { RenderOptions } from '../../core/src/report/index.js';
import type { Evaluation, ScanResult } from '../../core/src/types/scan.js';
import { FIXTURES, ROOT } from '../helpers/env.js';
import { NOW, readMultiScan } from '../policy/helpers.js';

export { NOW, readMultiScan };

/** Deterministic ids: `00000000-0000-4000-8000-000000000001`, …; a fresh counter per call. */
export function counterIds(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
}

export function options(extra: Partial<RenderOptions> = {}): RenderOptions {
  return { now: NOW, newId: counterIds(), toolVersion: '0.1.0', ...extra };
}

/** The multi scan under a policy that suppresses three findings (one permanently, two with an expiry). */
export function evaluateWithExceptions(scan: ScanResult = readMultiScan()): Evaluation {
  const policy = parsePolicy(`apiVersion: portcullis/v1
exceptions:
  - { id: CVE-2022-48303, reason: "tar is never fed untrusted archives", owner: platform, ticket: SEC-7 }
  - { path: "/opt/miner/*", reason: "EICAR is the AV self-test", expires: "2027-06-30" }
  - { package: "pkg:npm/lodash", reason: "template() not used", owner: web, expires: "2027-01-31" }
`);
  return evaluatePolicy(scan, policy, { now: NOW });
}

const addFormats = ajvFormats.default as unknown as (ajv: Ajv) => Ajv;

function schemaFile(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(FIXTURES, 'schemas', name), 'utf8')) as Record<string, unknown>;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const f of ['iri', 'iri-reference', 'idn-email', 'idn-hostname']) ajv.addFormat(f, true);
  return ajv;
}

/** A schema this project publishes (core/schema/). */
function projectSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'core', 'schema', name), 'utf8')) as Record<string, unknown>;
}

type ValidatedFormat = 'sarif' | 'gitlab' | 'cyclonedx' | 'codequality' | 'json';

/** Validators for every machine-readable format, compiled from the committed schema copies. */
export function createValidators(): Record<ValidatedFormat, ValidateFunction> {
  const ajv = createAjv();
  for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json']) {
    ajv.addSchema(schemaFile(f), `http://cyclonedx.org/schema/${f}`);
  }
  return {
    sarif: ajv.compile(schemaFile('sarif-2.1.0.schemastore.json')),
    gitlab: ajv.compile(schemaFile('container-scanning-report-format.json')),
    cyclonedx: ajv.compile(schemaFile('bom-1.6.schema.json')),
    codequality: ajv.compile(projectSchema('codequality.schema.json')),
    json: ajv.compile(projectSchema('portcullis-report.schema.json')),
  };
}
