import { parseDockerfile } from '../../dockerfile/index.js';
import type { DockerfileAst } from '../../dockerfile/index.js';
import { wrapError } from '../../errors.js';
import type { Finding } from '../../types/finding.js';
import { evaluateDockerfileRules } from './dockerfile-rules.js';
import { toEvidence } from './redact.js';
import { BUILD_RULES } from './rules.js';
import type { BuildRule } from './rules.js';

/** Options for `analyzeDockerfile`. */
export interface AnalyzeDockerfileOptions {
  /** `--build-arg` values, overriding `ARG` defaults. */
  buildArgs?: Readonly<Record<string, string>>;
  /** Rule ids to skip (`DS026`, `PCS-BUILD-PKG-UNPINNED`). */
  skipRules?: readonly string[];
}

/**
 * Parses a Dockerfile and returns its build-instruction findings, each located at the instruction's
 * lines. Throws `DOCKERFILE_PARSE_FAILED` (with the line) when the file cannot be parsed.
 */
export function analyzeDockerfile(
  text: string,
  path: string,
  options: AnalyzeDockerfileOptions = {},
): Finding[] {
  let ast: DockerfileAst;
  try {
    ast = parseDockerfile(text, options.buildArgs === undefined ? {} : { buildArgs: options.buildArgs });
  } catch (err) {
    throw wrapError(err, `parsing ${path}`, 'DOCKERFILE_PARSE_FAILED');
  }
  return evaluateDockerfileAst(ast, path, options);
}

/** Rule evaluation on an already parsed Dockerfile. */
export function evaluateDockerfileAst(
  ast: DockerfileAst,
  path: string,
  options: Pick<AnalyzeDockerfileOptions, 'skipRules'> = {},
): Finding[] {
  const skip = new Set(options.skipRules ?? []);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const hit of evaluateDockerfileRules(ast)) {
    const rule: BuildRule = BUILD_RULES[hit.rule];
    if (skip.has(rule.id)) continue;
    const ins = hit.instruction;
    const evidence = hit.evidence ?? toEvidence(ins.original);
    // One finding per rule and instruction, except distinct secrets on one ENV/ARG line.
    const key = `${rule.id}:${ins.startLine}:${hit.evidence ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push({
      type: 'build-instruction',
      id: rule.id,
      ruleId: rule.id,
      severity: rule.severity,
      title: rule.title,
      description: hit.message,
      remediation: rule.remediation,
      location: { path, line: ins.startLine, endLine: ins.endLine },
      evidence,
      ...toAliases(rule.avdId, [...(hit.aliases ?? []), ...(hit.peers ?? rule.peers ?? [])]),
    });
  }
  return findings.sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0) || a.id.localeCompare(b.id));
}

function toAliases(avdId: string | undefined, extra: readonly string[] | undefined): { aliases?: string[] } {
  const aliases = [...(avdId === undefined ? [] : [avdId]), ...(extra ?? [])];
  return aliases.length > 0 ? { aliases: [...new Set(aliases)] } : {};
}
