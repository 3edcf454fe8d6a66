import type { Severity } from '../types/index.js';
import type { OsvSeverity } from '../vulndb/index.js';
import { toCvss2Score, toCvss3BaseScore, toCvss4Score } from './cvss.js';

/** A CVSS vector with its computed score. */
export interface CvssScore {
  type: string;
  vector: string;
  score?: number;
}

/** Qualitative rating of a CVSS score (v3/v4 bands; 0.0 "none" counts as low). */
export function toSeverityFromScore(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

const WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

function toSeverityFromWord(word: unknown): Severity | undefined {
  return typeof word === 'string' ? WORDS[word.toLowerCase()] : undefined;
}

export function toCvssScores(severity: OsvSeverity[] | undefined): CvssScore[] {
  const out: CvssScore[] = [];
  for (const s of severity ?? []) {
    if (typeof s?.score !== 'string') continue;
    if (s.type === 'CVSS_V3') out.push({ type: s.type, vector: s.score, score: toCvss3BaseScore(s.score) });
    else if (s.type === 'CVSS_V4') out.push({ type: s.type, vector: s.score, score: toCvss4Score(s.score) });
    else if (s.type === 'CVSS_V2') out.push({ type: s.type, vector: s.score, score: toCvss2Score(s.score) });
  }
  return out;
}

const PREFERENCE = ['CVSS_V4', 'CVSS_V3', 'CVSS_V2'];

/**
 * The severity of a vulnerability for one package: the distribution's own rating (`Ubuntu` type,
 * `database_specific.severity`) first, else the newest CVSS version with a valid vector, else unknown.
 * Per-package severity (affected[].severity) overrides the record's.
 */
export function toSeverity(input: {
  recordSeverity?: OsvSeverity[];
  affectedSeverity?: OsvSeverity[];
  databaseSpecific?: Record<string, unknown>;
  affectedDatabaseSpecific?: Record<string, unknown>;
  ecosystemSpecific?: Record<string, unknown>;
}): { severity: Severity; cvss: CvssScore[] } {
  const own = input.affectedSeverity?.length ? input.affectedSeverity : input.recordSeverity;
  const cvss = toCvssScores(own);
  const ubuntu = own?.find((s) => s.type === 'Ubuntu');
  const word =
    toSeverityFromWord(ubuntu?.score) ??
    toSeverityFromWord(input.ecosystemSpecific?.severity) ??
    toSeverityFromWord(input.affectedDatabaseSpecific?.severity) ??
    toSeverityFromWord(input.databaseSpecific?.severity);
  if (word) return { severity: word, cvss };
  for (const type of PREFERENCE) {
    const hit = cvss.find((c) => c.type === type && c.score !== undefined);
    if (hit?.score !== undefined) return { severity: toSeverityFromScore(hit.score), cvss };
  }
  return { severity: 'unknown', cvss };
}
