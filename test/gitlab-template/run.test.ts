// The template really runs: gitlab-ci-local (shell executor) executes it in a throw-away project that
// `include: local:`s it, scanning the loopback registry's multi image with this checkout's CLI and a DB built
// from the committed OSV records. The reports validate against GitLab's / CycloneDX's schemas, the policy
// decides the job's result, Code Quality points at the Dockerfile's lines, PORTCULLIS_DISABLED removes the jobs,
// and no planted secret reaches a log or an artifact.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, NO_IMAGES_REASON, TEST_REGISTRY, haveTestImages, skipReason } from '../helpers/env.js';
import {
  PLANTED_SECRETS,
  createValidators,
  daysFrom,
  portcullis,
  toSchemaErrors,
  type JsonReport,
} from '../e2e/helpers.js';
import { startOsvMirror } from './osv-mirror.js';
import {
  CHECKOUT_CLI,
  createProject,
  gclMissing,
  git,
  readArtifacts,
  readJobLog,
  runPipeline,
  type Project,
} from './helpers.js';

const MULTI = `${TEST_REGISTRY}/fixtures/debian:multi`;

/** A Dockerfile with risky lines among harmless ones, so the line numbers say something. */
const DOCKERFILE = [
  '# syntax=docker/dockerfile:1',
  'FROM debian:bookworm',
  '',
  '# tools',
  'RUN apt-get update',
  'WORKDIR /app',
  'RUN curl -fsSL http://get.example.com/install.sh \\',
  '    | sh',
  'ADD http://example.com/app.tar.gz /opt/',
  'COPY . /app',
  'USER root',
  'CMD ["/app/run"]',
  '',
].join('\n');

/** 1-based line of the first line that starts with `prefix`. */
const lineOf = (text: string, prefix: string): number =>
  text.split('\n').findIndex((l) => l.startsWith(prefix)) + 1;

const missing = gclMissing();
const skip =
  (missing !== undefined && skipReason(missing)) || (!haveTestImages && skipReason(NO_IMAGES_REASON));

