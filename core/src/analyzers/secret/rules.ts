import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PortcullisError, type Problem } from '../../errors.js';
import { SEVERITIES, type Severity } from '../../types/finding.js';
import type { AnalyzerOptions } from '../analyzer.js';
import { locateRulesDir, parseRuleDocuments, type RuleDocument } from '../rule-documents.js';
import { createKeywordRegex } from './keyword-trie.js';
import {
  boundMatchExtent,
  checkPatternSafety,
  keywordOffsetBound,
  requiredLiterals,
} from './pattern-safety.js';
import { VALIDATOR_NAMES, type ValidatorName } from './validators.js';
import { expandVendorRule, VENDOR_KEY_PREFIX, VENDOR_MIN_VALUE_LITERAL } from './vendor-rule.js';

/** Rule groups users select with `scanners.secret.items` (rule ids are accepted too). */
export type SecretCategory = 'private-key' | 'access-key' | 'token' | 'password' | 'credential-file';

export const SECRET_CATEGORIES: readonly SecretCategory[] = [
  'private-key',
  'access-key',
  'token',
  'password',
  'credential-file',
];

interface RuleBase {
  /** Stable id, also the finding id (`PCS-SECRET-AWS-SECRET-ACCESS-KEY`). */
  id: string;
  category: SecretCategory;
  title: string;
  severity: Severity;
  description?: string;
  remediation: string;
}

/** Two rules whose matches close together make one, more severe, finding (key id + secret). */
export interface PairSpec {
  rule: string;
  withinLines: number;
  id: string;
  title: string;
  severity: Severity;
}

/** A regular-expression rule run over file text (and image config strings). */
export interface ContentRule extends RuleBase {
  kind: 'content';
  /** Lower-case literals; the rule runs only when one occurs in the text. */
  keywords: string[];
  /** Global regex; the `secret` named group (or the whole match) is the secret value. */
  regex: RegExp;
  /** When set, the rule runs only on paths matching one of these. */
  paths?: RegExp[];
  minEntropy?: number;
  /** Skip template values (`${VAR}`, `<password>`, `changeme`, `xxxx`). */
  placeholders: boolean;
  /** Lower-case values that are never secrets for this rule. */
  allowValues: Set<string>;
  /** Values matching one of these are documentation or templates for this rule (`EXAMPLE$` for AWS). */
  allowPatterns?: RegExp[];
  /** Published documentation example values: reported at low severity. */
  examples: Set<string>;
  validate?: ValidatorName;
  pair?: PairSpec;
  /** A marker that, when present in the same file, turns the finding into another rule. */
  bundle?: { marker: string; id: string; title: string };
  /**
   * Set for vendor-context rules (derived from the template, never from rule data), and for rules whose
   * pattern provably has a keyword near the start of every match (`keywordOffsetBound`): every match contains
   * one of the keywords, starting at most `before` characters after the match's start, and ends at most
   * `after` characters after that keyword's start; lookarounds read at most `maxLook` characters beyond
   * the match. So the rule only needs to run around the keywords' occurrences (see `scan-text.ts`).
   */
  window?: KeywordWindow;
  /**
   * Lower-case literals one of which every match holds besides a keyword, derived for vendor-context rules
   * from the value's literal opening (`(live|test)_…` → `live_`, `test_`; never from rule data): the rule
   * runs only when one of them occurs too. `lob`, a keyword, is in every `global`; `live_` is not.
   */
  alsoNeeds?: string[];
  /**
   * Finding ids this rule produces besides its own (its pair's and bundle's, or the pair it is the second
   * half of): naming one of them in `scanners.secret.items` enables this rule.
   */
  emits?: string[];
}

/** Where a rule's matches can lie relative to its keywords (see `ContentRule.window`). */
export interface KeywordWindow {
  before: number;
  after: number;
  maxLook: number;
}

/** A rule that fires on a file's path alone (content only checked by an optional validator). */
export interface PathRule extends RuleBase {
  kind: 'path';
  path: RegExp;
  exclude?: RegExp;
  validate?: 'der';
}

export type SecretRule = ContentRule | PathRule;

/** Compiled rules plus the combined keyword prefilter. */
export interface SecretRuleSet {
  content: ContentRule[];
  paths: PathRule[];
  /** Every keyword in one trie-shaped regex (see createKeywordRegex). */
  keywordRegex: RegExp;
  /** Keyword → keywords it contains (found for free when it is found). */
  keywordClosure: Map<string, string[]>;
}

/** Which rules the policy's `scanners.secret` switches on. */
export function isSecretRuleEnabled(
  rule: { id: string; category: string; emits?: readonly string[] },
  options: AnalyzerOptions['secret'] | undefined,
): boolean {
  if (options?.accessKeyLeak === false && rule.category === 'access-key') return false;
  if (options?.passwordLeak === false && rule.category === 'password') return false;
  const items = options?.items;
  if (items && items.length > 0)
    return (
      items.includes(rule.category) ||
      items.includes(rule.id) ||
      (rule.emits ?? []).some((id) => items.includes(id))
    );
  return true;
}

