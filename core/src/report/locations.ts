import { createHash } from 'node:crypto';
import type { Finding } from '../types/finding.js';
import type { ScanResult } from '../types/scan.js';

/**
 * Where machine-readable reports (SARIF, Code Quality) put a finding. GitHub and GitLab want repository-relative
 * paths, but most findings live inside the image, so:
 * - Dockerfile findings: the Dockerfile's repository path (`scan.dockerfile`) and their lines;
 * - files in the image: the in-image path without its leading `/` (`app/.env`), relative to the base
 *   `IMAGE` (SARIF `uriBaseId`, described as `file:///` of the image);
 * - image metadata (config, history): `.image/<source>` (`.image/config.User`, `.image/history/1`), line 1.
 * The scheme is stable across runs, so fingerprints are too.
 */
export interface ReportLocation {
  uri: string;
  inImage: boolean;
  startLine: number;
  endLine?: number;
}

export const IMAGE_URI_BASE = 'IMAGE';

export function isDockerfileFinding(f: Finding, scan: ScanResult): boolean {
  const p = f.location.path;
  if (p === undefined) return false;
  if (scan.dockerfile !== undefined && p === scan.dockerfile) return true;
  return f.type === 'build-instruction' && !p.startsWith('/');
}

export function toReportLocation(f: Finding, scan: ScanResult): ReportLocation {
  const l = f.location;
  // SARIF and Code Quality lines are 1-based integers; anything else from an analyzer becomes line 1.
  const start = Number.isInteger(l.line) && (l.line ?? 0) >= 1 ? (l.line as number) : 1;
  const lines = {
    startLine: start,
    ...(Number.isInteger(l.endLine) && (l.endLine ?? 0) >= start && { endLine: l.endLine as number }),
  };
  // never absolute, whatever a caller passed: Code Quality refuses it and no viewer can open it
  if (isDockerfileFinding(f, scan))
    return { uri: encodePath((l.path ?? 'Dockerfile').replace(/^\/+/, '')), inImage: false, ...lines };
  if (l.path !== undefined) return { uri: encodePath(l.path.replace(/^\/+/, '')), inImage: true, ...lines };
  const source = (l.source ?? 'image').replace(/\[(\d+)\]/g, '/$1');
  return { uri: encodePath(`.image/${source}`), inImage: true, startLine: 1 };
}

function encodePath(p: string): string {
  return p
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/**
 * A fingerprint that survives re-runs and line shifts elsewhere: rule, finding id, package and location.
 * Deliberately excludes evidence (redacted text may change with the redactor) and severity (DB updates).
 */
export function toFingerprint(f: Finding, scan: ScanResult): string {
  const loc = toReportLocation(f, scan);
  const parts = [f.ruleId ?? f.id, f.id, f.package?.purl ?? '', loc.uri, String(loc.startLine)];
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}
