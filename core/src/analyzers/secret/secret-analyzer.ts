import type { AnalysisResult, Analyzer, AnalyzerOptions, FileSink } from '../analyzer.js';
import type { Finding, FindingLocation } from '../../types/finding.js';
import type { FileHeader, ImageFile } from '../../types/file.js';
import { toMatchFinding, toPathFinding, withHidden } from './findings.js';
import { analyzeImageConfig } from './image-config.js';
import { readDefaultSecretRules } from './redactor.js';
import { isSecretRuleEnabled, type PathRule, type SecretRuleSet } from './rules.js';
import { textScannerFor } from './text-scanner.js';
import { FileBytes } from '../../layers/buffer-pool.js';

/** Largest file whose text the content rules read; bigger files are data, not configuration. */
export const SECRET_MAX_TEXT_SIZE = 1024 * 1024;
/** Bytes inspected for a NUL to decide a file is binary. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

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
  /\.(so(\.\d{1,6}){0,4}|a|o|ko|pyc|pyo|class|jar|war|ear|whl|egg|gem|zip|gz|tgz|bz2|xz|zst|lz4|7z|rar|tar|deb|rpm|apk|png|jpe?g|gif|bmp|ico|webp|svgz|ttf|otf|woff2?|eot|mp[34]|mov|avi|wav|ogg|flac|pdf|mo|gmo|db|sqlite3?|wasm|node|exe|dll|dylib|bin|pack|idx)$/i;

/** Options for {@link createSecretAnalyzer}. */
export interface SecretAnalyzerSettings {
  /** Compiled rules; defaults to the built-in `core/rules/secrets`. */
  rules?: SecretRuleSet;
}

/** Creates the sensitive-file analyzer: content and path rules over every layer, hidden files included. */
export function createSecretAnalyzer(settings: SecretAnalyzerSettings = {}): Analyzer {
  const rules = settings.rules ?? readDefaultSecretRules();
  return {
    name: 'secret',
    version: 1,
    scanner: 'secret',
    history: true,
    required: (path, header) => isSecretCandidate(path, header, rules),
    analyze: (file, options) => analyzeSecretFile(file, options, rules),
    stream: (file, options) => createSecretSink(file, options, rules),
    toHiddenFinding: (finding, file) => withHidden({ ...finding }, file),
    analyzeImage: (ctx) => analyzeImageConfig(ctx, rules),
    // the whole-image step reads the image config only: file content is never kept for it
    imageReadsContent: false,
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

/** What the rules read of one file: its first bytes and size (the DER check), its text unless binary. */
export interface SecretSample {
  head: Buffer;
  size: number;
  /** The whole content when it is at most `SECRET_MAX_TEXT_SIZE` bytes and not binary. */
  text?: Buffer;
}

/** Runs path rules and, for text files, every content rule in one pass. */
export function analyzeSecretFile(
  file: ImageFile,
  options: AnalyzerOptions,
  rules: SecretRuleSet,
): AnalysisResult {
  const content = file.content;
  const sample = content && {
    head: content,
    size: content.length,
    ...(content.length <= SECRET_MAX_TEXT_SIZE && !isBinary(content) ? { text: content } : {}),
  };
  return analyzeSecretSample(file, sample, options, rules);
}

/** Path rules (DER-checked where asked) and content rules over what was read; undefined: nothing read. */
function analyzeSecretSample(
  file: ImageFile,
  sample: SecretSample | undefined,
  options: AnalyzerOptions,
  rules: SecretRuleSet,
  digest?: Buffer,
): AnalysisResult {
  const opts = options.secret;
  const findings: Finding[] = [];
  const location: FindingLocation = { layerDigest: file.layerDigest, path: file.path };
  for (const rule of rules.paths) {
    if (!isSecretRuleEnabled(rule, opts) || !matchesPathRule(rule, file.path)) continue;
    if (rule.validate === 'der' && sample && !isDerSequence(sample.head, sample.size)) continue;
    findings.push(withHidden(toPathFinding(rule, location), file));
  }
  const secrets: string[] = [];
  if (sample?.text) {
    for (const m of textScannerFor(rules)(sample.text, file.path, options, digest)) {
      findings.push(withHidden(toMatchFinding(m, location), file));
      secrets.push(...m.secrets);
    }
  }
  return secrets.length > 0 ? { findings, secrets } : { findings };
}

/** Bytes of a file's start kept for the DER check (tag, length octets). */
const DER_HEAD_BYTES = 8;

/**
 * Reads one file as it streams: a text file (at most `SECRET_MAX_TEXT_SIZE`) is held until it ends, a
 * binary is recognised by a NUL in its first `BINARY_SNIFF_BYTES` and dropped at once, and a larger file
 * only gives its first bytes (the DER check) and streams past. So memory per file is bounded by the
 * text cap, not by the image, and binaries cost the sniff only.
 */
export function createSecretSink(file: ImageFile, options: AnalyzerOptions, rules: SecretRuleSet): FileSink {
  const wantsText = file.size <= SECRET_MAX_TEXT_SIZE;
  // the text, until a NUL in its first bytes says it is binary
  let text = wantsText ? new FileBytes(file.size, file) : undefined;
  const head = Buffer.alloc(Math.min(DER_HEAD_BYTES, file.size));
  let length = 0;
  const drop = (): void => {
    text?.release();
    text = undefined;
  };
  return {
    write(chunk) {
      if (length < head.length) chunk.copy(head, length, 0, head.length - length);
      if (text && length < BINARY_SNIFF_BYTES && chunk.subarray(0, BINARY_SNIFF_BYTES - length).includes(0)) {
        drop();
      }
      text?.write(chunk);
      length += chunk.length;
      // a binary or oversized file: its first bytes were all the rules need
      return text !== undefined || length < head.length;
    },
    end(digest) {
      // a file that stopped early (binary, large) was read only for its head: its size is the header's
      const bytes = text?.read();
      const size = bytes ? length : file.size;
      const sample: SecretSample = { head, size, ...(bytes ? { text: bytes } : {}) };
      try {
        return analyzeSecretSample(file, sample, options, rules, bytes ? digest : undefined);
      } finally {
        // the rules read a decoded copy of the text: the bytes go back to the pool (or the chunk to the walker)
        drop();
      }
    },
    wantsDigest: wantsText,
  };
}

/** True when the first bytes hold a NUL: text rules do not run on binaries. */
export function isBinary(content: Buffer): boolean {
  return content.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/**
 * True when a file of `size` bytes starting with `head` is one DER SEQUENCE (a PKCS#12 file is), so
 * junk named `.p12` is skipped. `head` needs only the tag and length octets (6 bytes).
 */
export function isDerSequence(head: Buffer, size = head.length): boolean {
  if (size < 2 || head.length < 2 || head[0] !== 0x30) return false;
  const first = head[1] as number;
  if (first < 0x80) return 2 + first === size;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || size < 2 + n || head.length < 2 + n) return false;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (head[2 + i] as number);
  return 2 + n + len === size;
}

/** The sensitive-file analyzer with the built-in rules. */
export const secretAnalyzer: Analyzer = createSecretAnalyzer();
