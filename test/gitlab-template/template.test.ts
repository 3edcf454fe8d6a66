// The GitLab CI template as a file: it validates against GitLab's own CI schema (the copy gitlab-ci-local
// bundles, test/fixtures/schemas/gitlab-ci.json), pins the package's version, and its public contract (every
// PORTCULLIS_* variable) is documented in gitlab-template/README.md and nothing else is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import * as ajvFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT } from '../helpers/env.js';
import { TEMPLATE } from './helpers.js';

const addFormats = ajvFormats.default as unknown as (ajv: Ajv) => Ajv;

function compileCiSchema() {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(
    JSON.parse(readFileSync(join(FIXTURES, 'schemas', 'gitlab-ci.json'), 'utf8')) as Record<string, unknown>,
  );
}

interface Job {
  extends?: string;
  stage?: string;
  image?: string;
  allow_failure?: boolean;
  script?: string[];
  before_script?: string[];
  id_tokens?: Record<string, { aud: string }>;
  cache?: { key: string; paths: string[] };
  artifacts?: { when?: string; paths?: string[]; reports?: Record<string, string> };
  rules?: { if?: string; when?: string; changes?: string[] }[];
}

const text = readFileSync(TEMPLATE, 'utf8');
const template = parse(text) as Record<string, unknown> & { variables: Record<string, string> };
const job = (name: string): Job => template[name] as Job;

describe('gitlab-template/Portcullis.gitlab-ci.yml', () => {
  const validate = compileCiSchema();

  it("validates against GitLab's CI schema", () => {
    const ok = validate(template);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema really rejects a broken template (a report that is not a path, an unknown rules key)', () => {
    const broken = structuredClone(template);
    (broken['portcullis-image'] as Job).artifacts = { reports: { container_scanning: 5 as never } };
    expect(validate(broken)).toBe(false);
    const broken2 = structuredClone(template);
    (broken2['portcullis-dockerfile'] as Job).rules = [{ iff: 'x' } as never];
    expect(validate(broken2)).toBe(false);
  });

  it("pins PORTCULLIS_VERSION to the package's version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(template.variables.PORTCULLIS_VERSION).toBe(pkg.version);
  });

  it('has the hidden job and both jobs, extending it, with the conventional artifact names', () => {
    expect(template['.portcullis']).toBeDefined();
    expect(job('.portcullis').image).toBe('$PORTCULLIS_CLI_IMAGE');
    expect(job('.portcullis').allow_failure).toBe(false);
    expect(job('portcullis-image').extends).toBe('.portcullis');
    expect(job('portcullis-dockerfile').extends).toBe('.portcullis');
    expect(job('portcullis-image').artifacts?.reports).toEqual({
      container_scanning: 'gl-container-scanning-report.json',
      cyclonedx: 'gl-sbom-report.cdx.json',
    });
    expect(job('portcullis-image').artifacts?.paths).toContain('portcullis-report.json');
    expect(job('portcullis-dockerfile').artifacts?.reports).toEqual({
      codequality: 'gl-code-quality-report.json',
    });
    // a failed (denied) job still uploads its reports, or the MR widgets would be empty exactly when needed
    expect(job('portcullis-image').artifacts?.when).toBe('always');
    expect(job('portcullis-dockerfile').artifacts?.when).toBe('always');
    expect(job('portcullis-image').id_tokens).toEqual({
      PORTCULLIS_ID_TOKEN: { aud: '$PORTCULLIS_PUSH_AUDIENCE' },
    });
    expect(job('portcullis-image').cache?.paths).toEqual(['$PORTCULLIS_DB_CACHE/']);
  });

  it('every job is skipped first thing when PORTCULLIS_DISABLED is true or 1', () => {
    for (const name of ['portcullis-image', 'portcullis-dockerfile']) {
      expect(job(name).rules?.[0]).toEqual({
        if: "$PORTCULLIS_DISABLED == 'true' || $PORTCULLIS_DISABLED == '1'",
        when: 'never',
      });
    }
  });

  it('documents every PORTCULLIS_* variable it reads in gitlab-template/README.md, and no others', () => {
    const readme = readFileSync(join(ROOT, 'gitlab-template', 'README.md'), 'utf8');
    const used = new Set(text.match(/PORTCULLIS_[A-Z0-9_]+/g));
    // the table rows of the README: | `NAME` | …
    const documented = new Set([...readme.matchAll(/^\| `(PORTCULLIS_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect([...used].filter((v) => !documented.has(v)).sort()).toEqual([]);
    expect([...documented].filter((v) => v !== undefined && !used.has(v)).sort()).toEqual([]);
    expect(used.size).toBeGreaterThanOrEqual(15);
  });

  it('the top-level README points at the template and its variables', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('gitlab-template/Portcullis.gitlab-ci.yml');
    expect(readme).toContain('gitlab-template/README.md');
  });
});
