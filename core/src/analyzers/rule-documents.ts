import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Yaml from 'yaml';
import { PortcullisError, type Problem } from '../errors.js';

/** Name of the file the CLI bundle carries next to its chunks: built-in rule YAML, parsed at build time. */
export const PREBUILT_RULES_FILE = 'rules-yaml.json';

const require = createRequire(import.meta.url);
let prebuilt: Record<string, string> | null | undefined;
let yaml: typeof Yaml | undefined;

/**
 * YAML → data for a rule file. The CLI bundle carries the built-in files already parsed
 * (`rules-yaml.json`: sha256 of the text → its data as JSON), so a scan neither loads the YAML parser nor
 * parses the rules; any other text (a user's rules, an edited file) is parsed as YAML. Keyed by content,
 * the prebuilt data can never be stale.
 */
function parseRuleYaml(text: string): unknown {
  if (prebuilt === undefined) {
    try {
      prebuilt = JSON.parse(
        readFileSync(new URL(`./${PREBUILT_RULES_FILE}`, import.meta.url), 'utf8'),
      ) as Record<string, string>;
    } catch {
      prebuilt = null;
    }
  }
  const json = prebuilt?.[createHash('sha256').update(text).digest('hex')];
  if (json !== undefined) return JSON.parse(json) as unknown;
  yaml ??= require('yaml') as typeof Yaml;
  return yaml.parse(text);
}

/** One rule data file, already read. */
export interface RuleDocument {
  source: string;
  text: string;
}

/**
 * Parses rule data files (`rules: [...]`) into rules, collecting every problem (YAML, shape, duplicate ids,
 * and whatever `toRule` and `check` report) before throwing ANALYZER_RULES_INVALID once.
 */
export function parseRuleDocuments<R extends { id: string }>(
  docs: readonly RuleDocument[],
  what: string,
  toRule: (raw: unknown, at: string, problems: Problem[]) => R | undefined,
  check: (rules: R[], problems: Problem[]) => void = () => undefined,
): R[] {
  const problems: Problem[] = [];
  const rules: R[] = [];
  const seen = new Set<string>();
  for (const doc of docs) {
    let data: unknown;
    try {
      data = parseRuleYaml(doc.text);
    } catch (err) {
      problems.push({ path: doc.source, message: `not YAML: ${(err as Error).message}` });
      continue;
    }
    const list = (data as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(list)) {
      problems.push({ path: doc.source, message: 'expected a top-level "rules" list' });
      continue;
    }
    list.forEach((raw: unknown, i) => {
      const at = `${doc.source}#/rules/${i}`;
      const rule = toRule(raw, at, problems);
      if (!rule) return;
      if (seen.has(rule.id)) problems.push({ path: at, message: `duplicate rule id ${rule.id}` });
      seen.add(rule.id);
      rules.push(rule);
    });
  }
  check(rules, problems);
  if (problems.length > 0) {
    throw new PortcullisError(
      'ANALYZER_RULES_INVALID',
      `invalid ${what} rules: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { problems },
    );
  }
  return rules;
}

/**
 * The built-in rule directory `core/rules/NAME/`, found from the URL of the module asking: the sources
 * (`core/src/analyzers/<kind>/`), the tsc output (`dist/core/src/analyzers/<kind>/`) and the CLI bundle
 * (`dist/cli/`) all sit at a known depth below the project root.
 */
export function locateRulesDir(moduleUrl: string, name: string): string {
  const candidates = ['../../../rules/', '../../../../../core/rules/', '../../core/rules/'].map((p) =>
    fileURLToPath(new URL(`${p}${name}/`, moduleUrl)),
  );
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}
