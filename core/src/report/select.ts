import type { Finding, RiskType } from '../types/finding.js';
import { RISK_TYPES, severityRank } from '../types/finding.js';
import type { RenderOptions } from './options.js';

/** The findings a report shows, in the evaluation's order. */
export function selectFindings(
  findings: Finding[],
  opts: RenderOptions,
  suppressedByDefault: boolean,
): Finding[] {
  const includeSuppressed = opts.includeSuppressed ?? suppressedByDefault;
  const min = opts.severity === undefined ? 0 : severityRank(opts.severity);
  return findings.filter(
    (f) => (includeSuppressed || f.suppressedBy === undefined) && severityRank(f.severity) >= min,
  );
}

/** Stable display order: by type, most severe first, then id and location. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      RISK_TYPES.indexOf(a.type) - RISK_TYPES.indexOf(b.type) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      cmp(a.id, b.id) ||
      cmp(a.package?.name ?? '', b.package?.name ?? '') ||
      cmp(a.location.path ?? a.location.source ?? '', b.location.path ?? b.location.source ?? '') ||
      (a.location.line ?? 0) - (b.location.line ?? 0),
  );
}

/** Findings grouped by risk type, in RISK_TYPES order, empty groups left out. */
export function groupByType(findings: Finding[]): [RiskType, Finding[]][] {
  return RISK_TYPES.map((t): [RiskType, Finding[]] => [t, findings.filter((f) => f.type === t)]).filter(
    ([, fs]) => fs.length > 0,
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
