import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOsv } from '../../core/src/vulndb/index.js';
import { createValidators, PLANTED_SECRETS, toSchemaErrors } from '../e2e/helpers.js';
import { FIXTURES, haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../helpers/env.js';
import { NODE24, node24SkipReason } from '../helpers/node24.js';
import {
  parseAnnotations,
  runAction,
  startFakeGitHub,
  type ActionRun,
  type FakeGitHub,
  type RunOptions,
} from './harness.js';

const MULTI = `docker-archive:${join(TEST_IMAGES, 'docker-multi.tar')}`;
// A risky Dockerfile: the line numbers below are what the annotations must point at.
const DOCKERFILE = [
  'FROM debian:latest', // 1 DS001 (medium)
  'ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // 2 secret in ENV (critical)
  'RUN curl -fsSL https://example.com/install.sh | sh', // 3 pipe to shell (high)
  'ADD https://example.com/tool.tar.gz /opt/', // 4 remote ADD (medium)
  'RUN chmod 777 /opt', // 5 world-writable (medium)
  'EXPOSE 22', // 6 (medium)
  'USER root', // 7 DS002 (high)
  '',
].join('\n');

const skip = (!NODE24 && node24SkipReason()) || (!haveTestImages && skipReason(NO_IMAGES_REASON));

describe.skipIf(skip)('the GitHub Action bundle under Node 24, as the runner runs it', () => {
  let api: FakeGitHub;
  let workspace: string;
  const base = (): Omit<RunOptions, 'inputs'> => ({ node: NODE24 as string, workspace, api });

  beforeAll(async () => {
    api = await startFakeGitHub();
    workspace = mkdtempSync(join(tmpdir(), 'portcullis-action-'));
    writeFileSync(join(workspace, 'Dockerfile'), DOCKERFILE);
    // a DB built with better-sqlite3 here, read by the bundle's node:sqlite there
    importOsv(join(workspace, 'db.sqlite'), [join(FIXTURES, 'osv', 'records')]);
  });
  afterAll(async () => {
    await api.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  function expectNoSecrets(run: ActionRun): void {
    const texts = [
      run.stdout,
      run.stderr,
      run.summary,
      JSON.stringify(run.outputs),
      JSON.stringify(api.calls),
      readFileSync(join(workspace, 'portcullis.sarif'), 'utf8'),
      readFileSync(join(workspace, 'portcullis-report.json'), 'utf8'),
    ];
    for (const secret of PLANTED_SECRETS) for (const t of texts) expect(t).not.toContain(secret);
  }

  let first: ActionRun;
  it('denies: annotations on the Dockerfile lines, outputs, summary, SARIF, a new PR comment, exit 1', async () => {
    first = await runAction({
      ...base(),
      inputs: { image: MULTI, dockerfile: 'Dockerfile', db: 'db.sqlite' },
    });
    expect(first.code, first.stderr).toBe(1);

    const annotations = parseAnnotations(first.stdout);
    const onDockerfile = annotations.filter((a) => a.props.file === 'Dockerfile');
    const at = (line: number): string[] =>
      onDockerfile.filter((a) => a.props.line === String(line)).map((a) => `${a.level} ${a.props.title}`);
    expect(at(2)).toEqual(expect.arrayContaining(['error PCS-BUILD-SECRET-ENV']));
    expect(at(3)).toEqual(['error PCS-BUILD-PIPE-TO-SHELL']);
    expect(at(4)).toEqual(['warning PCS-BUILD-ADD-REMOTE-URL']);
    expect(at(5)).toEqual(['warning PCS-BUILD-CHMOD-WORLD-WRITABLE']);
    expect(at(7)).toEqual(['error DS002']);
    for (const a of onDockerfile) expect(a.props.endLine).toBe(a.props.line);
    // image findings are notices without a file; one of them is a vulnerability matched through node:sqlite
    const imageNotes = annotations.filter(
      (a) => a.level === 'notice' && a.props.file === undefined && a.props.title,
    );
    expect(imageNotes.length).toBeGreaterThan(0);
    // the final failure line
    expect(first.stdout).toMatch(/^::error::Portcullis: failed — the policy denies: .+$/m);

    expect(first.outputs.verdict).toBe('deny');
    const counts = JSON.parse(first.outputs.counts as string) as {
      byType: Record<string, number>;
      bySeverity: Record<string, number>;
    };
    expect(counts.byType['build-instruction']).toBeGreaterThanOrEqual(7);
    expect(counts.byType.vulnerability).toBeGreaterThan(0);
    expect(Number(first.outputs['new-findings'])).toBe(
      Object.values(counts.byType).reduce((a, b) => a + b, 0),
    );
    expect(first.outputs.sarif).toBe(join(workspace, 'portcullis.sarif'));
    expect(first.outputs.report).toBe(join(workspace, 'portcullis-report.json'));

    const sarif = JSON.parse(readFileSync(join(workspace, 'portcullis.sarif'), 'utf8')) as unknown;
    expect(toSchemaErrors(createValidators().sarif, sarif)).toEqual([]);
    const report = JSON.parse(readFileSync(join(workspace, 'portcullis-report.json'), 'utf8')) as {
      verdict: { decision: string };
    };
    expect(report.verdict.decision).toBe('deny');

    expect(first.summary).toMatch(/^<!-- portcullis-action:[0-9a-f]{16} -->/);
    expect(first.summary).toContain('Portcullis: deny');
    expect(first.summary).toContain('**Check:** failed');
    expect(Buffer.byteLength(first.summary)).toBeLessThan(1024 * 1024);

    const writes = api.calls.filter((c) => c.method !== 'GET');
    expect(writes.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /repos/Codertocat/Hello-World/issues/2/comments',
    ]);
    expect(writes[0]?.authorization).toBe('token ghs_fakeInstallationToken0123456789');
    expect(api.comments).toHaveLength(1);
    expect(api.comments[0]?.body.trim()).toBe(first.summary.trim());
    expectNoSecrets(first);
  });

  it('edits the same comment on the second run instead of posting another', async () => {
    expect(api.comments).toHaveLength(1);
    const id = api.comments[0]?.id;
    api.calls.length = 0;
    // someone else's comment arrives first; the marker still finds ours
    api.comments.unshift({ id: 1, body: 'LGTM' });
    const second = await runAction({
      ...base(),
      inputs: { image: MULTI, dockerfile: 'Dockerfile', db: 'db.sqlite' },
    });
    expect(second.code).toBe(1);
    expect(api.calls.map((c) => `${c.method} ${c.path.replace(/\?.*/, '')}`)).toEqual([
      'GET /repos/Codertocat/Hello-World/issues/2/comments',
      `PATCH /repos/Codertocat/Hello-World/issues/comments/${id}`,
    ]);
    expect(api.comments).toHaveLength(2);
    expect(api.comments.filter((c) => c.body.includes('portcullis-action'))).toHaveLength(1);
    api.comments.shift();
  });

  it('reports without failing with fail: false (the verdict is still deny)', async () => {
    const run = await runAction({
      ...base(),
      inputs: { image: MULTI, dockerfile: 'Dockerfile', db: 'db.sqlite', fail: 'false', comment: 'false' },
    });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('deny');
    expect(run.summary).toContain('would fail (`fail: false`)');
    expect(run.stdout).not.toMatch(/^::error::/m);
  });

  it('passes when every finding is in baseline-report, even with the Dockerfile lines moved', async () => {
    const baselinePath = join(workspace, 'base-report.json');
    writeFileSync(baselinePath, readFileSync(join(workspace, 'portcullis-report.json')));
    // an edit above moves every instruction down two lines: no finding is new
    writeFileSync(join(workspace, 'Dockerfile'), `# syntax=docker/dockerfile:1\n# base image\n${DOCKERFILE}`);
    try {
      const run = await runAction({
        ...base(),
        inputs: {
          image: MULTI,
          dockerfile: 'Dockerfile',
          db: 'db.sqlite',
          'baseline-report': 'base-report.json',
          comment: 'false',
        },
      });
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.verdict).toBe('deny');
      expect(run.outputs['new-findings']).toBe('0');
      expect(run.summary).toMatch(/\*\*New findings:\*\* 0 \(\d+ already in `baseline-report`/);
      expect(parseAnnotations(run.stdout).filter((a) => a.props.file === 'Dockerfile')).toEqual([]);

      // the negative case: one new risky line is new, and it alone fails the check
      writeFileSync(
        join(workspace, 'Dockerfile'),
        `# syntax=docker/dockerfile:1\n${DOCKERFILE}RUN wget -qO- https://example.org/setup | bash\n`,
      );
      const again = await runAction({
        ...base(),
        inputs: {
          image: MULTI,
          dockerfile: 'Dockerfile',
          db: 'db.sqlite',
          'baseline-report': 'base-report.json',
          comment: 'false',
        },
      });
      expect(again.code).toBe(1);
      // the pipe to a shell (high) and DS014, wget next to curl (low): both on the new line 9
      expect(again.outputs['new-findings']).toBe('2');
      const dockerfileAnnotations = parseAnnotations(again.stdout).filter(
        (a) => a.props.file === 'Dockerfile',
      );
      expect(dockerfileAnnotations.map((a) => `${a.level} ${a.props.title} ${a.props.line}`).sort()).toEqual([
        'error PCS-BUILD-PIPE-TO-SHELL 9',
        'notice DS014 9',
      ]);
    } finally {
      writeFileSync(join(workspace, 'Dockerfile'), DOCKERFILE);
    }
  });

  it('on a fork PR (403 on comment writes) warns and still reports and gates', async () => {
    api.mode = 'forbidden';
    api.comments.length = 0;
    try {
      const run = await runAction({
        ...base(),
        inputs: { image: MULTI, dockerfile: 'Dockerfile', db: 'db.sqlite' },
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^::warning::comment: the token may not comment on this PR \(HTTP 403: .*\).*$/m,
      );
      expect(run.summary).toContain('Portcullis: deny');
      expect(run.outputs.verdict).toBe('deny');
      expect(api.comments).toHaveLength(0);
    } finally {
      api.mode = 'ok';
    }
  });

  it('shows at most 10 annotations per level and says how many more there are', async () => {
    const many = [
      'FROM debian:12',
      ...Array.from({ length: 14 }, (_, i) => `RUN curl -s https://example.com/s${i}.sh | sh`),
    ];
    writeFileSync(join(workspace, 'Many.Dockerfile'), `${many.join('\n')}\n`);
    const run = await runAction({
      ...base(),
      inputs: { dockerfile: 'Many.Dockerfile', comment: 'false' },
    });
    expect(run.code).toBe(1);
    const errors = parseAnnotations(run.stdout).filter((a) => a.level === 'error' && a.props.file);
    expect(errors).toHaveLength(10);
    // 15 high findings (DS002, no USER, on line 1 and 14 pipes to a shell): the first 10 by line
    expect(errors.map((a) => a.props.line)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(run.summary).toMatch(/GitHub shows 10 per level; 5 more errors not annotated/);
  });

  it('severity filters what is shown, never the gate', async () => {
    const run = await runAction({
      ...base(),
      inputs: { dockerfile: 'Dockerfile', severity: 'critical', comment: 'false' },
    });
    expect(run.code).toBe(1);
    const shown = parseAnnotations(run.stdout).filter((a) => a.props.file === 'Dockerfile');
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((a) => a.props.line === '2')).toBe(true);
  });

  it('reads portcullis.yaml from the workspace: exceptions are listed with their reason, a warn never fails', async () => {
    const policy = join(workspace, 'portcullis.yaml');
    writeFileSync(
      policy,
      [
        'apiVersion: portcullis/v1',
        'gates: { deny: { severity: critical }, warn: { severity: medium } }',
        'exceptions:',
        '  - id: [DS031, PCS-BUILD-SECRET-ENV]',
        '    reason: "the AWS documentation example key, not a live secret"',
        '    owner: team-a',
        '    expires: 2099-01-31',
        '',
      ].join('\n'),
    );
    try {
      const run = await runAction({ ...base(), inputs: { dockerfile: 'Dockerfile', comment: 'false' } });
      expect(run.code, run.stdout).toBe(0);
      expect(run.outputs.verdict).toBe('warn');
      expect(run.summary).toContain('**Check:** passed (warn)');
      // one finding: the Dockerfile ENV secret is reported once (DS031 is its alias)
      expect(run.summary).toMatch(/### Suppressed \(1\)/);
      expect(run.summary).toContain('the AWS documentation example key, not a live secret');
      // suppressed findings are not annotated
      expect(parseAnnotations(run.stdout).filter((a) => a.props.line === '2')).toEqual([]);
      // the same run without the file denies (the critical ENV secret)
      rmSync(policy);
      const strict = await runAction({ ...base(), inputs: { dockerfile: 'Dockerfile', comment: 'false' } });
      expect(strict.code).toBe(1);
      expect(strict.outputs.verdict).toBe('deny');
    } finally {
      rmSync(policy, { force: true });
    }
  });

  it('fails with a one-line reason and the error code, exit 2, on bad input', async () => {
    const missing = await runAction({
      ...base(),
      inputs: { image: `docker-archive:${join(workspace, 'nope.tar')}`, comment: 'false' },
    });
    expect(missing.code).toBe(2);
    const errors = missing.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::SOURCE_[A-Z_]+: .*nope\.tar/);

    const neither = await runAction({ ...base(), inputs: { comment: 'false' } });
    expect(neither.code).toBe(2);
    expect(neither.stdout).toMatch(/^::error::USAGE_INVALID: give `image`, `dockerfile` or both$/m);
    expect(existsSync(join(workspace, 'never.sarif'))).toBe(false);
  });

  it('masks registry credentials before anything can print them', async () => {
    const run = await runAction({
      ...base(),
      inputs: {
        image: `docker-archive:${join(workspace, 'nope.tar')}`,
        'registry-username': 'robot$ci',
        'registry-password': 's3cr3t-registry-password',
        comment: 'false',
      },
    });
    expect(run.stdout).toContain('::add-mask::s3cr3t-registry-password');
    expect(run.stdout.indexOf('::add-mask::s3cr3t-registry-password')).toBeLessThan(
      run.stdout.indexOf('::error'),
    );
  });
});
