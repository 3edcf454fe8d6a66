import type { BuildRuleKey } from './rules.js';
import { isLiteralSecretValue, isSecretName } from './redact.js';
import { evaluateLanguageRules } from './language-rules.js';
import { listAssignments, parseShell, subcommand } from './shell.js';
import type { SimpleCommand } from './shell.js';

/** A rule that fired on one command script. */
export interface CommandHit {
  rule: BuildRuleKey;
  /** Short description of what fired (no secret values: callers redact). */
  message: string;
  /** Peer ids for this hit when they depend on the tool (`DL3008` for apt, `DL3018` for apk). */
  peers?: string[];
}

export interface CommandContext {
  /** Targets of `--mount=type=cache` (and `type=tmpfs`) on the RUN: files there do not end up in the image. */
  cacheMounts?: readonly string[];
  /** The environment the script runs with (ENV and ARG values in force), where known. */
  env?: ReadonlyMap<string, string | undefined>;
}

/** True when `dir` is removed (`rm -rf /var/cache/apk/*`, `rm -rf /var/cache/*`) or mounted away. */
function isDirCleaned(commands: SimpleCommand[], dir: string, ctx: CommandContext): boolean {
  const covers = (p: string): boolean => {
    const base = p.replace(/\/?\*?$/, '').replace(/\/+$/, '');
    return base !== '' && (dir === base || dir.startsWith(`${base}/`) || base.startsWith(`${dir}/`));
  };
  return (
    commands.some((c) => c.name === 'rm' && c.args.some((a) => a.startsWith('/') && covers(a))) ||
    (ctx.cacheMounts ?? []).some(covers)
  );
}

/**
 * How quiet an apt command is: `-q` counts 1, `-qq` 2, `-q=2` / `--quiet=2` their number, `--quiet` 1,
 * summed like apt does; level 2 implies `--assume-yes`.
 */
function quietLevel(args: readonly string[]): number {
  let level = 0;
  for (const a of args) {
    const n = /^(?:-q|--quiet)=(\d+)$/.exec(a);
    if (n) level += Number(n[1]);
    else if (a === '--quiet') level++;
    else if (/^-[a-zA-Z]+$/.test(a)) level += (a.match(/q/g) ?? []).length;
  }
  return level;
}

