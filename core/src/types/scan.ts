import type { Finding, Note, RiskType, Severity } from './finding.js';
import type { Package } from './package.js';

/** The result of one scan, before policy. Plain data: it is stored (webhook verdict store) and reported. */
export interface ScanResult {
  schemaVersion: 1;
  image: {
    /** Reference as given (normalised for registry references). */
    ref: string;
    /** Manifest digest, when known. */
    digest?: string;
    configDigest: string;
    os?: { family: string; version: string };
    platform?: { os: string; architecture: string; variant?: string };
    layers: { digest: string; diffId?: string; createdBy?: string }[];
  };
  packages: Package[];
  /** Every finding, unsuppressed: suppression is the policy's job, at decision time. */
  findings: Finding[];
  notes: Note[];
  /** Vulnerability DB the scan matched against. */
  db?: { builtAt?: string; path?: string };
  /** Analyzer name → version, part of cache keys. */
  analyzers: Record<string, number>;
  /** ISO 8601 time the scan finished. */
  scannedAt: string;
  /** Dockerfile scanned alongside, repository-relative, when any. */
  dockerfile?: string;
}

export type Decision = 'allow' | 'warn' | 'deny';

export interface VerdictCounts {
  byType: Partial<Record<RiskType, number>>;
  bySeverity: Partial<Record<Severity, number>>;
  suppressed: number;
}

export interface Verdict {
  imageDigest?: string;
  imageRef?: string;
  decision: Decision;
  /** Human reasons, most important first (`3 critical vulnerabilities (deny ≥ high)`). */
  reasons: string[];
  /** Warnings: expiring exceptions, stale DB, notes that matter. */
  warnings: string[];
  counts: VerdictCounts;
  /** sha256 of the canonical policy document. */
  policyDigest: string;
  dbBuiltAt?: string;
  analyzerVersions: Record<string, number>;
  scannedAt: string;
  /** When the verdict was computed. */
  evaluatedAt: string;
}

/** Findings with suppression marked, plus the verdict. */
export interface Evaluation {
  findings: Finding[];
  verdict: Verdict;
  /** Notes about the policy itself in this evaluation (`POLICY_EXCEPTION_UNUSED`). */
  notes?: Note[];
}
