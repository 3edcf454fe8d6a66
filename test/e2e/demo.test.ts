/**
 * The README's first command (issue 11 item 9): `npm run demo` shows what the tool is for — vulnerabilities
 * found and matched in a shipped example image, against OSV data shipped beside it — with no network and no
 * ../shared.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env.js';
import { createScratch } from './helpers.js';

const run = promisify(execFile);

describe('npm run demo (scripts/demo.sh)', () => {
  let out = '';
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const scratch = await createScratch('demo');
    cleanup = scratch.cleanup;
    const r = await run('bash', [join(ROOT, 'scripts', 'demo.sh')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: scratch.dir, PORTCULLIS_DB: join(scratch.dir, 'demo.sqlite') },
      timeout: 120_000,
    });
    out = r.stdout;
  });
  afterAll(async () => cleanup?.());

  it('finds and matches real vulnerabilities in the second example image', () => {
    expect(out).toContain('== portcullis scan docker-archive:examples/python-requests.tar.gz');
    expect(out).toMatch(
      /HIGH \(pysec\)\s+PYSEC-2023-192 \(CVE-2023-43804[^)]*\)\s+urllib3\s+1\.26\.12\s+1\.26\.17/,
    );
    expect(out).toMatch(/PYSEC-2023-74 \([^)]*\)\s+requests\s+2\.28\.1\s+2\.31\.0/);
    expect(out).toContain('exit 1: the default policy denies this image');
  });

  it('still scans the Alpine example (baseline risks, no vulnerability left unfixed)', () => {
    expect(out).toContain('== portcullis scan docker-archive:examples/alpine-311.tar.gz');
    expect(out).toContain('PCS-BASELINE-ROOT-USER');
    expect(out).not.toContain('vulnerabilities not checked');
  });
});
