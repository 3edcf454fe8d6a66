import type { AnalysisResult, Analyzer, AnalyzerOptions, ImageContext } from '../analyzer.js';
import type { Finding, FindingLocation } from '../../types/finding.js';
import type { FileHeader, ImageFile } from '../../types/file.js';
import { redact } from '../redact.js';
import { readSecretRules, type ContentRule, type PathRule, type SecretRuleSet } from './rules.js';
import { scanText, type SecretMatch } from './scan-text.js';

/** Largest file whose text the content rules read; bigger files are data, not configuration. */
export const SECRET_MAX_TEXT_SIZE = 1024 * 1024;
/** Bytes inspected for a NUL to decide a file is binary. */
export const BINARY_SNIFF_BYTES = 8 * 1024;
/** Virtual path the image config strings are scanned as (so `.env`-style rules apply to `ENV`). */
const CONFIG_VIRTUAL_PATH = '/image-config.env';

// Kernel views and package-managed trees (system binaries and libraries, package databases, docs,
// locale and terminal data, the distribution's Perl/Python libraries): secrets there come from
// distribution packages, not the image author, and reading them would slow every scan.
// /var/cache/debconf stays in: its passwords.dat holds answers typed during the build.
const SKIP_DIRS = new RegExp(
  [
    '^/(proc|sys|dev)/',
    '^/(usr/)?s?bin/',
    '^/(usr/)?lib(32|64|x32)?/[a-z0-9_]+-linux-[a-z]+/',
    '^/usr/lib/(apt|locale|terminfo|dpkg|python3(\\.[0-9]{1,3})?|perl[0-9.]{0,8})/',
    '^/usr/share/(doc|man|info|locale|i18n|zoneinfo|mime|icons|fonts|common-licenses|perl5?|keyrings|gcc|bash-completion|lintian|debconf|dpkg|terminfo|X11)/',
    '^/usr/include/',
    '^/var/lib/(dpkg|apt|rpm|yum|dnf)/',
    '^/lib/apk/db/',
  ].join('|'),
);
const SKIP_EXTENSIONS =
  /\.(so(\.\d{1,6}){0,4}|a|o|ko|pyc|pyo|class|jar|war|ear|whl|egg|gem|zip|gz|tgz|bz2|xz|zst|lz4|7z|rar|tar|deb|rpm|apk|png|jpe?g|gif|bmp|ico|webp|svgz|ttf|otf|woff2?|eot|mp[34]|mov|avi|wav|ogg|flac|pdf|mo|gmo|db|sqlite3?|wasm|node|exe|dll|dylib|bin|dat|pack|idx)$/i;

/** Which rules the policy's `scanners.secret` switches on. */
export function isSecretRuleEnabled(
  rule: { id: string; category: string },
  options: AnalyzerOptions['secret'] | undefined,
): boolean {
  if (options?.accessKeyLeak === false && rule.category === 'access-key') return false;
  if (options?.passwordLeak === false && rule.category === 'password') return false;
  const items = options?.items;
  if (items && items.length > 0) return items.includes(rule.category) || items.includes(rule.id);
  return true;
}

/** Options for {@link createSecretAnalyzer}. */
export interface SecretAnalyzerSettings {
  /** Compiled rules; defaults to the built-in `core/rules/secrets`. */
  rules?: SecretRuleSet;
}

/** Creates the sensitive-file analyzer: content and path rules over every layer, hidden files included. */
export function createSecretAnalyzer(settings: SecretAnalyzerSettings = {}): Analyzer {
  const rules = settings.rules ?? readSecretRules();
  return {
    name: 'secret',
    version: 1,
    scanner: 'secret',
    history: true,
    required: (path, header) => isSecretCandidate(path, header, rules),
    analyze: (file, options) => analyzeSecretFile(file, options, rules),
    analyzeImage: (ctx) => analyzeImageConfig(ctx, rules),
  };
}

/** Whether a file's content must be buffered: every path-rule hit, and text-sized files outside system dirs. */
export function isSecretCandidate(path: string, header: FileHeader, rules: SecretRuleSet): boolean {
  if (header.kind !== 'file') return false;
  if (rules.paths.some((r) => matchesPathRule(r, path))) return true;
  if (header.size === 0 || header.size > SECRET_MAX_TEXT_SIZE) return false;
  return !SKIP_DIRS.test(path) && !SKIP_EXTENSIONS.test(path);
}

function matchesPathRule(rule: PathRule, path: string): boolean {
  return rule.path.test(path) && !(rule.exclude?.test(path) ?? false);
}

