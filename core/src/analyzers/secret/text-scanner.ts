import type { AnalyzerOptions } from '../analyzer.js';
import { ContentCache } from '../content-cache.js';
import { isSecretRuleEnabled, type ContentRule, type SecretRuleSet } from './rules.js';
import { createKeywordFinder, mayMatch, scanText, type SecretMatch } from './scan-text.js';

/** Runs the content rules over one file's text; `digest` (its SHA-256) lets a repeated text reuse the answer. */
export type TextScanner = (
  text: Buffer,
  path: string,
  options: AnalyzerOptions,
  digest?: Buffer,
) => readonly SecretMatch[];

const scanners = new WeakMap<SecretRuleSet, TextScanner>();

/** The text scanner of a rule set: one cache and one keyword automaton per rule set, whoever scans with it. */
export function textScannerFor(rules: SecretRuleSet): TextScanner {
  let scanner = scanners.get(rules);
  if (!scanner) scanners.set(rules, (scanner = createTextScanner(rules)));
  return scanner;
}

/**
 * `scanText` behind a content cache. What a text yields depends on its bytes, on which rules are on (the
 * policy's `scanners.secret`) and, for rules limited to some paths, on which of those the path is in: all
 * three make the key, so a cached answer is exactly the one a new run would give.
 */
function createTextScanner(rules: SecretRuleSet): TextScanner {
  const cache = new ContentCache<SecretMatch>();
  const pathLimited = rules.content.filter((r) => r.paths);
  const keywordsIn = createKeywordFinder(rules);
  const run = (text: Buffer, path: string, options: AnalyzerOptions): readonly SecretMatch[] => {
    const opts = options.secret;
    // most texts hold no keyword at all: they are never decoded
    const hits = keywordsIn(text);
    if (hits?.found.size === 0) return [];
    const enabled = (r: ContentRule): boolean => isSecretRuleEnabled(r, opts);
    // keywords but no candidate near them (most texts with one): not decoded
    if (hits && !mayMatch(text, path, rules, enabled, hits)) return [];
    return scanText(text.toString('utf8'), path, rules, enabled, hits);
  };
  return (text, path, options, digest) => {
    if (!digest) return run(text, path, options);
    let variant = options.secret ? JSON.stringify(options.secret) : '';
    if (pathLimited.some((r) => r.paths?.some((p) => p.test(path))))
      for (const r of pathLimited) variant += r.paths?.some((p) => p.test(path)) ? '1' : '0';
    return cache.getOrCompute(digest, variant, () => run(text, path, options));
  };
}