describe.skipIf(skip)('Portcullis.gitlab-ci.yml under gitlab-ci-local', () => {
  const validators = createValidators();
  let work: string;
  let dbPath: string;
  /** Variables every run gets: the loopback multi image, this checkout's CLI, the test DB. */
  let base: Record<string, string>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'portcullis-gitlab-'));
    dbPath = join(work, 'db.sqlite');
    const imported = await portcullis(['db', 'import', join(FIXTURES, 'osv', 'records'), '--db', dbPath]);
    expect(imported.code, imported.stderr).toBe(0);
    base = { PORTCULLIS_IMAGE: MULTI, PORTCULLIS_CLI: CHECKOUT_CLI, PORTCULLIS_DB: dbPath };
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Every file gitlab-ci-local wrote for the run (logs, artifacts) plus its own output. */
  async function everythingWritten(project: Project, output: string): Promise<string> {
    const parts = [output];
    const visit = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await visit(p);
        else if (e.isFile()) parts.push(await readFile(p, 'utf8'));
      }
    };
    for (const sub of ['output', 'artifacts']) {
      const d = join(project.dir, '.gitlab-ci-local', sub);
      if (existsSync(d)) await visit(d);
    }
    return parts.join('\n');
  }

  describe('the default policy', () => {
    let project: Project;
    let run: Awaited<ReturnType<typeof runPipeline>>;

    beforeAll(async () => {
      project = await createProject(join(work, 'default'), { Dockerfile: DOCKERFILE });
      run = await runPipeline(project, base);
    });

    it('runs both jobs; the deny fails the image job and the pipeline', () => {
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL', 'portcullis-dockerfile': 'FAIL' });
      expect(run.code).not.toBe(0);
    });

    it('the image job log shows the table report and the verdict with its reasons', async () => {
      const log = await readJobLog(project, 'portcullis-image');
      expect(log).toContain(`${MULTI} (sha256:`);
      expect(log).toMatch(/Vulnerabilities \(4\)/);
      expect(log).toMatch(/SEVERITY +ID +PACKAGE +INSTALLED +FIXED/);
      expect(log).toContain('Verdict: DENY');
      expect(log).toContain('- 1 critical vulnerability: RUSTSEC-2021-0003 in smallvec (deny ≥ high)');
      expect(log).toContain('portcullis: the built-in default policy');
    });

    it('writes the container-scanning, CycloneDX and JSON reports, valid against their schemas', async () => {
      const a = await readArtifacts(project, 'portcullis-image');
      expect(Object.keys(a).sort()).toEqual([
        'gl-container-scanning-report.json',
        'gl-sbom-report.cdx.json',
        'portcullis-report.json',
      ]);
      const cs = JSON.parse(a['gl-container-scanning-report.json'] as string) as {
        vulnerabilities: { identifiers: { value: string }[] }[];
      };
      expect(toSchemaErrors(validators.gitlab, cs)).toEqual([]);
      const ids = cs.vulnerabilities.flatMap((v) => v.identifiers.map((i) => i.value));
      expect(ids).toEqual(expect.arrayContaining(['RUSTSEC-2021-0003', 'PYSEC-2023-192']));
      const bom = JSON.parse(a['gl-sbom-report.cdx.json'] as string) as { components: { name: string }[] };
      expect(toSchemaErrors(validators.cyclonedx, bom)).toEqual([]);
      expect(bom.components.map((c) => c.name)).toEqual(expect.arrayContaining(['smallvec', 'urllib3']));
      const report = JSON.parse(a['portcullis-report.json'] as string) as JsonReport;
      expect(toSchemaErrors(validators.json, report)).toEqual([]);
      expect(report.verdict.decision).toBe('deny');
      expect(report.image.ref).toBe(MULTI);
    });

    it("the Dockerfile job's Code Quality issues sit on the Dockerfile's lines, repository-relative", async () => {
      const a = await readArtifacts(project, 'portcullis-dockerfile');
      const cq = JSON.parse(a['gl-code-quality-report.json'] as string) as {
        check_name: string;
        location: { path: string; lines: { begin: number } };
      }[];
      expect(toSchemaErrors(validators.codequality, cq)).toEqual([]);
      const at = Object.fromEntries(cq.map((i) => [i.check_name, i.location]));
      expect(at['PCS-BUILD-PIPE-TO-SHELL']).toEqual({
        path: 'Dockerfile',
        lines: { begin: lineOf(DOCKERFILE, 'RUN curl'), end: lineOf(DOCKERFILE, '    | sh') },
      });
      expect(at['DS017']?.lines.begin).toBe(lineOf(DOCKERFILE, 'RUN apt-get update'));
      expect(at['PCS-BUILD-ADD-REMOTE-URL']?.lines.begin).toBe(lineOf(DOCKERFILE, 'ADD http'));
      expect(at['DS002']?.lines.begin).toBe(lineOf(DOCKERFILE, 'USER root'));
      expect(cq.every((i) => i.location.path === 'Dockerfile')).toBe(true);
      const log = await readJobLog(project, 'portcullis-dockerfile');
      expect(log).toContain('Verdict: DENY');
    });

    it('no planted secret appears in the output, the job logs or any artifact (redacted forms do)', async () => {
      const all = await everythingWritten(project, run.output);
      for (const s of PLANTED_SECRETS) expect(all).not.toContain(s);
      // the findings are there, only redacted: the check above looked at the right text
      expect(all).toContain('PCS-SECRET-ALIBABA-ACCESS-KEY-PAIR');
      // the AWS documentation example key in /app/.env is no finding (issue 16); the .env file itself is
      expect(all).toContain('PCS-SECRET-DOTENV-FILE');
      expect(all).toMatch(/LTAI\*+pLd/);
      const a = await readArtifacts(project, 'portcullis-image');
      expect(a['portcullis-report.json']).toMatch(/LTAI\*+pLd/);
      expect(await readJobLog(project, 'portcullis-image')).toMatch(/LTAI\*{8}/);
    });

    // after the checks above: this run replaces the image job's log and artifacts
    it('a warn passes: the min image only warns under the default policy', async () => {
      const run = await runPipeline(
        project,
        { ...base, PORTCULLIS_IMAGE: `${TEST_REGISTRY}/fixtures/debian:min` },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'PASS' });
      expect(run.code).toBe(0);
      const log = await readJobLog(project, 'portcullis-image');
      expect(log).toContain('Verdict: WARN');
      expect(log).toMatch(/- .*\(warn ≥ medium\)/);
      const a = await readArtifacts(project, 'portcullis-image');
      const report = JSON.parse(a['portcullis-report.json'] as string) as JsonReport;
      expect(report.verdict.decision).toBe('warn');
      expect(
        toSchemaErrors(validators.gitlab, JSON.parse(a['gl-container-scanning-report.json'] as string)),
      ).toEqual([]);
    });
  });

  describe('policies', () => {
    const inDays = (n: number) => daysFrom(new Date(), n);
    const policy = (images: string[]) =>
      stringify({
        apiVersion: 'portcullis/v1',
        exceptions: [
          {
            // every finding of these images (an exception names what it suppresses: here, everything)
            id: '*',
            images,
            reason: 'fixture image: planted risks, reviewed',
            owner: 'gitlab-template-test',
            ticket: 'GL-13',
            expires: inDays(30),
          },
        ],
      });
    let project: Project;

    beforeAll(async () => {
      project = await createProject(join(work, 'policies'), {
        Dockerfile: DOCKERFILE,
        'portcullis.yaml': policy([`${TEST_REGISTRY}/fixtures/debian:*`]),
        'policies/other-image.yaml': policy([`${TEST_REGISTRY}/fixtures/other:*`]),
        'build/app.Dockerfile': DOCKERFILE,
      });
    });

    it("passes with the repository's portcullis.yaml, whose exception covers the image", async () => {
      const run = await runPipeline(project, base, { jobs: ['portcullis-image'] });
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'PASS' });
      expect(run.code).toBe(0);
      const log = await readJobLog(project, 'portcullis-image');
      expect(log).toContain('portcullis: policy portcullis.yaml');
      expect(log).toContain('Verdict: ALLOW');
      const report = JSON.parse(
        (await readArtifacts(project, 'portcullis-image'))['portcullis-report.json'] as string,
      ) as JsonReport;
      expect(report.verdict.decision).toBe('allow');
      expect(report.findings.length).toBeGreaterThan(10);
      expect(report.findings.every((f) => f.suppressedBy?.reason.includes('reviewed'))).toBe(true);
    });

    it('fails with PORTCULLIS_POLICY naming a policy whose exception is scoped to another image', async () => {
      const run = await runPipeline(
        project,
        { ...base, PORTCULLIS_POLICY: 'policies/other-image.yaml' },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      const log = await readJobLog(project, 'portcullis-image');
      expect(log).toContain('portcullis: policy policies/other-image.yaml');
      expect(log).toContain('Verdict: DENY');
    });

    it('Code Quality paths stay repository-relative for ./path and absolute paths under the project', async () => {
      for (const given of ['./build/app.Dockerfile', join(project.dir, 'build', 'app.Dockerfile')]) {
        const run = await runPipeline(
          project,
          { ...base, PORTCULLIS_DOCKERFILE: given },
          { jobs: ['portcullis-dockerfile'] },
        );
        // the repository's exception is scoped to the registry image, not to this Dockerfile: still a deny
        expect(run.jobs, run.output).toEqual({ 'portcullis-dockerfile': 'FAIL' });
        const cq = JSON.parse(
          (await readArtifacts(project, 'portcullis-dockerfile'))['gl-code-quality-report.json'] as string,
        ) as { check_name: string; location: { path: string; lines: { begin: number } } }[];
        expect(toSchemaErrors(validators.codequality, cq)).toEqual([]);
        expect(cq.length).toBeGreaterThanOrEqual(4);
        expect([...new Set(cq.map((i) => i.location.path))]).toEqual(['build/app.Dockerfile']);
        expect(cq.find((i) => i.check_name === 'DS002')?.location.lines.begin).toBe(
          lineOf(DOCKERFILE, 'USER root'),
        );
      }
    });

    it('an error fails the job with the CLI one-line reason (an image that does not exist)', async () => {
      const run = await runPipeline(
        project,
        { ...base, PORTCULLIS_IMAGE: `${TEST_REGISTRY}/fixtures/debian:no-such-tag` },
        { jobs: ['portcullis-image'] },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      const log = await readJobLog(project, 'portcullis-image');
      expect(log).toMatch(/portcullis: [A-Z][A-Z_]+: .*no-such-tag/);
      expect(log).not.toContain('Verdict:');
    });
  });

  describe('the vulnerability DB kept in PORTCULLIS_DB_CACHE (PORTCULLIS_DB unset)', () => {
    let project: Project;
    let mirror: { url: string; requests: string[]; close: () => Promise<void> };
    let vars: Record<string, string>;
    const stamp = () => join(project.dir, '.portcullis-cache', 'updated-on');
    const today = () => new Date().toISOString().slice(0, 10);

    beforeAll(async () => {
      mirror = await startOsvMirror();
      project = await createProject(join(work, 'cache'), { Dockerfile: DOCKERFILE });
      vars = { PORTCULLIS_IMAGE: MULTI, PORTCULLIS_CLI: CHECKOUT_CLI, PORTCULLIS_DB_MIRROR: mirror.url };
    });

    afterAll(async () => {
      await mirror?.close();
    });

    async function vulnIds(): Promise<string[]> {
      const a = await readArtifacts(project, 'portcullis-image');
      const report = JSON.parse(a['portcullis-report.json'] as string) as JsonReport;
      return report.findings.filter((f) => f.type === 'vulnerability').map((f) => f.id);
    }

    it('the first job of the day runs db update from the mirror into the cache and scans with it', async () => {
      const run = await runPipeline(project, vars, { jobs: ['portcullis-image'] });
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      expect(mirror.requests).toEqual(expect.arrayContaining(['/PyPI/all.zip', '/crates.io/all.zip']));
      expect(existsSync(join(project.dir, '.portcullis-cache', 'db.sqlite'))).toBe(true);
      expect((await readFile(stamp(), 'utf8')).trim()).toBe(today());
      expect(await vulnIds()).toEqual(expect.arrayContaining(['RUSTSEC-2021-0003', 'PYSEC-2023-192']));
    });

    it('later jobs that day use the cached DB without asking the mirror', async () => {
      mirror.requests.length = 0;
      const run = await runPipeline(project, vars, { jobs: ['portcullis-image'] });
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      expect(mirror.requests).toEqual([]);
      expect(await readJobLog(project, 'portcullis-image')).toContain(`DB updated today (${today()})`);
      expect(await vulnIds()).toEqual(expect.arrayContaining(['RUSTSEC-2021-0003', 'PYSEC-2023-192']));
    });

    it('a stamp from another day updates incrementally (modified_id.csv, not all.zip)', async () => {
      await writeFile(stamp(), `${daysFrom(new Date(), -1)}\n`);
      mirror.requests.length = 0;
      const run = await runPipeline(project, vars, { jobs: ['portcullis-image'] });
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'FAIL' });
      expect(mirror.requests).toContain('/PyPI/modified_id.csv');
      // directories that had records are read incrementally (empty ones have no mark to resume from)
      expect(mirror.requests).not.toContain('/PyPI/all.zip');
      expect(mirror.requests).not.toContain('/crates.io/all.zip');
      expect((await readFile(stamp(), 'utf8')).trim()).toBe(today());
    });
  });

  describe('what the jobs hand the CLI (a recording stand-in for $PORTCULLIS_CLI)', () => {
    let project: Project;
    let record: string;
    let recorder: Record<string, string>;
    const ci = {
      CI_REGISTRY: 'registry.example.test',
      CI_REGISTRY_IMAGE: 'registry.example.test/acme/shop',
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: 'job-token-not-for-others',
    };
    const ignore = ['--ignore-predefined-vars', Object.keys(ci).join(',')];

    beforeAll(async () => {
      project = await createProject(join(work, 'wiring'), { Dockerfile: DOCKERFILE });
      record = join(work, 'wiring-calls.txt');
      const cli = join(work, 'recording-cli.sh');
      await writeFile(
        cli,
        [
          '#!/bin/sh',
          '# Records the environment the template prepared and every argument, one per line; exits 0.',
          '{ echo "AUTH=${PORTCULLIS_REGISTRY_AUTH-<unset>}"',
          '  for a in "$@"; do echo "ARG=$a"; done; } > "$RECORD"',
          '',
        ].join('\n'),
      );
      recorder = { PORTCULLIS_CLI: `sh ${cli}`, PORTCULLIS_DB: dbPath, RECORD: record };
      await mkdir(join(work, 'fake-bin'), { recursive: true });
      await writeFile(join(work, 'fake-bin', 'npx'), await readFile(cli, 'utf8'), { mode: 0o755 });
    });

    async function call(
      variables: Record<string, string>,
      opts: { withoutCli?: boolean } = {},
    ): Promise<{ auth: string; args: string[] }> {
      await rm(record, { force: true });
      const { PORTCULLIS_CLI: _cli, ...noCli } = recorder;
      const run = await runPipeline(
        project,
        { ...(opts.withoutCli ? noCli : recorder), ...variables },
        // a directory with `npx` being the recorder, for the default PORTCULLIS_CLI
        { jobs: ['portcullis-image'], extraArgs: ignore, pathPrefix: join(work, 'fake-bin') },
      );
      expect(run.jobs, run.output).toEqual({ 'portcullis-image': 'PASS' });
      for (const v of [ci.CI_REGISTRY_PASSWORD, 'robot-password'])
        expect(run.output + (await readJobLog(project, 'portcullis-image'))).not.toContain(v);
      const lines = (await readFile(record, 'utf8')).split('\n').filter((l) => l !== '');
      return {
        auth: (lines[0] ?? '').replace(/^AUTH=/, ''),
        args: lines.slice(1).map((l) => l.replace(/^ARG=/, '')),
      };
    }

    it("by default scans this pipeline's image on the instance registry, with the job's registry credentials", async () => {
      const { auth, args } = await call(ci);
      expect(args[0]).toBe('scan');
      expect(args[1]).toMatch(/^registry\.example\.test\/acme\/shop\/main:[0-9a-f]{40}$/);
      expect(args.slice(2)).toEqual([
        '--db',
        dbPath,
        '--no-progress',
        '--report',
        'json=portcullis-report.json',
        '--report',
        'gitlab=gl-container-scanning-report.json',
        '--report',
        'cyclonedx=gl-sbom-report.cdx.json',
      ]);
      expect(auth).toBe('gitlab-ci-token:job-token-not-for-others');
    });

    it('runs `npx --yes portcullis@$PORTCULLIS_VERSION` when PORTCULLIS_CLI is unset', async () => {
      const pinned = await call({ ...ci }, { withoutCli: true });
      expect(pinned.args.slice(0, 3)).toEqual(['--yes', 'portcullis@0.1.0', 'scan']);
      const chosen = await call({ ...ci, PORTCULLIS_VERSION: '0.2.0' }, { withoutCli: true });
      expect(chosen.args.slice(0, 3)).toEqual(['--yes', 'portcullis@0.2.0', 'scan']);
    });

    it("never sends the job's registry credentials to another registry", async () => {
      const { auth, args } = await call({
        ...ci,
        PORTCULLIS_IMAGE: 'registry.example.test.evil.example/x:1',
      });
      expect(args[1]).toBe('registry.example.test.evil.example/x:1');
      expect(auth).toBe('<unset>');
    });

    it('uses PORTCULLIS_REGISTRY_USER/PASSWORD, and passes severity, scanners and extra flags through', async () => {
      const { auth, args } = await call({
        ...ci,
        PORTCULLIS_IMAGE: 'quay.example/acme/shop:1',
        PORTCULLIS_REGISTRY_USER: 'robot',
        PORTCULLIS_REGISTRY_PASSWORD: 'robot-password',
        PORTCULLIS_SEVERITY: 'high',
        PORTCULLIS_SCANNERS: 'vuln,secret',
        PORTCULLIS_SCAN_ARGS: '--platform linux/arm64 --insecure-registry quay.example',
      });
      expect(auth).toBe('robot:robot-password');
      expect(args.slice(-8)).toEqual([
        '--severity',
        'high',
        '--scanners',
        'vuln,secret',
        '--platform',
        'linux/arm64',
        '--insecure-registry',
        'quay.example',
      ]);
    });
  });

  describe('rules', () => {
    let project: Project;

    beforeAll(async () => {
      project = await createProject(join(work, 'rules'), { Dockerfile: DOCKERFILE, 'README.md': 'shop\n' });
    });

    it('PORTCULLIS_DISABLED=true (or 1) runs no job at all; false runs them', async () => {
      for (const value of ['true', '1']) {
        const run = await runPipeline(project, { ...base, PORTCULLIS_DISABLED: value });
        expect(run.jobs, run.output).toEqual({});
        expect(existsSync(join(project.dir, '.gitlab-ci-local', 'output', 'portcullis-image.log'))).toBe(
          false,
        );
        expect(existsSync(join(project.dir, '.gitlab-ci-local', 'artifacts'))).toBe(false);
      }
      const listed = await listJobs(project, { ...base, PORTCULLIS_DISABLED: 'false' });
      expect(listed).toEqual({ 'portcullis-image': 'on_success', 'portcullis-dockerfile': 'on_success' });
    });

    it('the Dockerfile job runs in MR pipelines only when the Dockerfile changed, and on the default branch', async () => {
      const mr = { ...base, CI_PIPELINE_SOURCE: 'merge_request_event' };
      await git(project.dir, ['checkout', '-q', '-b', 'feature']);
      await project.commit({ 'README.md': 'shop, the docs\n' }, 'docs only');
      expect(await listJobs(project, mr)).toEqual({
        'portcullis-image': 'on_success',
        'portcullis-dockerfile': 'never',
      });
      // a branch pipeline that is not the default branch: no Dockerfile job either
      expect((await listJobs(project, base))['portcullis-dockerfile']).toBe('never');
      await project.commit({ Dockerfile: `${DOCKERFILE}EXPOSE 8080\n` }, 'dockerfile');
      expect(await listJobs(project, mr)).toEqual({
        'portcullis-image': 'on_success',
        'portcullis-dockerfile': 'on_success',
      });
      await git(project.dir, ['checkout', '-q', 'main']);
      expect(await listJobs(project, base)).toEqual({
        'portcullis-image': 'on_success',
        'portcullis-dockerfile': 'on_success',
      });
    });
  });
});

/** job name -> `when` after gitlab-ci-local evaluated the rules (`never` = not in the pipeline). */
async function listJobs(
  project: Project,
  variables: Record<string, string>,
): Promise<Record<string, string>> {
  const run = await runPipeline(project, variables, {
    extraArgs: ['--list-json', '--ignore-predefined-vars', 'CI_PIPELINE_SOURCE'],
  });
  expect(run.code, run.output).toBe(0);
  const start = run.output.search(/^\[$/m);
  const json = run.output.slice(start, run.output.indexOf('\n]', start) + 2);
  const jobs = JSON.parse(json) as { name: string; when: string }[];
  return Object.fromEntries(jobs.map((j) => [j.name, j.when]));
}