/** Every name `scanners.secret.items` accepts: categories, rule ids and the ids pairs and bundles emit. */
export function toSecretItemNames(rules: SecretRuleSet): string[] {
  const names = new Set<string>(SECRET_CATEGORIES);
  for (const r of [...rules.content, ...rules.paths]) {
    names.add(r.id);
    for (const id of r.kind === 'content' ? (r.emits ?? []) : []) names.add(id);
  }
  return [...names];
}

/** Where the built-in rule data lives, found relative to this module (source, tsc and bundle layouts). */
export const DEFAULT_SECRET_RULES_DIR: string = locateRulesDir(import.meta.url, 'secrets');

/** Reads and compiles every `*.yaml` rule file of a directory. */
export function readSecretRules(dir: string = DEFAULT_SECRET_RULES_DIR): SecretRuleSet {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
  } catch (err) {
    throw new PortcullisError('ANALYZER_RULES_INVALID', `reading secret rules in ${dir}`, { cause: err });
  }
  return parseSecretRules(names.map((n) => ({ source: n, text: readFileSync(join(dir, n), 'utf8') })));
}

/** Parses rule documents (`rules: [...]`), collecting every problem before throwing once. */
export function parseSecretRules(docs: RuleDocument[]): SecretRuleSet {
  const rules = parseRuleDocuments(docs, 'secret', toRule, (all, problems) => {
    const content = all.filter((r): r is ContentRule => r.kind === 'content');
    for (const r of content) {
      if (r.pair && !content.some((o) => o.id === r.pair?.rule)) {
        problems.push({ path: r.id, message: `pair.rule ${r.pair.rule} is not a content rule` });
      }
    }
    for (const r of content) {
      const emits = [
        ...(r.pair ? [r.pair.id] : []),
        ...(r.bundle ? [r.bundle.id] : []),
        ...content.filter((o) => o.pair?.rule === r.id).map((o) => o.pair?.id as string),
      ];
      if (emits.length > 0) r.emits = emits;
    }
  });
  const content = rules.filter((r): r is ContentRule => r.kind === 'content');
  // the literals rules also need are found with the keywords, in the same pass
  const keywords = [...new Set(content.flatMap((r) => [...r.keywords, ...(r.alsoNeeds ?? [])]))].sort(
    (a, b) => b.length - a.length,
  );
  const keywordClosure = new Map(keywords.map((k) => [k, keywords.filter((o) => k.includes(o))]));
  const keywordRegex = createKeywordRegex(keywords);
  return {
    content,
    paths: rules.filter((r): r is PathRule => r.kind === 'path'),
    keywordRegex,
    keywordClosure,
  };
}

