import { isAscii, isUtf8 } from 'node:buffer';
import type { Severity } from '../../types/finding.js';
import { LiteralScanner } from '../literal-scanner.js';
import type { ContentRule, KeywordWindow, SecretRuleSet } from './rules.js';
import { isPlaceholder, isPlaceholderToken, runValidator, shannonEntropy } from './validators.js';

/**
 * One secret found in a text. `secrets` holds the raw values so the caller can redact them into
 * evidence; a match never leaves the analyzer unredacted.
 */
export interface SecretMatch {
  id: string;
  rule: ContentRule;
  title: string;
  severity: Severity;
  line: number;
  endLine?: number;
  secrets: string[];
}

/** Matches kept per rule and text: a generated file full of keys is one problem, not ten thousand. */
export const MAX_MATCHES_PER_RULE = 50;
/** Regex matches examined per rule and text (most rejected as placeholders): bounds hostile files. */
export const MAX_ATTEMPTS_PER_RULE = 2000;
/** Shortest value the placeholder filter lets through (`abc` is a placeholder, `pass` is not). */
const MIN_PLACEHOLDER_CHECKED_LENGTH = 4;

/**
 * Runs every enabled content rule over one text. A single pass of the combined keyword regex picks
 * the candidate rules, so most texts run no rule regex at all.
 */
export function scanText(
  text: string,
  path: string | undefined,
  ruleSet: SecretRuleSet,
  enabled: (rule: ContentRule) => boolean,
  hits?: KeywordHits,
): SecretMatch[] {
  let lowered: string | undefined;
  const lower = (): string => (lowered ??= text.toLowerCase());
  // the caller may have found the keywords already (on the bytes: see `createKeywordFinder`)
  const found = hits?.found ?? findKeywords(lower(), ruleSet);
  if (found.size === 0) return [];
  const lines = createLineIndex(text);
  const matches: SecretMatch[] = [];
  for (const rule of selectedRules(ruleSet, found, path, enabled)) {
    // positions come from the bytes (valid UTF-8, see `createKeywordFinder`); else positions in the
    // lower-cased text are positions in `text` when lower-casing kept every length
    const at = hits?.positionsOf;
    const source = !rule.window
      ? execAll(rule.regex, text)
      : at
        ? execAround(rule.regex, text, at(rule.keywords), rule.window)
        : lower().length === text.length
          ? execAround(rule.regex, text, keywordPositions(lower(), rule.keywords), rule.window)
          : execAll(rule.regex, text);
    for (const m of runRule(rule, text, source, lines)) matches.push(m);
  }
  return dedupe(applyBundles(pairMatches(matches), text));
}

/** Per rule set: each keyword → the rules that list it, by index (the literals rules also need are not keys). */
const rulesByKeyword = new WeakMap<SecretRuleSet, Map<string, number[]>>();

function keywordIndex(ruleSet: SecretRuleSet): Map<string, number[]> {
  const known = rulesByKeyword.get(ruleSet);
  if (known) return known;
  const index = new Map<string, number[]>();
  ruleSet.content.forEach((rule, i) => {
    for (const k of new Set(rule.keywords)) {
      const list = index.get(k);
      if (list) list.push(i);
      else index.set(k, [i]);
    }
  });
  rulesByKeyword.set(ruleSet, index);
  return index;
}

/**
 * The rules that run on a text with these keywords at `path`, in rule order: enabled, one of their keywords
 * found (and one of the literals they also need), and their paths (if any) holding `path`. One selection for
 * `scanText` and `mayMatch`: a text may go undecoded only if `scanText` would have run exactly the rules
 * `mayMatch` looked at. Found from the keywords (a few per text), not by asking each of ~190 rules.
 */
function selectedRules(
  ruleSet: SecretRuleSet,
  found: ReadonlySet<string>,
  path: string | undefined,
  enabled: (rule: ContentRule) => boolean,
): ContentRule[] {
  const index = keywordIndex(ruleSet);
  const marked = new Uint8Array(ruleSet.content.length);
  for (const k of found) for (const i of index.get(k) ?? []) marked[i] = 1;
  const out: ContentRule[] = [];
  for (let i = 0; i < marked.length; i++) {
    if (marked[i] === 0) continue;
    const rule = ruleSet.content[i] as ContentRule;
    if (!enabled(rule)) continue;
    if (rule.alsoNeeds && !rule.alsoNeeds.some((k) => found.has(k))) continue;
    if (rule.paths && (path === undefined || !rule.paths.some((p) => p.test(path)))) continue;
    out.push(rule);
  }
  return out;
}

