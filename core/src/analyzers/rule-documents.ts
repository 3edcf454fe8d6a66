import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { PortcullisError, type Problem } from '../errors.js';

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
      data = parseYaml(doc.text);
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
