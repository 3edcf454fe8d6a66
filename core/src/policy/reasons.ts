import type { Finding, RiskType, Severity } from '../types/finding.js';
import { RISK_TYPES, severityRank } from '../types/finding.js';

const TYPE_LABEL: Record<RiskType, [string, string]> = {
  vulnerability: ['vulnerability', 'vulnerabilities'],
  'sensitive-file': ['sensitive file', 'sensitive files'],
  'malicious-sample': ['malicious sample', 'malicious samples'],
  baseline: ['baseline risk', 'baseline risks'],
  'build-instruction': ['build-instruction risk', 'build-instruction risks'],
};

/** `vulnerability` / `vulnerabilities` etc. */
export function toTypeLabel(type: RiskType, n: number): string {
  return TYPE_LABEL[type][n === 1 ? 0 : 1];
}

/** How one finding is named in a reason: `CVE-2023-1 in openssl`, `PCS-SECRET-AWS at /app/.env`. */
export function toFindingLabel(f: Finding): string {
  if (f.package) return `${f.id} in ${f.package.name}`;
  if (f.location.path !== undefined) {
    return `${f.id} at ${f.location.path}${f.location.line !== undefined ? `:${f.location.line}` : ''}`;
  }
  if (f.location.source !== undefined) return `${f.id} in ${f.location.source}`;
  return f.id;
}

const MAX_LISTED = 3;

/**
 * Groups the findings that tripped a gate by severity and type, most severe first:
 * `2 critical vulnerabilities: CVE-… in openssl, CVE-… in zlib (deny ≥ high)`.
 */
export function toGateReasons(
  hits: Finding[],
  gate: 'deny' | 'warn',
  thresholdOf: (t: RiskType) => string,
): string[] {
  const groups = new Map<string, Finding[]>();
  for (const f of hits) {
    const k = `${f.severity}\0${f.type}`;
    const g = groups.get(k) ?? [];
    g.push(f);
    groups.set(k, g);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [sa, ta] = a.split('\0') as [Severity, RiskType];
    const [sb, tb] = b.split('\0') as [Severity, RiskType];
    return severityRank(sb) - severityRank(sa) || RISK_TYPES.indexOf(ta) - RISK_TYPES.indexOf(tb);
  });
  return keys.map((k) => {
    const [sev, type] = k.split('\0') as [Severity, RiskType];
    const fs = groups.get(k) ?? [];
    const labels = [...new Set(fs.map(toFindingLabel))];
    const shown = labels.slice(0, MAX_LISTED).join(', ');
    const more = labels.length > MAX_LISTED ? ` and ${labels.length - MAX_LISTED} more` : '';
    return `${fs.length} ${sev} ${toTypeLabel(type, fs.length)}: ${shown}${more} (${gate} ≥ ${thresholdOf(type)})`;
  });
}
