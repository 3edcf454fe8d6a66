export { matchPackages } from './match.js';
export type { MatchOptions, MatchResult } from './match.js';
export { evaluateAffected, isInRange } from './range.js';
export type { AffectedVerdict } from './range.js';
export { toSeverity, toSeverityFromScore, toCvssScores } from './severity.js';
export type { CvssScore } from './severity.js';
export { toCvss3BaseScore, toCvss4Score, toCvss2Score } from './cvss.js';
export { isDbStale } from './stale.js';
