import type { Severity } from '../types/finding.js';

/** Every report format `renderReport` writes. */
export type ReportFormat = 'table' | 'json' | 'sarif' | 'gitlab' | 'codequality' | 'cyclonedx' | 'markdown';

export const REPORT_FORMATS: readonly ReportFormat[] = [
  'table',
  'json',
  'sarif',
  'gitlab',
  'codequality',
  'cyclonedx',
  'markdown',
];

/**
 * Inputs of a report that are not scan data. Clock and ids are injected so output is byte-stable in tests.
 * What is *reported* (severity filter, suppressed findings) never changes the verdict.
 */
export interface RenderOptions {
  now: Date;
  /** Returns a fresh UUID (v4 in production, a counter in tests). */
  newId: () => string;
  /** ANSI colours in `table` (on a TTY). */
  color?: boolean;
  toolVersion: string;
  /** Report only findings at or above this severity (`unknown` reports everything). */
  severity?: Severity;
  /**
   * Include suppressed findings. Default: true for json, sarif (as SARIF suppressions), cyclonedx (as VEX
   * analysis), table and markdown (a separate section); false for gitlab and codequality, which cannot mark them.
   */
  includeSuppressed?: boolean;
  /**
   * codequality only: the policy file as a repository-relative path; policy warnings (an exception about to
   * expire) are located there. Default `portcullis.yaml`, the documented name.
   */
  policyPath?: string;
  /** markdown only: cap on the output size in characters (default 60,000, under GitHub's 65,536 comment limit). */
  maxChars?: number;
}

/** True for a format name `renderReport` accepts. */
export function isReportFormat(s: string): s is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(s);
}