/** What `execAround` reads of a text: its length and slices (a string, or an ASCII text's bytes). */
interface TextWindows {
  readonly length: number;
  slice(from: number, to: number): string;
}

/**
 * Whether `scanText` could find anything in this text, told from its bytes without decoding it whole:
 * false only when every rule its keywords select runs in keyword windows (see `ContentRule.window`) and
 * none of their patterns matches in any of its windows — then `scanText` has no match to report. In
 * ASCII a byte is its character, so each window is decoded alone (latin1) exactly as `scanText` slices
 * it. In other valid UTF-8 a character is at most 3 bytes per UTF-16 unit, so each window is decoded from
 * 3 × its reach of bytes around the keyword: a superset of the characters `scanText` reads there, in the
 * same order, so any match it would report is found again (a cut character at the edges lies outside
 * what the window needs). Invalid UTF-8: true (decoded whole, as before).
 */
export function mayMatch(
  bytes: Buffer,
  path: string | undefined,
  ruleSet: SecretRuleSet,
  enabled: (rule: ContentRule) => boolean,
  hits: KeywordHits,
): boolean {
  const offsets = hits.byteOffsetsOf;
  if (!offsets) return true;
  const latin1: TextWindows = {
    length: bytes.length,
    slice: (from, to) => bytes.toString('latin1', from, to),
  };
  for (const rule of selectedRules(ruleSet, hits.found, path, enabled)) {
    if (!rule.window) return true;
    if (hits.ascii) {
      for (const m of execAround(rule.regex, latin1, offsets(rule.keywords), rule.window))
        if (m[0] !== '') return true;
    } else if (matchesNearUtf8(bytes, rule.regex, offsets(rule.keywords), rule.window)) return true;
  }
  return false;
}

/** Any non-empty match of `re` in UTF-8 decoded from 3 × the window's reach of bytes around each offset. */
function matchesNearUtf8(
  bytes: Buffer,
  re: RegExp,
  offsets: readonly number[],
  window: KeywordWindow,
): boolean {
  const back = 3 * (window.before + window.maxLook);
  const ahead = 3 * (window.after + window.maxLook) + 3;
  for (const [start, last] of windowRuns(offsets, back, ahead)) {
    const slice = bytes.toString('utf8', start, Math.min(bytes.length, last + ahead));
    re.lastIndex = 0;
    for (let m = re.exec(slice); m !== null; m = re.exec(slice)) {
      if (m[0] !== '') return true;
      re.lastIndex++;
    }
  }
  return false;
}

/**
 * Keyword positions (ascending) grouped into windows that overlap: each run starts `before` ahead of its
 * first position (not below 0) and holds every position whose own start falls within `reach` after the
 * run's last one. Yields [start, last position]; `scanText` and `mayMatch` read each run's text once.
 */
function* windowRuns(
  positions: readonly number[],
  before: number,
  reach: number,
): Generator<[start: number, last: number]> {
  let k = 0;
  while (k < positions.length) {
    const start = Math.max(0, (positions[k] as number) - before);
    let last = positions[k] as number;
    while (k + 1 < positions.length && (positions[k + 1] as number) - before <= last + reach)
      last = positions[++k] as number;
    k++;
    yield [start, last];
  }
}

/** The keywords a text holds, found on its bytes (`createKeywordFinder`). */
export interface KeywordHits {
  found: ReadonlySet<string>;
  /** The bytes are ASCII: byte offsets are text indices and the latin1 decoding is the text. */
  ascii?: boolean;
  /** Where the given keywords start in the bytes, ascending; present with `positionsOf`. */
  byteOffsetsOf?: (keywords: readonly string[]) => number[];
  /**
   * Where the given keywords start in the text, ascending (as `keywordPositions` gives them), from their
   * byte offsets; present for valid UTF-8, so the text is never lower-cased for them.
   */
  positionsOf?: (keywords: readonly string[]) => number[];
}

/** The two characters whose lower case is ASCII: `İ` (U+0130, UTF-8 C4 B0) and the Kelvin sign (E2 84 AA). */
const CASE_TRAPS = [Buffer.from([0xc4, 0xb0]), Buffer.from([0xe2, 0x84, 0xaa])];

/**
 * The rule keywords a UTF-8 text holds, found on its bytes in one pass, without decoding it; undefined when
 * only the decoded text can tell (a keyword that is not ASCII, or a character whose lower case is ASCII).
 * Otherwise exactly the set `scanText` finds in the lower-cased text: every other character lower-cases to
 * non-ASCII, and an ASCII byte always decodes to itself, so ASCII keywords occur in the lower-cased text
 * exactly where their bytes occur case-folded.
 */
