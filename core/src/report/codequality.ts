import { createHash } from 'node:crypto';
import type { Severity } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { toFingerprint, toReportLocation } from './locations.js';
import type { RenderOptions } from './options.js';
import { selectFindings, sortFindings } from './select.js';
import { truncate } from './text.js';

const SEVERITY: Record<Severity, string> = {
  critical: 'blocker',
  high: 'critical',
  medium: 'major',
  low: 'minor',
  unknown: 'info',
};

/** Where policy warnings are located when the caller does not name the policy file. */
export const DEFAULT_POLICY_PATH = 'portcullis.yaml';

/** `exception #2 (/opt/miner/*) expires 2026-12-05 (in 8 days); …` as the policy evaluator words it. */
const EXCEPTION_WARNING = /^exception (#\d+.*?) (expires|expired) (\S*)/;

/**
 * Exception warnings as `info` issues at the policy file (line 1: the report does not know the entry's line).
 * The fingerprint is the entry, its expiry date and whether it expired, not the wording: the daily countdown
 * and the suppressed count change without the issue changing.
 */
function toPolicyIssues(evaluation: Evaluation, opts: RenderOptions): Record<string, unknown>[] {
  const path = opts.policyPath ?? DEFAULT_POLICY_PATH;
  return evaluation.verdict.warnings.flatMap((w) => {
    const m = EXCEPTION_WARNING.exec(w);
    if (!m) return [];
    const kind = m[2] === 'expires' ? 'expiring' : 'expired';
    const key = ['policy-exception', kind, path, m[1] ?? '', m[3] ?? ''].join('\0');
    return [
      {
        type: 'issue',
        check_name: `portcullis-policy-exception-${kind}`,
        description: truncate(w, 1000),
        categories: ['Security'],
        severity: 'info',
        fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 32),
        location: { path, lines: { begin: 1 } },
      },
    ];
  });
}

/**
 * GitLab Code Quality (CodeClimate subset): every non-vulnerability finding, Dockerfile findings on their lines,
 * image findings on the paths `locations.ts` describes, and exceptions expiring within the warning window (or
 * expired) as `info` issues at the policy file. Vulnerabilities go to the container-scanning report.
 */
export function renderCodeQuality(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  const issues = sortFindings(selectFindings(evaluation.findings, opts, false))
    .filter((f) => f.type !== 'vulnerability')
    .map((f) => {
      const loc = toReportLocation(f, scan);
      const where = f.location.path ?? f.location.source;
      return {
        type: 'issue',
        check_name: f.ruleId ?? f.id,
        description: truncate(
          `${f.title || f.id}${where !== undefined && loc.inImage ? ` (${where} in ${scan.image.ref})` : ''}${f.evidence !== undefined ? `: ${f.evidence}` : ''}`,
          1000,
        ),
        categories: ['Security'],
        severity: SEVERITY[f.severity],
        fingerprint: toFingerprint(f, scan).slice(0, 32),
        location: {
          path: decodeURIComponent(loc.uri),
          lines: { begin: loc.startLine, ...(loc.endLine !== undefined && { end: loc.endLine }) },
        },
      };
    });
  return `${JSON.stringify([...issues, ...toPolicyIssues(evaluation, opts)], null, 2)}\n`;
}
