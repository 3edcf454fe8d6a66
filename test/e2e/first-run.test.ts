/**
 * A first run on a fresh machine (issue 11 items 2, 6, 7, 8): the DB directory is created on demand, a file
 * that is not OSV is refused, missing files have stable codes, and a scan that checked no vulnerabilities is
 * denied by the default policy with a reason that says so (a policy can relax it).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';
import { createScratch, portcullis, toErrorCode } from './helpers.js';

const EXAMPLE_IMAGE = `docker-archive:${join(ROOT, 'examples', 'alpine-311.tar.gz')}`;
const EXAMPLE_OSV = join(ROOT, 'examples', 'osv-alpine-v3.11.zip');

describe('first run on a fresh machine', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await createScratch('first-run'));
  });
  afterAll(async () => cleanup());

  it('db import creates ~/.cache/portcullis/ when it does not exist', async () => {
    const home = join(dir, 'fresh-home');
    await mkdir(home);
    const run = await portcullis(['db', 'import', EXAMPLE_OSV], { env: { HOME: home } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(existsSync(join(home, '.cache', 'portcullis', 'db.sqlite'))).toBe(true);
  });

  it('db import refuses a file that is not OSV with the reason, and writes no DB', async () => {
    const db = join(dir, 'not-osv.sqlite');
    const notOsv = join(dir, 'notes.json');
    await writeFile(notOsv, JSON.stringify({ hello: 'world' }));
    for (const input of [join(ROOT, 'README.md'), notOsv]) {
      const run = await portcullis(['db', 'import', input, '--db', db]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^portcullis: DB_IMPORT_NOT_OSV: .* holds no OSV \(or NVD CVE\) record \(.+\): nothing was imported/m,
      );
      expect(existsSync(db)).toBe(false);
    }
  });

  it('dockerfile on a missing file is SOURCE_NOT_FOUND, not INTERNAL', async () => {
    const run = await portcullis(['dockerfile', join(dir, 'no-such', 'Dockerfile')]);
    expect(run.code).toBe(2);
    expect(toErrorCode(run.stderr)).toBe('SOURCE_NOT_FOUND');
    expect(run.stderr).toContain('no Dockerfile at');
    const scan = await portcullis(['scan', EXAMPLE_IMAGE, '--dockerfile', join(dir, 'nope')]);
    expect(toErrorCode(scan.stderr)).toBe('SOURCE_NOT_FOUND');
  });

  it('scan without a DB is denied by the default policy, saying vulnerabilities were not checked', async () => {
    const home = join(dir, 'no-db-home');
    const run = await portcullis(['scan', EXAMPLE_IMAGE, '--format', 'json'], { env: { HOME: home } });
    expect(run.code).toBe(1);
    const verdict = (JSON.parse(run.stdout) as { verdict: { decision: string; reasons: string[] } }).verdict;
    expect(verdict.decision).toBe('deny');
    expect(verdict.reasons[0]).toMatch(/^vulnerabilities not checked: no vulnerability DB at .*db\.sqlite/);
  });

  it('a policy may relax it (gates.missingDb: warn), but not under staleDb: deny', async () => {
    const relaxed = join(dir, 'relaxed.yaml');
    await writeFile(relaxed, 'apiVersion: portcullis/v1\ngates: { missingDb: warn }\n');
    const strict = join(dir, 'strict.yaml');
    await writeFile(strict, 'apiVersion: portcullis/v1\ngates: { missingDb: warn, staleDb: deny }\n');
    const env = { HOME: join(dir, 'no-db-home') };
    const warn = await portcullis(['scan', EXAMPLE_IMAGE, '--format', 'json', '--policy', relaxed], { env });
    const v = (JSON.parse(warn.stdout) as { verdict: { decision: string; warnings: string[] } }).verdict;
    expect(v.decision).toBe('warn');
    expect(v.warnings).toContainEqual(
      expect.stringMatching(/^vulnerabilities not checked: no vulnerability DB/),
    );
    expect(warn.code).toBe(0);
    const deny = await portcullis(['scan', EXAMPLE_IMAGE, '--format', 'json', '--policy', strict], { env });
    expect(deny.code).toBe(1);
  });

  it('an unreadable DB counts as missing (denied, with the reason), not a crash', async () => {
    const broken = join(dir, 'broken.sqlite');
    await writeFile(broken, 'this is not sqlite');
    const run = await portcullis(['scan', EXAMPLE_IMAGE, '--format', 'json', '--db', broken]);
    expect(run.code).toBe(1);
    const verdict = (JSON.parse(run.stdout) as { verdict: { reasons: string[] } }).verdict;
    expect(verdict.reasons[0]).toMatch(
      /^vulnerabilities not checked: vulnerability DB .*broken\.sqlite is unusable/,
    );
  });

  it('dockerfile needs no DB: its verdict does not depend on one', async () => {
    const file = join(dir, 'Dockerfile');
    await writeFile(
      file,
      'FROM alpine:3.19@sha256:' + 'a'.repeat(64) + '\nUSER 10001\nHEALTHCHECK CMD true\n',
    );
    const run = await portcullis(['dockerfile', file, '--format', 'json'], { env: { HOME: join(dir, 'x') } });
    const verdict = (JSON.parse(run.stdout) as { verdict: { reasons: string[] } }).verdict;
    expect(verdict.reasons.join('\n')).not.toContain('vulnerabilities not checked');
  });
});
