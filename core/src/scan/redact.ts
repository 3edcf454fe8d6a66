import { createRedactor, type Redactor } from '../analyzers/secret/redactor.js';
import type { ScanResult } from '../types/scan.js';

/**
 * Fields that hold only digests, ids, enums, numbers or vulnerability-DB data: skipped for speed (nothing in
 * them comes from the image's free text, and masking an id would break policy matching).
 */
const STRUCTURED_KEYS = new Set([
  'digest',
  'diffId',
  'configDigest',
  'layerDigest',
  'schemaVersion',
  'severity',
  'type',
  'scannedAt',
  'builtAt',
  'analyzers',
  'line',
  'endLine',
  'hidden',
  // from the vulnerability DB or derived from the package name and version (which are redacted)
  'id',
  'ruleId',
  'aliases',
  'ecosystem',
  'purl',
  'references',
  'cvss',
  'fixedVersions',
  'fixedVersion',
]);

/**
 * The one redaction step every scan result goes through before anything reads it: every string of the
 * result (history `createdBy`, evidence, titles, paths, ENV-derived text, notes, package fields) passes the
 * redactor, so no report format, store, push or log can print a secret the scan saw. Returns a new result;
 * the input is not changed.
 */
export function redactScanResult(scan: ScanResult, redactor: Redactor = createRedactor()): ScanResult {
  return redactValue(scan, redactor, '') as ScanResult;
}

/** The same step for a part of a result made outside a scan (Dockerfile findings, a pushed result's notes). */
export function redactPlainData<T>(value: T, redactor: Redactor = createRedactor()): T {
  return redactValue(value, redactor, '') as T;
}

function redactValue(value: unknown, redactor: Redactor, key: string): unknown {
  if (typeof value === 'string') return STRUCTURED_KEYS.has(key) ? value : redactor(value);
  if (Array.isArray(value)) {
    // a loop, not map with a spread: results hold hundreds of thousands of findings
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = redactValue(value[i], redactor, key);
    return out;
  }
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    if (STRUCTURED_KEYS.has(key)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, redactor, k);
    return out;
  }
  return value;
}
