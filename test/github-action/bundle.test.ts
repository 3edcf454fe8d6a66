import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ROOT, SHARED_DATA, skipReason } from '../helpers/env.js';
import { ACTION_YML, BUNDLE } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-action-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ACTION_SCHEMA = SHARED_DATA
  ? join(SHARED_DATA, '..', 'schemas', 'github', 'github-action.json')
  : undefined;
const haveSchema = ACTION_SCHEMA !== undefined && existsSync(ACTION_SCHEMA);

describe('github-action/', () => {
  it('the committed dist/index.js is what `npm run build:action` builds from the current sources', () => {
    const fresh = join(work, 'index.js');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-action.mjs'), '--outfile', fresh], {
      cwd: ROOT,
    });
    const committed = readFileSync(BUNDLE, 'utf8');
    const built = readFileSync(fresh, 'utf8');
    // a plain equality keeps the failure message short: the fix is always `npm run build:action`
    expect(
      built === committed,
      'github-action/dist/index.js is stale: run `npm run build:action` and commit it',
    ).toBe(true);
  });

  it('the bundle carries no native addon and leaves only better-sqlite3 to a run-time require', () => {
    const text = readFileSync(BUNDLE, 'utf8');
    expect(text).not.toMatch(/\.node['"]\)/);
    // esbuild turns every require() it could not bundle into __require(); bundled ones become require_x()
    const requires = [...text.matchAll(/\b__require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
    expect(
      requires.filter((r) => !r?.startsWith('node:') && r !== 'better-sqlite3' && !isBuiltin(r as string)),
    ).toEqual([]);
  });

  it.skipIf(
    !haveSchema && skipReason('../shared/schemas/github/github-action.json is not beside this checkout'),
  )(
    'action.yml validates against the GitHub Action metadata schema, runs on node24 and names the contract inputs',
    () => {
      const schema = JSON.parse(readFileSync(ACTION_SCHEMA as string, 'utf8')) as Record<string, unknown>;
      const ajv = new Ajv({ allErrors: true, strict: false });
      const validate = ajv.compile(schema);
      const action = parseYaml(readFileSync(ACTION_YML, 'utf8')) as {
        runs: { using: string; main: string };
        inputs: Record<string, unknown>;
        outputs: Record<string, unknown>;
      };
      expect(validate(action), JSON.stringify(validate.errors)).toBe(true);
      expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      expect(Object.keys(action.inputs).sort()).toEqual(
        [
          'image',
          'dockerfile',
          'policy',
          'scanners',
          'severity',
          'db',
          'sarif',
          'report',
          'comment',
          'baseline-report',
          'fail',
          'github-token',
          'push-url',
          'push-audience',
          'registry-username',
          'registry-password',
        ].sort(),
      );
      expect(Object.keys(action.outputs).sort()).toEqual([
        'counts',
        'new-findings',
        'report',
        'sarif',
        'verdict',
      ]);
      // and a broken one fails, so the check can fail
      expect(validate({ ...action, runs: { using: 'node24' }, bogus: true })).toBe(false);
    },
  );
});

function isBuiltin(name: string): boolean {
  return (process.getBuiltinModule?.(name) ?? undefined) !== undefined;
}
