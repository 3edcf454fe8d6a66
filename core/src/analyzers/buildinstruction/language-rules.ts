import type { BuildRuleKey } from './rules.js';
import { listAssignments, subcommand } from './shell.js';
import type { SimpleCommand } from './shell.js';

/*
 * Language package managers in RUN scripts: pip and npm installs without a version (hadolint DL3013,
 * DL3016) and pip's download cache left in the layer (DL3042).
 */

type Hit = (rule: BuildRuleKey, message: string, peers?: string[]) => void;

const PIP = /^pip(\d+(\.\d+)?)?$/;
/** pip install options that take a value (`-i URL`, `--target DIR`). */
const PIP_OPTS_WITH_VALUE = new Set([
  '-r',
  '--requirement',
  '-c',
  '--constraint',
  '-e',
  '--editable',
  '-t',
  '--target',
  '--prefix',
  '--root',
  '--build',
  '-b',
  '-i',
  '--index-url',
  '--extra-index-url',
  '--trusted-host',
  '-f',
  '--find-links',
  '--src',
  '--upgrade-strategy',
  '--platform',
  '--python-version',
  '--implementation',
  '--abi',
  '--progress-bar',
  '--cache-dir',
  '--log',
  '--proxy',
  '--retries',
  '--timeout',
  '--exists-action',
  '--cert',
  '--client-cert',
  '--global-option',
  '--install-option',
  '--config-settings',
  '-C',
  '--only-binary',
  '--no-binary',
]);
const NPM_INSTALLS = new Set([
  'install',
  'i',
  'in',
  'ins',
  'inst',
  'insta',
  'instal',
  'isnt',
  'isnta',
  'isntal',
  'add',
]);
const NPM_OPTS_WITH_VALUE = new Set([
  '--registry',
  '--loglevel',
  '--prefix',
  '--cache',
  '--userconfig',
  '--tag',
  '-w',
  '--workspace',
  '--omit',
  '--include',
]);
const TRUTHY = /^(1|on|yes|true)$/i;

/** The arguments after `install` of a pip command (`pip3 install …`, `python -m pip install …`). */
function pipInstallArgs(c: SimpleCommand): string[] | undefined {
  let args = c.args;
  if (/^python(\d+(\.\d+)?)?$/.test(c.name)) {
    const m = args.indexOf('-m');
    if (m < 0 || !PIP.test(args[m + 1] ?? '')) return undefined;
    args = args.slice(m + 2);
  } else if (!PIP.test(c.name)) return undefined;
  const sub = subcommand({ ...c, args }, PIP_OPTS_WITH_VALUE);
  if (sub !== 'install') return undefined;
  return args.slice(args.indexOf('install') + 1);
}

/** Positional words of an argument list, skipping options and the values of those that take one. */
function operands(args: readonly string[], withValue: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** A pip requirement that names its version, or is not an index package at all (a path, a file, `$VAR`). */
function isPinnedPip(req: string): boolean {
  if (req.includes('$')) return true;
  if (/^(git|hg|svn|bzr)\+/.test(req)) {
    // `git+https://host/org/repo.git@v1.2#egg=x`: a ref after the repository path pins it
    const path = req.replace(/^[a-z+]+:\/\/[^/]*\//, '').split('#')[0] ?? '';
    return path.includes('@');
  }
  if (/[=<>!~]=|[<>]|\s@\s|@\s*[a-z]+:\/\//i.test(req)) return true;
  return req.includes('/') || req.startsWith('.') || /\.(whl|tar\.gz|tgz|zip|tar\.bz2)$/.test(req);
}

/** An npm install spec that names its version or commit, or is a folder or tarball. */
function isPinnedNpm(spec: string): boolean {
  if (spec.includes('$')) return true;
  if (spec.includes('://') || /^git@/.test(spec)) return spec.includes('#');
  if (/^(\/|\.\.?\/|~\/)/.test(spec) || /\.(tar|tar\.gz|tgz)$/.test(spec)) return true;
  return spec.slice(1).includes('@');
}

/** Evaluates the language package-manager rules on the commands of one script. */
export function evaluateLanguageRules(
  commands: readonly SimpleCommand[],
  hit: Hit,
  ctx: { env?: ReadonlyMap<string, string | undefined>; cacheMounts?: readonly string[] },
): void {
  let noCacheEnv = TRUTHY.test(ctx.env?.get('PIP_NO_CACHE_DIR') ?? '');
  for (const c of commands) {
    // `export PIP_NO_CACHE_DIR=1` earlier in the script, or `PIP_NO_CACHE_DIR=0 pip …` for one command
    const set = listAssignments(c).filter((a) => a.key === 'PIP_NO_CACHE_DIR');
    const value = set[set.length - 1]?.raw.replace(/^["']|["']$/g, '');
    if (value !== undefined && c.name === 'export') noCacheEnv = TRUTHY.test(value);
    const pipArgs = pipInstallArgs(c);
    if (pipArgs !== undefined) {
      const noCache =
        pipArgs.includes('--no-cache-dir') ||
        (value !== undefined && c.name !== 'export' ? TRUTHY.test(value) : noCacheEnv) ||
        (ctx.cacheMounts ?? []).some((m) => /^\/root\/\.cache(\/pip)?\/?$/.test(m));
      if (!noCache) hit('PIP_CACHE', "'pip install' without '--no-cache-dir'");
      const constrained = pipArgs.some(
        (a) => a === '-c' || a === '--constraint' || a.startsWith('--constraint='),
      );
      const unpinned = operands(pipArgs, PIP_OPTS_WITH_VALUE).filter((r) => !isPinnedPip(r));
      if (!constrained && unpinned.length > 0)
        hit('PKG_UNPINNED', `unpinned: ${unpinned.join(' ')}`, ['DL3013']);
    }
    if (c.name === 'npm' && NPM_INSTALLS.has(subcommand(c, NPM_OPTS_WITH_VALUE) ?? '')) {
      const at = c.args.findIndex((a) => NPM_INSTALLS.has(a));
      const unpinned = operands(c.args.slice(at + 1), NPM_OPTS_WITH_VALUE).filter((s) => !isPinnedNpm(s));
      if (unpinned.length > 0) hit('PKG_UNPINNED', `unpinned: ${unpinned.join(' ')}`, ['DL3016']);
    }
  }
}