function toRule(raw: unknown, at: string, problems: Problem[]): SecretRule | undefined {
  const before = problems.length;
  const bad = (message: string): void => void problems.push({ path: at, message });
  if (typeof raw !== 'object' || raw === null) {
    bad('rule must be a mapping');
    return undefined;
  }
  const expanded = expandVendorRule(raw as Record<string, unknown>);
  if (typeof expanded === 'string') {
    bad(expanded);
    return undefined;
  }
  const r = expanded;
  const id = str(r.id);
  if (!id || !isSecretRuleId(id)) bad(`id must be ${ID_FORM}`);
  const category = str(r.category) as SecretCategory;
  if (!SECRET_CATEGORIES.includes(category)) bad(`category must be one of ${SECRET_CATEGORIES.join(', ')}`);
  const severity = str(r.severity) as Severity;
  if (!SEVERITIES.includes(severity)) bad(`severity must be one of ${SEVERITIES.join(', ')}`);
  const title = str(r.title);
  if (!title) bad('title is required');
  const remediation = str(r.remediation);
  if (!remediation) bad('remediation is required');
  const base = { id: id ?? '', category, severity, title: title ?? '', remediation: remediation ?? '' };
  const description = str(r.description);
  const withDescription = description ? { ...base, description } : base;

  if (r.path !== undefined) {
    const path = compile(r.path, 'i', 'path', bad);
    const exclude = r.exclude === undefined ? undefined : compile(r.exclude, 'i', 'exclude', bad);
    if (r.validate !== undefined && r.validate !== 'der') bad('path rules only support validate: der');
    if (problems.length > before || !path) return undefined;
    const rule: PathRule = { ...withDescription, kind: 'path', path };
    if (exclude) rule.exclude = exclude;
    if (r.validate === 'der') rule.validate = 'der';
    return rule;
  }

  const flags = str(r.flags) ?? '';
  if (!/^[ims]{0,3}$/.test(flags)) bad('flags may only use i, m, s');
  const regex = compile(r.pattern, `g${flags}`, 'pattern', bad);
  const keywords = strList(r.keywords, 'keywords', bad).map((k) => k.toLowerCase());
  if (keywords.length === 0) bad('content rules need at least one keyword');
  const paths =
    r.paths === undefined
      ? undefined
      : strList(r.paths, 'paths', bad).map((p) => compile(p, 'i', 'paths', bad));
  const allowPatterns =
    r.allowPatterns === undefined
      ? undefined
      : strList(r.allowPatterns, 'allowPatterns', bad).map((p) => compile(p, '', 'allowPatterns', bad));
  const validate = str(r.validate) as ValidatorName | undefined;
  if (validate !== undefined && !VALIDATOR_NAMES.includes(validate)) bad(`unknown validator ${validate}`);
  const minEntropy = r.minEntropy === undefined ? undefined : Number(r.minEntropy);
  if (minEntropy !== undefined && !(minEntropy >= 0 && minEntropy <= 8)) bad('minEntropy must be 0…8');
  const pair = toPair(r.pair, bad);
  const bundle = toBundle(r.bundle, bad);
  if (problems.length > before || !regex) return undefined;
  const rule: ContentRule = {
    ...withDescription,
    kind: 'content',
    keywords,
    regex,
    placeholders: r.placeholders === true,
    allowValues: new Set(strList(r.allowValues, 'allowValues', bad).map((v) => v.toLowerCase())),
    examples: new Set(strList(r.examples, 'examples', bad)),
  };
  if (paths) rule.paths = paths.filter((p): p is RegExp => p !== undefined);
  if (allowPatterns) rule.allowPatterns = allowPatterns.filter((p): p is RegExp => p !== undefined);
  if (minEntropy !== undefined) rule.minEntropy = minEntropy;
  if (validate) rule.validate = validate;
  if (pair) rule.pair = pair;
  if (bundle) rule.bundle = bundle;
  const vendor = (raw as { vendor?: { value?: unknown } }).vendor;
  if (vendor !== undefined) {
    const needs = requiredLiterals(String(vendor.value), VENDOR_MIN_VALUE_LITERAL);
    if (needs) rule.alsoNeeds = needs;
  }
  if (vendor !== undefined && !validate) {
    // the template's key is up to VENDOR_KEY_PREFIX identifier characters, then the name: what the
    // bound counts beyond those characters lies after the name's start
    const extent = boundMatchExtent(regex.source);
    if (extent)
      rule.window = {
        before: VENDOR_KEY_PREFIX,
        after: extent.maxLength - VENDOR_KEY_PREFIX,
        maxLook: extent.maxLook,
      };
  } else if (!validate) {
    // every match has a keyword starting at most `offset` characters in (proven from the pattern, see
    // keywordOffsetBound), and ends within its bounded length of the match's start
    const offset = keywordOffsetBound(regex.source, keywords);
    const extent = offset === undefined ? undefined : boundMatchExtent(regex.source);
    if (offset !== undefined && extent)
      rule.window = { before: offset, after: extent.maxLength, maxLook: extent.maxLook };
  }
  return rule;
}

const ID_FORM = 'PCS-SECRET-<UPPER-KEBAB> (PCS-SECRET-AWS-SECRET-ACCESS-KEY)';

/** Rule ids are finding ids users write into policy exceptions: one scheme for every Portcullis rule. */
function isSecretRuleId(id: string): boolean {
  return /^PCS-SECRET-[A-Z0-9]+(?:-[A-Z0-9]+)*$/.test(id) && id.length <= 92;
}

function toPair(raw: unknown, bad: (m: string) => void): PairSpec | undefined {
  if (raw === undefined) return undefined;
  const p = (raw ?? {}) as Record<string, unknown>;
  const spec = {
    rule: str(p.rule) ?? '',
    withinLines: Number(p.withinLines ?? 5),
    id: str(p.id) ?? '',
    title: str(p.title) ?? '',
    severity: str(p.severity) as Severity,
  };
  if (!spec.rule || !spec.id || !spec.title || !SEVERITIES.includes(spec.severity)) {
    bad('pair needs rule, id, title and severity');
  }
  if (spec.id && !isSecretRuleId(spec.id)) bad(`pair.id must be ${ID_FORM}`);
  if (!Number.isInteger(spec.withinLines) || spec.withinLines < 0)
    bad('pair.withinLines must be an integer ≥ 0');
  return spec;
}

function toBundle(raw: unknown, bad: (m: string) => void): ContentRule['bundle'] {
  if (raw === undefined) return undefined;
  const b = (raw ?? {}) as Record<string, unknown>;
  const spec = { marker: str(b.marker) ?? '', id: str(b.id) ?? '', title: str(b.title) ?? '' };
  if (!spec.marker || !spec.id || !spec.title) bad('bundle needs marker, id and title');
  if (spec.id && !isSecretRuleId(spec.id)) bad(`bundle.id must be ${ID_FORM}`);
  return spec;
}

function compile(raw: unknown, flags: string, field: string, bad: (m: string) => void): RegExp | undefined {
  if (typeof raw !== 'string' || raw === '') {
    bad(`${field} must be a non-empty string`);
    return undefined;
  }
  const unsafe = checkPatternSafety(raw);
  if (unsafe) {
    bad(`${field} is not backtracking-safe: ${unsafe}`);
    return undefined;
  }
  try {
    return new RegExp(raw, flags);
  } catch (err) {
    bad(`${field} does not compile: ${(err as Error).message}`);
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strList(v: unknown, field: string, bad: (m: string) => void): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    bad(`${field} must be a list of strings`);
    return [];
  }
  return v as string[];
}
