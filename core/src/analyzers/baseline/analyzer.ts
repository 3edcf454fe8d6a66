import type { FileHeader, ImageFile } from '../../types/file.js';
import type { Finding, FindingLocation, Note } from '../../types/finding.js';
import type { ImageConfig } from '../../types/image.js';
import type { Analyzer, AnalysisResult, ImageContext } from '../analyzer.js';
import { filesWhere } from '../../layers/merge.js';
import { BASELINE_RULES, resolveBaselineChecks } from './checks.js';
import type { BaselineRule } from './checks.js';
import {
  findPackageCaches,
  isInPackageCache,
  mayHoldPackageCache,
  findUnexpectedSetuid,
  findWorldWritableInPath,
  MAX_SYMLINK_HOPS,
} from './file-checks.js';
import { parseShadowRisks } from './shadow.js';
import { evaluateSshdConfig } from './sshd.js';

const SHADOW = '/etc/shadow';
const SSHD_CONFIG = '/etc/ssh/sshd_config';
const SSHD_CONFIG_DIR = '/etc/ssh/sshd_config.d/';
/** Findings per file-based check; the rest is summarised in a note so output stays bounded. */
export const MAX_FINDINGS_PER_CHECK = 100;

function finding(
  rule: BaselineRule,
  location: FindingLocation,
  description: string,
  evidence?: string,
): Finding {
  return {
    type: 'baseline',
    id: rule.id,
    ruleId: rule.id,
    severity: rule.severity,
    title: rule.title,
    description,
    remediation: rule.remediation,
    location,
    ...(rule.peers === undefined ? {} : { aliases: [...rule.peers] }),
    ...(evidence === undefined ? {} : { evidence }),
  };
}

function fileLocation(f: ImageFile, line?: number): FindingLocation {
  return { layerDigest: f.layerDigest, path: f.path, ...(line === undefined ? {} : { line }) };
}

/** True for `root`, `0`, `root:…`, `0:…` and an empty user (Docker's default is root). */
export function isRootUser(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  return u === '' || /^(root|0)(:.*)?$/.test(u);
}

/** Image-config checks: root user and missing HEALTHCHECK. */
export function evaluateConfigChecks(config: ImageConfig, checks: ReadonlySet<string>): Finding[] {
  const out: Finding[] = [];
  const c = config.config ?? {};
  if (checks.has('root-user') && isRootUser(c.User)) {
    const user = (c.User ?? '').trim();
    out.push(
      finding(
        BASELINE_RULES.rootUser,
        { source: 'config.User' },
        user === '' ? 'no USER set: containers run as root' : `USER is ${user}`,
        `User=${JSON.stringify(user)}`,
      ),
    );
  }
  const test = c.Healthcheck?.Test;
  if (checks.has('no-healthcheck') && (test === undefined || test.length === 0 || test[0] === 'NONE')) {
    out.push(
      finding(
        BASELINE_RULES.noHealthcheck,
        { source: 'config.Healthcheck' },
        test?.[0] === 'NONE'
          ? 'HEALTHCHECK NONE disables the health check'
          : 'no HEALTHCHECK in the image config',
      ),
    );
  }
  return out;
}

function text(f: ImageFile | undefined): string | undefined {
  return f?.content === undefined ? undefined : f.content.toString('utf8');
}

