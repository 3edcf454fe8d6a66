/**
 * End-to-end helpers: the real CLI (`runCli`) with captured output, a vulnerability DB built through
 * `portcullis db import`, and ajv validators compiled from the committed schema copies.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { runCli } from '../../core/src/cli/program.js';
import { FIXTURES, ROOT, SHARED_DATA, TEST_REGISTRY } from '../helpers/env.js';

/** What one CLI run produced. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A writable that keeps every chunk, synchronously, and says it is not a TTY. */
function capture(): { stream: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
    }),
    { isTTY: false },
  );
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * Runs `portcullis ARGS…` in this process through the public `runCli`, with an empty environment by
 * default (no ambient registry credentials, DB or policy) and the real clock unless one is given.
 */
export async function portcullis(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; now?: () => Date } = {},
): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const code = await runCli(args, {
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? { HOME: EMPTY_HOME },
    now: opts.now ?? (() => new Date()),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A HOME with nothing in it, so `~/.docker/config.json` and `~/.cache/portcullis` are never read. */
const EMPTY_HOME = join(tmpdir(), 'portcullis-e2e-empty-home');

const run = promisify(execFile);

/** Runs the real binary `node bin/portcullis.js ARGS…` as a subprocess (exit code, not an exception). */
export async function portcullisBinary(
  args: string[],
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: EMPTY_HOME },
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin', 'portcullis.js'), ...args], {
      cwd: ROOT,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

/** The shared OSV sets imported by the tests (the big ones live only in ../shared/data). */
export const OSV_DIRS = ['alpine', 'go', 'pypi', 'crates.io'] as const;

/** A temp dir that the caller removes with `cleanup`. */
export async function createScratch(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `portcullis-e2e-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Builds a DB from every shared OSV set with `portcullis db import`; throws when the import fails. */
export async function importSharedOsv(dbPath: string): Promise<CliRun> {
  if (!SHARED_DATA) throw new Error('SHARED_DATA missing: guard the suite with skipIf');
  const result = await portcullis([
    'db',
    'import',
    ...OSV_DIRS.map((d) => join(SHARED_DATA as string, 'osv', d)),
    '--db',
    dbPath,
  ]);
  if (result.code !== 0) throw new Error(`db import failed (${result.code}): ${result.stderr}`);
  return result;
}

/** The one-line error the CLI prints: `portcullis: CODE: message`. */
export const ERROR_LINE = /^portcullis: ([A-Z][A-Z_]+): \S.*$/;

/** Asserts-free parse of the CLI error line; undefined when stderr is not exactly one such line. */
export function toErrorCode(stderr: string): string | undefined {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) return undefined;
  return ERROR_LINE.exec(lines[0] as string)?.[1];
}

/** Every report format `scan --format` takes. */
export const FORMATS = ['table', 'json', 'sarif', 'gitlab', 'codequality', 'cyclonedx', 'markdown'] as const;
export type Format = (typeof FORMATS)[number];

/** The values planted in the multi image (scripts/test-images.sh) that no output may contain. */
export const PLANTED_SECRETS = [
  'LTAI5tQz8vRmXw3YbNc7KpLd',
  'Hn4Ks9TqWv2XyZ7bRm3PcLd8FgJ6Et',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'MIIEpAIBAAKCAQEAfakefake',
] as const;

const addFormats = ajvFormats.default as unknown as (ajv: Ajv) => Ajv;

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** Formats with a schema: the official copies in test/fixtures/schemas, the project's own in core/schema. */
export type SchemaFormat = 'json' | 'sarif' | 'gitlab' | 'codequality' | 'cyclonedx';

/** ajv 8 validators, compiled as /work/shared/FORMATS.md "Compiling these schemas with ajv 8" says. */
export function createValidators(): Record<SchemaFormat, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const f of ['iri', 'iri-reference', 'idn-email', 'idn-hostname']) ajv.addFormat(f, true);
  const schemas = join(FIXTURES, 'schemas');
  for (const f of ['spdx.schema.json', 'jsf-0.82.schema.json']) {
    ajv.addSchema(readJson(join(schemas, f)), `http://cyclonedx.org/schema/${f}`);
  }
  return {
    json: ajv.compile(readJson(join(ROOT, 'core', 'schema', 'portcullis-report.schema.json'))),
    sarif: ajv.compile(readJson(join(schemas, 'sarif-2.1.0.schemastore.json'))),
    gitlab: ajv.compile(readJson(join(schemas, 'container-scanning-report-format.json'))),
    codequality: ajv.compile(readJson(join(ROOT, 'core', 'schema', 'codequality.schema.json'))),
    cyclonedx: ajv.compile(readJson(join(schemas, 'bom-1.6.schema.json'))),
  };
}

/** Validation errors as short strings, for readable assertion failures. */
export function toSchemaErrors(validate: ValidateFunction, value: unknown): string[] {
  return validate(value)
    ? []
    : (validate.errors ?? []).slice(0, 10).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** A yyyy-mm-dd date `days` from `now` (UTC). */
export function daysFrom(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** The fixtures of this suite. */
export const E2E_FIXTURES = join(FIXTURES, 'e2e');

/** The JSON report's shape, as far as these tests read it. */
export interface JsonReport {
  schemaVersion: number;
  image: {
    ref: string;
    digest?: string;
    os?: { family: string; version: string };
    layers: { digest: string; diffId: string; createdBy?: string }[];
  };
  packages: {
    name: string;
    version: string;
    ecosystem: string;
    purl: string;
    sourceName?: string;
    layerDigest: string;
    path: string;
  }[];
  findings: {
    type: string;
    id: string;
    severity: string;
    title: string;
    location: { layerDigest?: string; path?: string; line?: number };
    package?: { name: string; version: string; ecosystem: string; purl: string; fixedVersion?: string };
    evidence?: string;
    suppressedBy?: { index?: number; reason: string; expires?: string };
  }[];
  verdict: { decision: string; reasons: string[]; warnings?: string[] };
  notes: { code: string; message: string }[];
}

/**
 * Policy lines (YAML) naming the shared loopback registry under `registries:`: `fixtures/debian` only
 * (`fixtures/debian-v2s2` stays out of scope: the registry-scan tests' negative case), `imagesPerHour` pulls.
 */
export function toLoopbackRegistriesYaml(imagesPerHour: number): string[] {
  return [
    'registries:',
    '  - name: loopback',
    '    kind: distribution',
    `    url: http://${TEST_REGISTRY}`,
    '    repositories: { include: ["fixtures/debian"] }',
    `    throttle: { imagesPerHour: ${imagesPerHour} }`,
  ];
}