/** Runs path rules and, for text files, every content rule in one pass. */
export function analyzeSecretFile(
  file: ImageFile,
  options: AnalyzerOptions,
  rules: SecretRuleSet,
): AnalysisResult {
  const opts = options.secret;
  const findings: Finding[] = [];
  const location: FindingLocation = { layerDigest: file.layerDigest, path: file.path };
  for (const rule of rules.paths) {
    if (!isSecretRuleEnabled(rule, opts) || !matchesPathRule(rule, file.path)) continue;
    if (rule.validate === 'der' && file.content && !isDerSequence(file.content)) continue;
    findings.push(withHidden(toPathFinding(rule, location), file));
  }
  const content = file.content;
  if (content && content.length <= SECRET_MAX_TEXT_SIZE && !isBinary(content)) {
    const enabled = (r: ContentRule): boolean => isSecretRuleEnabled(r, opts);
    for (const m of scanText(content.toString('utf8'), file.path, rules, enabled)) {
      findings.push(withHidden(toMatchFinding(m, location), file));
    }
  }
  return { findings };
}

/** Scans the config `Env`, `Labels` and history `created_by` strings, where build secrets often leak. */
export function analyzeImageConfig(ctx: ImageContext, rules: SecretRuleSet): AnalysisResult {
  const opts = ctx.options.secret;
  const enabled = (r: ContentRule): boolean => isSecretRuleEnabled(r, opts);
  const config = ctx.image.config;
  const sources: [string, string][] = [];
  (config.config?.Env ?? []).forEach((e, i) => sources.push([`config.Env[${i}]`, e]));
  for (const [k, v] of Object.entries(config.config?.Labels ?? {}))
    sources.push([`config.Labels[${JSON.stringify(k)}]`, `${k}=${v}`]);
  (config.history ?? []).forEach((h, i) => {
    if (h.created_by) sources.push([`history[${i}].created_by`, h.created_by]);
  });
  const findings: Finding[] = [];
  for (const [source, text] of sources) {
    for (const m of scanText(text, CONFIG_VIRTUAL_PATH, rules, enabled)) {
      findings.push(toMatchFinding(m, { source }, false));
    }
  }
  return { findings };
}

function toMatchFinding(m: SecretMatch, where: FindingLocation, withLine = true): Finding {
  const location: FindingLocation = { ...where };
  if (withLine) {
    location.line = m.line;
    if (m.endLine !== undefined) location.endLine = m.endLine;
  }
  const finding: Finding = {
    type: 'sensitive-file',
    id: m.id,
    ruleId: m.id,
    severity: m.example ? 'low' : m.severity,
    title: m.example ? `${m.title} (documentation example key)` : m.title,
    location,
    remediation: m.rule.remediation,
  };
  if (m.rule.description) finding.description = m.rule.description;
  if (m.example) {
    finding.description =
      `${finding.description ?? ''} The value is a published documentation example key; remove it anyway so real keys are not added next to it.`.trim();
  }
  const evidence = m.secrets
    .filter((s) => s !== '')
    .map(redact)
    .join(' / ');
  if (evidence) finding.evidence = evidence;
  return finding;
}

function toPathFinding(rule: PathRule, location: FindingLocation): Finding {
  const finding: Finding = {
    type: 'sensitive-file',
    id: rule.id,
    ruleId: rule.id,
    severity: rule.severity,
    title: rule.title,
    location: { ...location },
    remediation: rule.remediation,
  };
  if (rule.description) finding.description = rule.description;
  return finding;
}

function withHidden(finding: Finding, file: ImageFile): Finding {
  if (!file.hidden) return finding;
  finding.hidden = true;
  const how = file.hidden === 'deleted' ? 'deleted' : 'overwritten';
  finding.description =
    `${finding.description ?? ''} The file was ${how} by a later layer but is still stored in layer ${file.layerDigest} and can be extracted from the image.`.trim();
  return finding;
}

/** True when the first bytes hold a NUL: text rules do not run on binaries. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** True when the whole buffer is one DER SEQUENCE (a PKCS#12 file is), so junk named `.p12` is skipped. */
export function isDerSequence(content: Buffer): boolean {
  if (content.length < 2 || content[0] !== 0x30) return false;
  const first = content[1] as number;
  if (first < 0x80) return 2 + first === content.length;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || content.length < 2 + n) return false;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (content[2 + i] as number);
  return 2 + n + len === content.length;
}

/** The sensitive-file analyzer with the built-in rules. */
export const secretAnalyzer: Analyzer = createSecretAnalyzer();
