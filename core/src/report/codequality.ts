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

/**
 * GitLab Code Quality (CodeClimate subset): every non-vulnerability finding, Dockerfile findings on their lines,
 * image findings on the paths `locations.ts` describes. Vulnerabilities go to the container-scanning report.
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
  return `${JSON.stringify(issues, null, 2)}\n`;
}
