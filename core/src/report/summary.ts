import type { RiskType, Severity } from '../types/finding.js';
import { RISK_TYPES, SEVERITIES } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { TYPE_TITLES } from './text.js';

/** Rows of the counts table shared by table and markdown: one per type with findings, plus total. */
export function toCountRows(evaluation: Evaluation): { label: string; counts: number[]; total: number }[] {
  const active = evaluation.findings.filter((f) => f.suppressedBy === undefined);
  const rows = RISK_TYPES.map((t: RiskType) => {
    const fs = active.filter((f) => f.type === t);
    return {
      label: TYPE_TITLES[t],
      counts: SEVERITIES.map((s: Severity) => fs.filter((f) => f.severity === s).length),
      total: fs.length,
    };
  }).filter((r) => r.total > 0);
  return rows;
}

/** `debian 12.8 · 4 packages · DB 2026-11-25T03:00:00Z` */
export function toImageLine(scan: ScanResult): string {
  // `portcullis dockerfile` checks a file, not an image: no OS or package count to speak of
  if (isDockerfileOnly(scan)) return `Dockerfile ${scan.dockerfile ?? ''} · checked ${scan.scannedAt}`;
  return [
    scan.image.os ? `${scan.image.os.family} ${scan.image.os.version}` : 'OS unknown',
    `${scan.packages.length} package${scan.packages.length === 1 ? '' : 's'}`,
    scan.db?.builtAt !== undefined ? `DB built ${scan.db.builtAt}` : undefined,
    `scanned ${scan.scannedAt}`,
  ]
    .filter((s): s is string => s !== undefined)
    .join(' · ');
}

/** A result of `portcullis dockerfile`: a Dockerfile checked on its own, no image read (no config, no layers). */
export function isDockerfileOnly(scan: ScanResult): boolean {
  return scan.dockerfile !== undefined && scan.image.configDigest === '' && scan.image.layers.length === 0;
}