/** Runs the selected checks on a whole image. */
export function evaluateBaseline(ctx: ImageContext): AnalysisResult {
  const { checks, unknown } = resolveBaselineChecks(ctx.options.baseline?.checks);
  const notes: Note[] = unknown.map((u) => ({
    code: 'BASELINE_CHECK_UNKNOWN',
    message: `unknown baseline check '${u}' in the policy (ignored)`,
  }));
  const findings = evaluateConfigChecks(ctx.image.config, checks);
  const capped = (name: string, items: Finding[]): void => {
    findings.push(...items.slice(0, MAX_FINDINGS_PER_CHECK));
    if (items.length > MAX_FINDINGS_PER_CHECK) {
      notes.push({
        code: 'BASELINE_FINDINGS_CAPPED',
        message: `${name}: ${items.length} findings, only the first ${MAX_FINDINGS_PER_CHECK} are reported`,
      });
    }
  };

  if (checks.has('setuid')) {
    capped(
      'setuid',
      findUnexpectedSetuid(filesWhere(ctx.files, () => true, { modeAny: 0o6000 })).map((f) => {
        const bits = [
          (f.mode & 0o4000) !== 0 ? 'setuid' : '',
          (f.mode & 0o2000) !== 0 ? 'setgid' : '',
        ].filter(Boolean);
        const mode = (f.mode & 0o7777).toString(8).padStart(4, '0');
        const severity = (f.mode & 0o4000) !== 0 && f.uid === 0 ? 'high' : 'medium';
        return {
          ...finding(
            BASELINE_RULES.setuid,
            fileLocation(f),
            `${bits.join('+')} file not on the known-good list`,
          ),
          severity,
          evidence: `mode ${mode} uid ${f.uid} gid ${f.gid}`,
        };
      }),
    );
  }

  const unread = (path: string): void => {
    const f = ctx.files.get(path);
    if (f !== undefined && f.kind === 'file' && f.content === undefined) {
      notes.push({
        code: 'BASELINE_FILE_NOT_READ',
        message: `${path} was not buffered (over the size limit?): not checked`,
        path,
      });
    }
  };
  if (checks.has('shadow')) unread(SHADOW);
  if (checks.has('sshd')) unread(SSHD_CONFIG);

  if (checks.has('shadow')) {
    const shadow = ctx.files.get(SHADOW);
    const content = text(shadow);
    if (shadow !== undefined && content !== undefined) {
      for (const r of parseShadowRisks(content)) {
        const rule = r.kind === 'empty' ? BASELINE_RULES.emptyPassword : BASELINE_RULES.weakHash;
        const what =
          r.kind === 'empty' ? 'has an empty password' : `has a ${r.kind.toUpperCase()} password hash`;
        findings.push(finding(rule, fileLocation(shadow, r.line), `account '${r.user}' ${what}`, r.evidence));
      }
    }
  }

  if (checks.has('sshd') && ctx.files.has(SSHD_CONFIG)) {
    const { global, matched } = evaluateSshdConfig(
      SSHD_CONFIG,
      (p) => text(ctx.files.get(p)),
      // one pass over the paths, keeping only /etc/ssh's (a copy of every path of a large image was 10 MB)
      () => {
        const under: string[] = [];
        const inSsh = (d: string): boolean => d === '/etc/ssh' || d.startsWith('/etc/ssh/');
        for (const f of filesWhere(ctx.files, () => true, { inDir: inSsh })) under.push(f.path);
        return under;
      },
    );
    const rules: [string, string, BaselineRule][] = [
      ['permitrootlogin', 'PermitRootLogin', BASELINE_RULES.sshdRootLogin],
      ['passwordauthentication', 'PasswordAuthentication', BASELINE_RULES.sshdPasswordAuth],
      ['permitemptypasswords', 'PermitEmptyPasswords', BASELINE_RULES.sshdEmptyPasswords],
    ];
    for (const [keyword, name, rule] of rules) {
      const settings = [global.get(keyword), ...matched.filter((m) => m.keyword === keyword)];
      for (const s of settings) {
        if (s === undefined || s.value.toLowerCase() !== 'yes') continue;
        const f = ctx.files.get(s.path);
        const where = s.match === undefined ? '' : ` (inside 'Match ${s.match}')`;
        findings.push(
          finding(
            rule,
            { ...(f === undefined ? {} : { layerDigest: f.layerDigest }), path: s.path, line: s.line },
            `${name} yes${where}`,
            `${name} ${s.value}`,
          ),
        );
      }
    }
  }

  if (checks.has('world-writable-path')) {
    const { entries, unresolved } = findWorldWritableInPath(ctx.files, ctx.image.config.config?.Env);
    for (const dir of unresolved)
      notes.push({
        code: 'BASELINE_PATH_UNRESOLVED',
        message: `PATH directory ${dir} does not resolve within ${MAX_SYMLINK_HOPS} symlinks (a loop?): not checked for world-writable entries`,
        path: dir,
      });
    capped(
      'world-writable-path',
      entries.map((f) =>
        finding(
          BASELINE_RULES.worldWritablePath,
          fileLocation(f),
          `${f.kind === 'dir' ? 'directory' : 'file'} writable by everyone`,
          `mode ${(f.mode & 0o7777).toString(8).padStart(4, '0')}`,
        ),
      ),
    );
  }

  if (checks.has('package-cache')) {
    for (const { cache, files } of findPackageCaches(
      filesWhere(ctx.files, isInPackageCache, { inDir: mayHoldPackageCache }),
    )) {
      const bytes = files.reduce((n, f) => n + f.size, 0);
      const first = files[0] as ImageFile;
      findings.push(
        finding(
          BASELINE_RULES.packageCache,
          { layerDigest: first.layerDigest, path: cache.dir },
          `${cache.name} left in the image`,
          `${files.length} file(s), ${bytes} bytes under ${cache.dir}`,
        ),
      );
    }
  }
  return { findings, notes };
}

/** Whether the baseline analyzer needs this file's content (shadow and sshd configuration only). */
export function isBaselineRequired(path: string, header: FileHeader): boolean {
  if (header.kind !== 'file') return false;
  const p = path.startsWith('/') ? path : `/${path.replace(/^\.\//, '')}`;
  return p === SHADOW || p === SSHD_CONFIG || p.startsWith(SSHD_CONFIG_DIR);
}

/**
 * CIS-style image hardening checks on the merged image: root user, HEALTHCHECK, setuid/setgid files,
 * /etc/shadow, sshd_config, world-writable PATH entries and package caches. Only /etc/shadow and the
 * sshd configuration are buffered; every other check reads tar headers.
 */
export const baselineAnalyzer: Analyzer = {
  name: 'baseline',
  version: 1,
  scanner: 'baseline',
  required: isBaselineRequired,
  analyzeImage: evaluateBaseline,
};
