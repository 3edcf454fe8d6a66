import type { Finding, RiskType } from '../types/finding.js';

export const TYPE_TITLES: Record<RiskType, string> = {
  vulnerability: 'Vulnerabilities',
  'sensitive-file': 'Sensitive files',
  'malicious-sample': 'Malicious samples',
  baseline: 'Baseline risks',
  'build-instruction': 'Build-instruction risks',
};

/**
 * Removes control characters (ANSI escapes, CR, NUL…) from data before it reaches a terminal or a document:
 * titles and paths come from images and advisories, which an attacker may control.
 */
export function toPlainText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
}

/** Where a finding is, for humans: `/app/.env:1`, `Dockerfile:7`, `config.User`. */
export function toLocationText(f: Finding): string {
  const l = f.location;
  if (l.path !== undefined) return `${l.path}${l.line !== undefined ? `:${l.line}` : ''}`;
  return l.source ?? '';
}

/** Shortens long text on a character boundary with an ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

/** `sha256:3f1c6b8e1f2a` */
export function shortDigest(d: string | undefined): string {
  if (d === undefined) return '';
  const [alg, hex] = d.split(':');
  return hex === undefined ? d : `${alg}:${hex.slice(0, 12)}`;
}

/** A vulnerability's severity with the database that gave it: `high (nvd)`. */
export function toSeverityText(f: Finding, upper = false): string {
  const s = upper ? f.severity.toUpperCase() : f.severity;
  return f.severitySource !== undefined ? `${s} (${f.severitySource})` : s;
}

/** A finding's id with its aliases: `GO-2023-2102 (CVE-2023-39325, GHSA-4374-p667-p6c8)`. */
export function toIdText(f: Finding): string {
  const aliases = (f.aliases ?? []).filter((a) => a !== f.id);
  return aliases.length > 0 ? `${f.id} (${aliases.join(', ')})` : f.id;
}

/**
 * A vulnerable package for humans; a Go binary's packages (the standard library above all) name the binary
 * that carries them, since one image may hold many: `stdlib (/usr/local/bin/registry)`.
 */
export function toPackageText(f: Finding): string {
  const p = f.package;
  if (!p) return toLocationText(f);
  const path = f.location.path;
  const inBinary = p.ecosystem === 'Go' && path !== undefined && !/(^|\/)go\.(mod|sum)$/.test(path);
  return inBinary ? `${p.name} (${path})` : p.name;
}