export function createKeywordFinder(ruleSet: SecretRuleSet): (bytes: Buffer) => KeywordHits | undefined {
  // every keyword of the rule set (the keys of its closure map)
  const keywords = [...ruleSet.keywordClosure.keys()];
  // eslint-disable-next-line no-control-regex
  if (keywords.length === 0 || keywords.some((k) => /[^\x00-\x7f]/.test(k))) return () => undefined;
  const scanner = new LiteralScanner(
    keywords.map((k) => Buffer.from(k, 'latin1')),
    true,
  );
  const indexOf = new Map(keywords.map((k, i) => [k, i]));
  return (bytes) => {
    const ascii = isAscii(bytes);
    // two searches of the whole text, needed only when it is not ASCII (most texts are)
    if (!ascii && CASE_TRAPS.some((t) => bytes.includes(t))) return undefined;
    // byte offsets map to text indices only when the decoder turns each sequence into its character
    if (!ascii && !isUtf8(bytes))
      return { found: new Set(scanner.find(bytes).map((i) => keywords[i] as string)) };
    const pairs = scanner.occurrences(bytes);
    const found = new Set<string>();
    for (let i = 0; i < pairs.length; i += 2) found.add(keywords[pairs[i] as number] as string);
    const byteOffsetsOf = (wanted: readonly string[]): number[] => {
      const ids = new Set(wanted.map((k) => indexOf.get(k)));
      const at: number[] = [];
      for (let i = 0; i < pairs.length; i += 2) if (ids.has(pairs[i])) at.push(pairs[i + 1] as number);
      return at.sort((a, b) => a - b);
    };
    return {
      found,
      ...(ascii ? { ascii } : {}),
      byteOffsetsOf,
      positionsOf(wanted) {
        const at = byteOffsetsOf(wanted);
        return ascii ? at : toTextIndices(bytes, at);
      },
    };
  };
}

/**
 * UTF-16 indices of ascending byte offsets in valid UTF-8: each byte that starts a character counts one
 * code unit, a 4-byte character two (a surrogate pair).
 */
function toTextIndices(bytes: Buffer, offsets: readonly number[]): number[] {
  const out: number[] = [];
  let units = 0;
  let b = 0;
  for (const offset of offsets) {
    for (; b < offset; b++) {
      const c = bytes[b] as number;
      if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
    }
    out.push(units);
  }
  return out;
}

function findKeywords(lower: string, ruleSet: SecretRuleSet): Set<string> {
  const found = new Set<string>();
  const re = ruleSet.keywordRegex;
  re.lastIndex = 0;
  for (let m = re.exec(lower); m !== null; m = re.exec(lower)) {
    for (const k of ruleSet.keywordClosure.get(m[0]) ?? []) found.add(k);
    re.lastIndex = m.index + 1; // overlapping keywords (`ab` in `xab`, `abc`) are found too
  }
  return found;
}

/** Every match of a global regex over the whole text, in order (an empty match steps one character). */
function* execAll(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '') re.lastIndex++;
    yield m;
  }
}

/** Sorted start offsets of every occurrence of the keywords in the lower-cased text. */
function keywordPositions(lower: string, keywords: readonly string[]): number[] {
  const at: number[] = [];
  for (const k of keywords) for (let i = lower.indexOf(k); i !== -1; i = lower.indexOf(k, i + 1)) at.push(i);
  return at.sort((a, b) => a - b);
}

/**
 * The same matches as `execAll`, found by running the regex only on slices around the keywords. Exact
 * because of the window's bounds. Every match contains an occurrence p of a keyword with its start in
 * [p - before, p] and its end at most p + after. Occurrences are grouped while their slices would touch,
 * so a group's slice holds every start from `first` (the earliest p - before) to `last` (the latest p),
 * `maxLook` characters on the left for lookbehinds and, on the right, up to `last + after + maxLook`:
 * every match the whole text has from those starts ends inside, with its lookahead. A path the slice end
 * could cut short, or end early with `$`, would need a keyword beyond `last` within reach, and that one
 * would have joined the group. Starts after `last` are not taken (their matches belong to the next group),
 * and groups are far enough apart that a match never overlaps the next group's starts.
 */
