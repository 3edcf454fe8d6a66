// Runs github-action/dist/index.js the way GitHub's node24 runner does: inputs as INPUT_* variables (with
// action.yml's defaults filled in, as the runner does), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, a
// pull_request event file, and GITHUB_API_URL / ACTIONS_ID_TOKEN_REQUEST_URL at loopback servers.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FIXTURES, ROOT } from '../helpers/env.js';

export const BUNDLE = join(ROOT, 'github-action', 'dist', 'index.js');
export const ACTION_YML = join(ROOT, 'github-action', 'action.yml');
export const PR_EVENT = join(FIXTURES, 'github-action', 'pull_request.opened.json');
export const REPO = 'Codertocat/Hello-World';
export const PR_NUMBER = 2;

export interface ApiCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** A loopback GitHub REST API for issue comments that records every call. */
export interface FakeGitHub {
  url: string;
  calls: ApiCall[];
  comments: { id: number; body: string }[];
  /** 'ok', or 'forbidden' to answer writes as GitHub does for a fork PR's read-only token. */
  mode: 'ok' | 'forbidden';
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  let nextId = 1000;
  const fake: FakeGitHub = {
    url: '',
    calls: [],
    comments: [],
    mode: 'ok',
    close: () => new Promise((r) => server.close(() => r())),
  };
  const commentsPath = `/repos/${REPO}/issues/${PR_NUMBER}/comments`;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = await readBody(req);
      fake.calls.push({
        method: req.method ?? '',
        path: url.pathname + url.search,
        authorization: req.headers.authorization,
        body,
      });
      const send = (status: number, data: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(data));
      };
      if (req.method === 'GET' && url.pathname === commentsPath) {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        return send(
          200,
          fake.comments
            .slice((page - 1) * perPage, page * perPage)
            .map((c) => ({ id: c.id, body: c.body, user: { login: 'github-actions[bot]', type: 'Bot' } })),
        );
      }
      if (fake.mode === 'forbidden' && req.method !== 'GET') {
        // GitHub's answer to a write with a read-only token
        return send(403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
          status: '403',
        });
      }
      if (req.method === 'POST' && url.pathname === commentsPath) {
        const c = { id: nextId++, body: (body as { body: string }).body };
        fake.comments.push(c);
        return send(201, { id: c.id, body: c.body });
      }
      const m = /^\/repos\/Codertocat\/Hello-World\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (req.method === 'PATCH' && m) {
        const c = fake.comments.find((x) => x.id === Number(m[1]));
        if (!c) return send(404, { message: 'Not Found' });
        c.body = (body as { body: string }).body;
        return send(200, { id: c.id, body: c.body });
      }
      return send(404, { message: 'Not Found' });
    })();
  });
  fake.url = await listen(server);
  return fake;
}

/** A loopback Actions OIDC token endpoint: answers `{value}` to a bearer-authenticated GET with `audience`. */
export interface FakeTokenEndpoint {
  url: string;
  requestToken: string;
  audiences: string[];
  close(): Promise<void>;
}

export async function startTokenEndpoint(
  mint: (audience: string) => Promise<string>,
): Promise<FakeTokenEndpoint> {
  const fake: FakeTokenEndpoint = {
    url: '',
    requestToken: 'runtime-request-token',
    audiences: [],
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== `Bearer ${fake.requestToken}`) {
        res.writeHead(401).end();
        return;
      }
      const audience = url.searchParams.get('audience') ?? '';
      fake.audiences.push(audience);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: await mint(audience) }));
    })();
  });
  const base = await listen(server);
  fake.url = `${base}/_apis/token?api-version=2.0`;
  return fake;
}

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** The defaults action.yml declares, as the runner passes them (`${{ github.token }}` → `token`). */
function defaultInputs(token: string): Record<string, string> {
  const doc = parseYaml(readFileSync(ACTION_YML, 'utf8')) as { inputs: Record<string, { default?: string }> };
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(doc.inputs)) {
    if (spec.default === undefined) continue;
    out[name] = spec.default === '${{ github.token }}' ? token : spec.default;
  }
  return out;
}

/** Parses GITHUB_OUTPUT's `name<<DELIMITER` blocks. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i] as string);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] as string);
    out[m[1] as string] = value.join('\n');
  }
  return out;
}

export interface RunOptions {
  node: string;
  workspace: string;
  inputs: Record<string, string>;
  api: FakeGitHub;
  token?: FakeTokenEndpoint;
  eventName?: string;
  githubToken?: string;
  /** Extra environment (e.g. NODE_EXTRA_CA_CERTS). */
  env?: Record<string, string>;
}

export async function runAction(opts: RunOptions): Promise<ActionRun> {
  const outputFile = join(opts.workspace, '.github_output');
  const summaryFile = join(opts.workspace, '.github_step_summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const githubToken = opts.githubToken ?? 'ghs_fakeInstallationToken0123456789';
  const inputs = { ...defaultInputs(githubToken), ...opts.inputs };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: opts.workspace,
    RUNNER_TEMP: opts.workspace,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: opts.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: PR_EVENT,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: opts.api.url,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'ci',
    GITHUB_JOB: 'scan',
    GITHUB_SHA: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821',
    GITHUB_REF: `refs/pull/${PR_NUMBER}/merge`,
    ...(opts.token
      ? {
          ACTIONS_ID_TOKEN_REQUEST_URL: opts.token.url,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: opts.token.requestToken,
        }
      : {}),
    ...opts.env,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const child = spawn(opts.node, [BUNDLE], { cwd: opts.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
  };
}

export interface Annotation {
  level: string;
  props: Record<string, string>;
  message: string;
}

/** The `::error file=…,line=N::message` workflow commands in a run's stdout. */
export function parseAnnotations(stdout: string): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    const props: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const i = kv.indexOf('=');
      props[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1).replace(/%2C/g, ','));
    }
    out.push({ level: m[1] as string, props, message: m[3] as string });
  }
  return out;
}
