/**
 * Issue #11 item 11: Code Quality and SARIF paths are repository-relative, never absolute, however the
 * Dockerfile was named (absolute, inside or outside the working directory, with `--source-root`).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';
import { createScratch, createValidators, portcullis, toSchemaErrors } from './helpers.js';

const DOCKERFILE = 'FROM debian:12\nUSER root\nRUN curl -fsSL https://get.example.com/i.sh | bash\n';
let scratch: Awaited<ReturnType<typeof createScratch>>;
let outside: string;
let insideDir: string;
let inside: string;
const validators = createValidators();

interface Sarif {
  runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
}
type CodeQuality = { location: { path: string } }[];

function sarifUris(text: string): string[] {
  const sarif = JSON.parse(text) as Sarif;
  expect(toSchemaErrors(validators.sarif, sarif)).toEqual([]);
  return sarif.runs.flatMap((r) =>
    r.results.flatMap((x) => x.locations.map((l) => l.physicalLocation.artifactLocation.uri)),
  );
}

function codeQualityPaths(text: string): string[] {
  const cq = JSON.parse(text) as CodeQuality;
  expect(toSchemaErrors(validators.codequality, cq)).toEqual([]);
  return cq.map((i) => i.location.path);
}

beforeAll(async () => {
  scratch = await createScratch('repo-paths');
  outside = join(scratch.dir, 'Dockerfile');
  await writeFile(outside, DOCKERFILE);
  insideDir = join(ROOT, '.tmp', `repo-paths-${process.pid}`, 'svc');
  await mkdir(insideDir, { recursive: true });
  inside = join(insideDir, 'Dockerfile');
  await writeFile(inside, DOCKERFILE);
});

afterAll(async () => {
  await scratch?.cleanup();
  await rm(join(ROOT, '.tmp', `repo-paths-${process.pid}`), { recursive: true, force: true });
});

describe('repository-relative report paths', () => {
  it('an absolute Dockerfile path inside the working directory becomes its relative path', async () => {
    const want = relative(process.cwd(), inside);
    expect(want.startsWith('/')).toBe(false);
    const cq = await portcullis(['dockerfile', inside, '--format', 'codequality']);
    const paths = codeQualityPaths(cq.stdout);
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths)).toEqual(new Set([want]));
    const sarif = await portcullis(['dockerfile', inside, '--format', 'sarif']);
    expect(new Set(sarifUris(sarif.stdout))).toEqual(new Set([want]));
  });

  it('--source-root makes it relative to that directory', async () => {
    const cq = await portcullis([
      'dockerfile',
      outside,
      '--source-root',
      scratch.dir,
      '--format',
      'codequality',
    ]);
    expect(new Set(codeQualityPaths(cq.stdout))).toEqual(new Set(['Dockerfile']));
    const sarif = await portcullis([
      'dockerfile',
      outside,
      '--source-root',
      scratch.dir,
      '--format',
      'sarif',
    ]);
    expect(new Set(sarifUris(sarif.stdout))).toEqual(new Set(['Dockerfile']));
  });

  it('a Dockerfile outside the root is never written as an absolute path', async () => {
    for (const format of ['codequality', 'sarif'] as const) {
      const run = await portcullis(['dockerfile', outside, '--format', format]);
      const paths = format === 'codequality' ? codeQualityPaths(run.stdout) : sarifUris(run.stdout);
      for (const p of paths) expect(p.startsWith('/'), p).toBe(false);
      expect(run.stdout).not.toContain(scratch.dir);
    }
  });

  it('scan --dockerfile ABSOLUTE writes the same relative paths, next to the in-image ones', async () => {
    const run = await portcullis([
      'scan',
      'examples/alpine-311.tar.gz',
      '--dockerfile',
      inside,
      '--scanners',
      'buildinstruction,baseline',
      '--format',
      'codequality',
    ]);
    const paths = codeQualityPaths(run.stdout);
    expect(paths).toContain(relative(process.cwd(), inside));
    for (const p of paths) expect(p.startsWith('/'), p).toBe(false);
  });
});