const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c']);
const INTERPRETERS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'ash',
  'mksh',
  'busybox',
  'python',
  'python2',
  'python3',
  'perl',
  'ruby',
  'node',
  'php',
]);
const APT = new Set(['apt-get', 'apt', 'aptitude']);
const APT_OPTS_WITH_VALUE = new Set(['-o', '-c', '-t', '--option', '--config-file', '--target-release']);
const INSTALL_SUBS = new Set([
  'upgrade',
  'install',
  'source-install',
  'reinstall',
  'groupinstall',
  'localinstall',
  'add',
]);
const UPDATE_SUBS = new Set(['update', 'up']);
const FAMILIES: Record<string, string> = {
  'apt-get': 'apt',
  apt: 'apt',
  yum: 'yum',
  apk: 'apk',
  dnf: 'dnf',
  zypper: 'zypper',
};
const RPM_TOOLS = new Set(['yum', 'dnf', 'microdnf', 'zypper']);
const RPM_OPTS_WITH_VALUE = new Set([
  '-c',
  '--config',
  '--setopt',
  '--enablerepo',
  '--disablerepo',
  '--releasever',
  '-r',
  '--repo',
]);
const SUBSTITUTED_DOWNLOAD = /(?:\$\(|<\(|`)\s*(?:sudo\s+)?(?:curl|wget)\b/;

/** Rules that look at one shell script (a RUN, or a history `created_by`). One hit per rule at most. */
export function evaluateCommandRules(script: string, ctx: CommandContext = {}): CommandHit[] {
  const pipelines = parseShell(script);
  const commands = pipelines.flatMap((p) => p.commands);
  const hits = new Map<BuildRuleKey, CommandHit>();
  const hit: Hit = (rule, message, peers) => {
    const seen = hits.get(rule);
    if (seen === undefined) hits.set(rule, { rule, message, ...(peers === undefined ? {} : { peers }) });
    else if (peers !== undefined) seen.peers = [...new Set([...(seen.peers ?? []), ...peers])];
  };

  for (const p of pipelines) {
    const dl = p.commands.findIndex((c) => DOWNLOADERS.has(c.name));
    if (dl >= 0 && p.commands.slice(dl + 1).some((c) => INTERPRETERS.has(c.name))) {
      hit('PIPE_TO_SHELL', `'${p.commands[dl]?.name}' output piped into a shell`);
    }
  }
  for (const c of commands) {
    if (INTERPRETERS.has(c.name) && c.raw.some((r) => SUBSTITUTED_DOWNLOAD.test(r))) {
      hit('PIPE_TO_SHELL', `downloaded script run by '${c.name}'`);
    }
    if (c.wrappers.includes('sudo') || c.name === 'sudo') hit('DS010', 'sudo used in RUN');
    // `SECRET=… cmd` or `export TOKEN=…`: the value is written in the Dockerfile and the image history
    const secret = listAssignments(c).find((a) => isSecretName(a.key) && isLiteralSecretValue(a.raw));
    if (secret !== undefined) hit('SECRET_ENV', `RUN assigns ${secret.key} a literal value`);
    if (c.name === 'chmod') evaluateChmod(c, hit);
    if (APT.has(c.name)) evaluateApt(c, hit);
    if (c.name === 'apk' && subcommand(c) === 'upgrade') hit('PKG_UPGRADE', "'apk upgrade' used");
    if (c.name === 'apk' && subcommand(c) === 'add') {
      const cleaned =
        isDirCleaned(commands, '/var/cache/apk', ctx) || isDirCleaned(commands, '/etc/apk/cache', ctx);
      if (!c.args.includes('--no-cache') && !cleaned) hit('DS025', "'apk add' without '--no-cache'");
      const pkgs = packageArgs(c, 'add');
      if (pkgs.some((a) => !/[=~<>]/.test(a)))
        hit('PKG_UNPINNED', `unpinned: ${pkgs.filter((a) => !/[=~<>]/.test(a)).join(' ')}`, pinPeers('apk'));
    }
  }
  for (const c of commands) {
    if (!RPM_TOOLS.has(c.name)) continue;
    const sub = subcommand(c, RPM_OPTS_WITH_VALUE) ?? '';
    if ((sub === 'update' || sub === 'upgrade') && c.name !== 'zypper' && packageArgs(c, sub).length === 0)
      hit('PKG_UPGRADE', `'${c.name} ${sub}' used`);
    if (sub === 'module' && rpmModuleSub(c) === 'install') {
      // modules pin a stream: `nodejs:18`
      const unpinned = packageArgs(c, 'install').filter((a) => !a.includes(':'));
      if (unpinned.length > 0)
        hit('PKG_UNPINNED', `unpinned modules: ${unpinned.join(' ')}`, pinPeers(c.name));
      continue;
    }
    // zypper's whole-distribution upgrade is apt's dist-upgrade
    if (c.name === 'zypper' && (sub === 'dist-upgrade' || sub === 'dup'))
      hit('DS024', `'zypper ${sub}' used`, ['DL3035', 'DKL-DI-0003']);
    if (sub !== 'install' && sub !== 'in') continue;
    // rpm-family pins: `pkg-1.2.3`, `pkg-1.2-3.el9`, zypper `pkg=1.2` / `pkg>=1.2`.
    const unpinned = packageArgs(c, sub).filter(
      (a) => !/[=<>]|-\d/.test(a) && !a.endsWith('.rpm') && !a.startsWith('@'),
    );
    if (unpinned.length > 0) hit('PKG_UNPINNED', `unpinned: ${unpinned.join(' ')}`, pinPeers(c.name));
  }
  evaluateCleanups(commands, hit, ctx);
  evaluateLanguageRules(commands, hit, ctx);
  evaluateUpdateAlone(commands, hit);
  // `update` writes the package lists (hadolint DL3009); dockle also counts `install` (DKL-DI-0005)
  const aptListing = commands.find((c) => {
    const sub = APT.has(c.name) ? subcommand(c, APT_OPTS_WITH_VALUE) : undefined;
    return sub === 'update' || sub === 'install';
  });
  if (aptListing !== undefined && !isDirCleaned(commands, '/var/lib/apt/lists', ctx)) {
    const what = `${aptListing.name} ${subcommand(aptListing, APT_OPTS_WITH_VALUE) ?? ''}`;
    hit('APT_LISTS', `'${what}' leaves /var/lib/apt/lists in the layer`);
  }
  return [...hits.values()];
}

type Hit = (rule: BuildRuleKey, message: string, peers?: string[]) => void;

/** hadolint's version-pinning rule for each package manager. */
const PIN_PEERS: Record<string, string> = {
  'apt-get': 'DL3008',
  apt: 'DL3008',
  aptitude: 'DL3008',
  apk: 'DL3018',
  yum: 'DL3033',
  zypper: 'DL3037',
  dnf: 'DL3041',
  microdnf: 'DL3041',
};

function pinPeers(tool: string): string[] | undefined {
  const id = PIN_PEERS[tool];
  return id === undefined ? undefined : [id];
}

/** Names of the commands a script runs (for cross-RUN rules such as DS014). */
export function commandNames(script: string): SimpleCommand[] {
  return parseShell(script).flatMap((p) => p.commands);
}

function packageArgs(c: SimpleCommand, sub: string): string[] {
  const at = c.args.indexOf(sub);
  const out: string[] = [];
  for (let i = at + 1; i < c.args.length; i++) {
    const a = c.args[i] as string;
    if (a.startsWith('-')) {
      if (APT_OPTS_WITH_VALUE.has(a) || ['-X', '--repository', '-t', '--virtual'].includes(a)) i++;
      continue;
    }
    // Local files, paths and variables are not registry packages.
    if (a.includes('/') || a.endsWith('.deb') || a.endsWith('.apk') || a.includes('$')) continue;
    out.push(a);
  }
  return out;
}

function evaluateApt(c: SimpleCommand, hit: Hit): void {
  const sub = subcommand(c, APT_OPTS_WITH_VALUE);
  if (sub === 'dist-upgrade' || sub === 'full-upgrade')
    hit('DS024', `'${c.name} ${sub}' used`, ['DL3005', 'DKL-DI-0003']);
  if (sub === 'upgrade' || sub === 'safe-upgrade') hit('PKG_UPGRADE', `'${c.name} ${sub}' used`);
  if (sub !== 'install') return;
  const opts = optionValues(c);
  const yes =
    c.args.some(
      (a) => a === '--yes' || a === '--assume-yes' || /^-[a-zA-Z]*y[a-zA-Z]*$/.test(a) || a === '-y=1',
    ) ||
    quietLevel(c.args) >= 2 ||
    opts.some((o) => /^APT::Get::Assume-Yes=(true|1|yes)$/i.test(o));
  if (!yes) hit('DS021', `'${c.name} install' without '-y'`);
  // aptitude spells it --without-recommends (-R)
  const noRecommends =
    c.args.includes('--no-install-recommends') ||
    (c.name === 'aptitude' && (c.args.includes('--without-recommends') || c.args.includes('-R'))) ||
    opts.some((o) => /^APT::Install-Recommends=(false|0|no)$/i.test(o));
  if (!noRecommends) hit('DS029', `'${c.name} install' without '--no-install-recommends'`);
  const unpinned = packageArgs(c, 'install').filter((a) => !a.includes('='));
  if (unpinned.length > 0) hit('PKG_UNPINNED', `unpinned: ${unpinned.join(' ')}`, pinPeers(c.name));
}

function optionValues(c: SimpleCommand): string[] {
  const out: string[] = [];
  c.args.forEach((a, i) => {
    if (a === '-o' || a === '--option') out.push(c.args[i + 1] ?? '');
    else if (a.startsWith('--option=')) out.push(a.slice('--option='.length));
    else if (/^-o./.test(a)) out.push(a.slice(2));
  });
  return out;
}

function evaluateChmod(c: SimpleCommand, hit: Hit): void {
  const mode = c.args.find((a) => !a.startsWith('-') || /^-[rwxXst]+$/.test(a));
  if (mode === undefined) return;
  if (/^[0-7]{1,4}$/.test(mode)) {
    const digits = mode.padStart(4, '0');
    const special = Number(digits[0]);
    const others = Number(digits[3]);
    if ((others & 2) !== 0 && (special & 1) === 0) hit('CHMOD_WORLD_WRITABLE', `chmod ${mode}`);
    if ((special & 6) !== 0) hit('CHMOD_SETUID', `chmod ${mode}`);
    return;
  }
  for (const clause of mode.split(',')) {
    const m = /^([ugoa]*)([-+=])([rwxXstugo]*)$/.exec(clause);
    if (m === null || m[2] === '-') continue;
    const who = m[1] as string;
    const perms = m[3] as string;
    if (perms.includes('w') && (who.includes('o') || who.includes('a')))
      hit('CHMOD_WORLD_WRITABLE', `chmod ${mode}`);
    if (perms.includes('s') && (who === '' || /[uga]/.test(who))) hit('CHMOD_SETUID', `chmod ${mode}`);
  }
}

/** The word after `module` (`dnf module install nodejs:18`). */
function rpmModuleSub(c: SimpleCommand): string | undefined {
  const at = c.args.indexOf('module');
  return c.args.slice(at + 1).find((a) => !a.startsWith('-'));
}

/**
 * yum / dnf / microdnf / zypper installs (also `dnf in`, `… module install`) must be followed by their clean
 * command, a removal of their cache directory, or have that directory on a cache/tmpfs mount.
 */
function evaluateCleanups(commands: SimpleCommand[], hit: Hit, ctx: CommandContext): void {
  const specs: {
    tool: string;
    rule: BuildRuleKey;
    installs: string[];
    isClean: (c: SimpleCommand) => boolean;
    dir?: string;
  }[] = [
    {
      tool: 'yum',
      rule: 'DS015',
      installs: ['install', 'groupinstall', 'localinstall', 'in'],
      isClean: cleanAll,
      dir: '/var/cache/yum',
    },
    {
      tool: 'dnf',
      rule: 'DS019',
      installs: ['install', 'groupinstall', 'localinstall', 'in'],
      isClean: cleanAll,
      dir: '/var/cache/dnf',
    },
    {
      tool: 'microdnf',
      rule: 'DS027',
      installs: ['install', 'in'],
      isClean: cleanAll,
      dir: '/var/cache/yum',
    },
    {
      tool: 'zypper',
      rule: 'DS020',
      installs: ['install', 'in', 'remove', 'rm', 'source-install', 'si', 'patch'],
      isClean: (c) => ['clean', 'cc'].includes(subcommand(c) ?? ''),
      dir: '/var/cache/zypp',
    },
  ];
  for (const s of specs) {
    const install = commands.findIndex((c) => {
      if (c.name !== s.tool) return false;
      const sub = subcommand(c, RPM_OPTS_WITH_VALUE) ?? '';
      return s.installs.includes(sub) || (sub === 'module' && rpmModuleSub(c) === 'install');
    });
    if (install < 0) continue;
    const later = commands.slice(install + 1);
    // dnf and microdnf keep their cache under /var/cache/dnf or /var/cache/yum depending on the release
    const dirs =
      s.tool === 'microdnf' || s.tool === 'dnf' ? ['/var/cache/yum', '/var/cache/dnf'] : s.dir ? [s.dir] : [];
    const cleaned =
      later.some((c) => c.name === s.tool && s.isClean(c)) || dirs.some((d) => isDirCleaned(later, d, ctx));
    if (!cleaned) hit(s.rule, `'${s.tool} install' without '${s.tool} clean'`);
  }
}

function cleanAll(c: SimpleCommand): boolean {
  return subcommand(c) === 'clean' && c.args.includes('all');
}

/** DS017: `<pm> update` with no `<pm> install` after it in the same script. */
function evaluateUpdateAlone(commands: SimpleCommand[], hit: Hit): void {
  const updates = new Map<string, number>();
  const installs = new Map<string, number>();
  commands.forEach((c, i) => {
    const family = FAMILIES[c.name];
    if (family === undefined) return;
    const sub = subcommand(c, APT_OPTS_WITH_VALUE) ?? '';
    if (UPDATE_SUBS.has(sub) && !updates.has(family)) updates.set(family, i);
    if (INSTALL_SUBS.has(sub)) installs.set(family, i);
  });
  for (const [family, at] of updates) {
    if ((installs.get(family) ?? -1) < at) hit('DS017', `'${family} update' not followed by an install`);
  }
}
