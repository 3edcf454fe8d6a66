import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import {
  ALL_SCANNERS,
  PortcullisError,
  SEVERITIES,
  type ScannerName,
  type Severity,
} from '../../core/src/index.js';

/** The Action's inputs (action.yml), read and checked. Paths are absolute; `dockerfile` keeps its repo path. */
export interface ActionInputs {
  workspace: string;
  image?: string;
  /** Workspace-relative, `/`-separated: the file annotations and the report name. */
  dockerfile?: string;
  dockerfilePath?: string;
  policy?: string;
  scanners?: ScannerName[];
  severity?: Severity;
  db: string;
  sarif: string;
  report: string;
  comment: boolean;
  baselineReport?: string;
  fail: boolean;
  githubToken: string;
  pushUrl?: string;
  pushAudience?: string;
  registryUsername?: string;
  registryPassword?: string;
}

/** What `@actions/core` offers for reading inputs (injected so the parsing is testable without env). */
export interface InputReader {
  getInput(name: string): string;
}

function invalid(message: string): PortcullisError {
  return new PortcullisError('USAGE_INVALID', message);
}

function toBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  if (/^(true|yes|on)$/i.test(value)) return true;
  if (/^(false|no|off)$/i.test(value)) return false;
  throw invalid(`input ${name}: expected true or false, got "${value}"`);
}

/** A workspace-relative path; absolute paths are taken as given. */
function inWorkspace(workspace: string, path: string): string {
  return isAbsolute(path) ? normalize(path) : join(workspace, path);
}

function toRepoPath(workspace: string, path: string): string {
  const rel = relative(workspace, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split(sep).join('/');
}

export function readInputs(
  reader: InputReader,
  env: NodeJS.ProcessEnv,
  eventName: string | undefined,
): ActionInputs {
  const get = (name: string): string => reader.getInput(name).trim();
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const image = get('image');
  const dockerfile = get('dockerfile');
  if (image === '' && dockerfile === '') throw invalid('give `image`, `dockerfile` or both');
  const inputs: ActionInputs = {
    workspace,
    db: inWorkspace(
      workspace,
      get('db') || env.PORTCULLIS_DB || join(homedir(), '.cache', 'portcullis', 'db.sqlite'),
    ),
    sarif: inWorkspace(workspace, get('sarif') || 'portcullis.sarif'),
    report: inWorkspace(workspace, get('report') || 'portcullis-report.json'),
    comment: toBoolean(
      'comment',
      get('comment'),
      eventName === 'pull_request' || eventName === 'pull_request_target',
    ),
    fail: toBoolean('fail', get('fail'), true),
    githubToken: get('github-token'),
  };
  if (image !== '') inputs.image = image;
  if (dockerfile !== '') {
    const path = inWorkspace(workspace, dockerfile);
    if (!existsSync(path))
      throw new PortcullisError(
        'USAGE_INVALID',
        `input dockerfile: ${dockerfile} not found in the workspace`,
      );
    inputs.dockerfilePath = path;
    inputs.dockerfile = toRepoPath(workspace, path);
  }
  const policy = get('policy');
  if (policy !== '') inputs.policy = inWorkspace(workspace, policy);
  else if (existsSync(join(workspace, 'portcullis.yaml'))) inputs.policy = join(workspace, 'portcullis.yaml');
  const scanners = get('scanners');
  if (scanners !== '') inputs.scanners = parseScannerList(scanners);
  const severity = get('severity');
  if (severity !== '') {
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      throw invalid(`input severity: expected one of ${SEVERITIES.join(', ')}, got "${severity}"`);
    }
    inputs.severity = severity as Severity;
  }
  const baseline = get('baseline-report');
  if (baseline !== '') inputs.baselineReport = inWorkspace(workspace, baseline);
  const pushUrl = get('push-url');
  if (pushUrl !== '') {
    inputs.pushUrl = pushUrl;
    const audience = get('push-audience');
    if (audience === '')
      throw invalid('input push-url needs push-audience (the audience the webhook expects)');
    inputs.pushAudience = audience;
  }
  const username = get('registry-username');
  const password = reader.getInput('registry-password');
  if ((username === '') !== (password === '')) {
    throw invalid('give both registry-username and registry-password, or neither');
  }
  if (username !== '') {
    inputs.registryUsername = username;
    inputs.registryPassword = password;
  }
  return inputs;
}

/** `vuln,secret,…` as the CLI's `--scanners` takes it. */
export function parseScannerList(list: string): ScannerName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const known = ALL_SCANNERS as readonly string[];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw invalid(
      `input scanners: unknown ${unknown.join(', ') || '(empty)'}; expected some of ${known.join(', ')}`,
    );
  }
  return names as ScannerName[];
}