function* execAround(
  re: RegExp,
  text: TextWindows,
  positions: readonly number[],
  window: KeywordWindow,
): Generator<RegExpExecArray> {
  const reach = window.after + window.maxLook;
  for (const [first, last] of windowRuns(positions, window.before, reach)) {
    const from = Math.max(0, first - window.maxLook);
    const slice = text.slice(from, Math.min(text.length, last + reach));
    re.lastIndex = first - from;
    for (let m = re.exec(slice); m !== null && m.index + from <= last; m = re.exec(slice)) {
      if (m[0] === '') re.lastIndex++;
      m.index += from;
      yield m;
    }
  }
}

function* runRule(
  rule: ContentRule,
  text: string,
  source: Iterable<RegExpExecArray>,
  lines: LineIndex,
): Generator<SecretMatch> {
  let kept = 0;
  let attempts = 0;
  for (const m of source) {
    if (kept >= MAX_MATCHES_PER_RULE) break;
    if (++attempts > MAX_ATTEMPTS_PER_RULE) break;
    if (m[0] === '') continue;
    let secret = m.groups?.secret ?? m[0];
    const user = m.groups?.user;
    if (rule.allowValues.has(secret.toLowerCase())) continue;
    // vendors' published documentation keys are not secrets at all (AKIAIOSFODNN7EXAMPLE)
    if (rule.examples.has(secret) || isPlaceholderToken(secret)) continue;
    if (rule.allowPatterns?.some((p) => p.test(secret))) continue;
    if (rule.placeholders) {
      if (secret.length < MIN_PLACEHOLDER_CHECKED_LENGTH || isPlaceholder(secret)) continue;
      if (user !== undefined && user.toLowerCase() === secret.toLowerCase()) continue;
    }
    if (rule.minEntropy !== undefined && shannonEntropy(secret) < rule.minEntropy) continue;
    let title = rule.title;
    let endIndex: number | undefined;
    if (rule.validate) {
      const v = runValidator(rule.validate, text, m);
      if (!v.ok) continue;
      if (v.secret !== undefined) secret = v.secret;
      if (v.note) title = `${title} (${v.note})`;
      endIndex = v.endIndex;
    }
    const line = lines.lineAt(m.index);
    const match: SecretMatch = {
      id: rule.id,
      rule,
      title,
      severity: rule.severity,
      line,
      // a copy, not a slice: V8 keeps a whole text alive behind a substring of it, and matches are kept
      // (in the content cache, and as raw values until the final redaction) long after the file ended
      secrets: [detach(secret)],
    };
    const endLine = lines.lineAt(endIndex ?? m.index + m[0].length - 1);
    if (endLine > line) match.endLine = endLine;
    kept++;
    yield match;
  }
}

/** The same characters in a string of their own (not a view into the text it was matched in). */
export function detach(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/** Merges an id and its secret found close together into one pair finding (`LTAI…` + secret). */
function pairMatches(matches: SecretMatch[]): SecretMatch[] {
  const used = new Set<SecretMatch>();
  const pairs: SecretMatch[] = [];
  for (const a of matches) {
    const spec = a.rule.pair;
    if (!spec || used.has(a)) continue;
    const b = matches.find(
      (o) => o.id === spec.rule && !used.has(o) && Math.abs(o.line - a.line) <= spec.withinLines,
    );
    if (!b) continue;
    used.add(a);
    used.add(b);
    const pair: SecretMatch = {
      id: spec.id,
      rule: a.rule,
      title: spec.title,
      severity: spec.severity,
      line: Math.min(a.line, b.line),
      secrets: [...a.secrets, ...b.secrets],
    };
    const endLine = Math.max(a.endLine ?? a.line, b.endLine ?? b.line);
    if (endLine > pair.line) pair.endLine = endLine;
    pairs.push(pair);
  }
  return [...matches.filter((m) => !used.has(m)), ...pairs].sort((x, y) => x.line - y.line);
}

function applyBundles(matches: SecretMatch[], text: string): SecretMatch[] {
  return matches.map((m) => {
    const b = m.rule.bundle;
    if (!b || m.id !== m.rule.id || !text.includes(b.marker)) return m;
    return { ...m, id: b.id, title: m.title.replace(m.rule.title, b.title) };
  });
}

function dedupe(matches: SecretMatch[]): SecretMatch[] {
  const seen = new Set<string>();
  return matches.filter((m) => {
    const key = `${m.id}\u0000${m.line}\u0000${m.secrets.join('\u0000')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface LineIndex {
  /** 1-based line of a character offset. */
  lineAt(offset: number): number;
}

function createLineIndex(text: string): LineIndex {
  let starts: number[] | undefined;
  return {
    lineAt(offset: number): number {
      if (!starts) {
        starts = [0];
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      }
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}
