import type { Severity } from '../../types/finding.js';
import type { ContentRule, SecretRuleSet } from './rules.js';
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
): SecretMatch[] {
  const found = findKeywords(text, ruleSet);
  if (found.size === 0) return [];
  const lines = createLineIndex(text);
  const matches: SecretMatch[] = [];
  for (const rule of ruleSet.content) {
    if (!enabled(rule) || !rule.keywords.some((k) => found.has(k))) continue;
    if (rule.paths && !(path !== undefined && rule.paths.some((p) => p.test(path)))) continue;
    matches.push(...runRule(rule, text, lines));
  }
  return dedupe(applyBundles(pairMatches(matches), text));
}

function findKeywords(text: string, ruleSet: SecretRuleSet): Set<string> {
  const lower = text.toLowerCase();
  const found = new Set<string>();
  const re = ruleSet.keywordRegex;
  re.lastIndex = 0;
  for (let m = re.exec(lower); m !== null; m = re.exec(lower)) {
    for (const k of ruleSet.keywordClosure.get(m[0]) ?? []) found.add(k);
    re.lastIndex = m.index + 1; // overlapping keywords (`ab` in `xab`, `abc`) are found too
  }
  return found;
}

function runRule(rule: ContentRule, text: string, lines: LineIndex): SecretMatch[] {
  const out: SecretMatch[] = [];
  const re = rule.regex;
  re.lastIndex = 0;
  let attempts = 0;
  for (let m = re.exec(text); m !== null && out.length < MAX_MATCHES_PER_RULE; m = re.exec(text)) {
    if (++attempts > MAX_ATTEMPTS_PER_RULE) break;
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
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
      secrets: [secret],
    };
    const endLine = lines.lineAt(endIndex ?? m.index + m[0].length - 1);
    if (endLine > line) match.endLine = endLine;
    out.push(match);
  }
  return out;
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
