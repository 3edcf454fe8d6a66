export type RiskType =
  'vulnerability' | 'sensitive-file' | 'malicious-sample' | 'baseline' | 'build-instruction';

export const RISK_TYPES: readonly RiskType[] = [
  'vulnerability',
  'sensitive-file',
  'malicious-sample',
  'baseline',
  'build-instruction',
];

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

/** Highest first; index gives the rank used by gates. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export function severityRank(s: Severity): number {
  // critical 4 … low 1, unknown 0
  return { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 }[s];
}

export interface FindingLocation {
  layerDigest?: string;
  path?: string;
  /** 1-based line in the file (or Dockerfile). */
  line?: number;
  endLine?: number;
  /** Where the finding came from when it is not a file: `config.Env`, `config.Labels`, `history[3]`. */
  source?: string;
}

export interface FindingPackage {
  name: string;
  version: string;
  fixedVersion?: string;
  ecosystem: string;
  purl: string;
  type?: string;
  sourceName?: string;
}

export interface Finding {
  type: RiskType;
  /** Vulnerability id (`GHSA-…`, `CVE-…`) or rule id (`PCS-SECRET-AWS-SECRET-ACCESS-KEY`, `DS002`). */
  id: string;
  /** Stable rule id for rule-based findings (equal to id for most). */
  ruleId?: string;
  severity: Severity;
  title: string;
  description?: string;
  location: FindingLocation;
  package?: FindingPackage;
  /** Always redacted: never a secret value. */
  evidence?: string;
  remediation?: string;
  /** CVE and other aliases of a vulnerability. */
  aliases?: string[];
  /**
   * Which database gave a vulnerability's severity: its own (`go`, `pysec`, `rustsec`, `debian`, `ghsa`…),
   * or an alias's (`ghsa`, `nvd`) when its own has none. Absent when the severity is unknown.
   */
  severitySource?: string;
  /** All fixed versions known for a vulnerability. */
  fixedVersions?: string[];
  /** CVSS vectors, when known. */
  cvss?: { type: string; vector: string; score?: number }[];
  references?: string[];
  /** True when the file was deleted or overwritten by a later layer (still present in the image). */
  hidden?: boolean;
  /** Set by policy evaluation: the exception entry that suppressed it. */
  suppressedBy?: SuppressionRef;
}

export interface SuppressionRef {
  /** Index of the exception entry in the policy, and its selector summary. */
  index: number;
  reason: string;
  owner?: string;
  ticket?: string;
  expires?: string;
}

/** A non-fatal condition that travels with a result and is shown to the user. */
export interface Note {
  code: string;
  message: string;
  path?: string;
  layerDigest?: string;
}
