import type { Finding } from '../types/finding.js';
import type { ScanResult } from '../types/scan.js';

/** How a stored scan got here. */
export type ScanOrigin = 'scanner' | 'push-jws' | 'push-oidc';

/** One scan result stored per image manifest digest. Findings are kept, not decisions: the policy is applied at admission time. */
export interface StoredScan {
  digest: string;
  scan: ScanResult;
  /** When the scan finished (ScanResult.scannedAt), the basis of the max-verdict-age check. */
  scannedAt: string;
  /** When it was stored here. */
  storedAt: string;
  origin: ScanOrigin;
  /** Who pushed it: key id, or `issuer#repository@ref` for OIDC pushes. */
  pushedBy?: string;
}

/**
 * The webhook's only state. Implementations: memory (tests), SQLite (embedded default, survives restarts),
 * Redis (shared by replicas). Every method may reject (store down); callers apply the failure mode.
 */
export interface VerdictStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  get(digest: string): Promise<StoredScan | undefined>;
  put(entry: StoredScan): Promise<void>;
  /** Every stored result (the scan service's image list, reverse index and re-matching read it). */
  list(): Promise<StoredScan[]>;
  /**
   * Every stored result as its projection (`scan` is `toScanProjection(result)`): what policy evaluation and the
   * image lists read, without the package inventory and bulky evidence. Written by `put` beside the result, so
   * a list of 10,000 images parses a fraction of the bytes. Read the full result with `get`.
   */
  listProjections(): Promise<StoredScan[]>;
  /**
   * The reverse index (`affected`): for each stored result with a vulnerability finding whose id or one of its
   * aliases is `id` (case-insensitive), the image and the packages that carry it. Read from a per-advisory index
   * that `put` maintains (a replaced result leaves no stale entry), never by scanning every result.
   */
  findByAdvisory(id: string): Promise<AdvisoryHit[]>;
  /**
   * Records `key` once for `ttlSeconds`; resolves false when it was already recorded (token replay).
   * Kept in the store so every replica sees the same used token ids.
   */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Deletes results stored (last seen) before `cutoff` (RFC 3339): registry scans store every image they see
   * again, so this is the vulnerability retention. Resolves to how many were deleted.
   */
  deleteStoredBefore(cutoff: string): Promise<number>;
  /**
   * Keeps one named snapshot (`body`, opaque JSON text) with the time it was saved, replacing the previous one
   * of that name: a derived view (the console's image index) that a restarted process can serve at once while
   * it rebuilds the view from the results. Never a source of truth.
   */
  saveSnapshot(name: string, body: string): Promise<void>;
  /** The snapshot last saved under `name`, or undefined. */
  readSnapshot(name: string): Promise<SavedSnapshot | undefined>;
  /** Rejects when the store is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Records admission decisions, oldest first, in one write (the console's "denied at admission recently";
   * the webhook batches them). Only the most recent `ADMISSION_LOG_CAP` are kept: it is a recent-activity
   * log, not an audit trail.
   */
  recordAdmissions(events: readonly AdmissionEvent[]): Promise<void>;
  /** The most recent recorded admissions, newest first, at most `limit`. */
  listAdmissions(limit: number): Promise<AdmissionEvent[]>;
}

/** A snapshot as `readSnapshot` returns it. */
export interface SavedSnapshot {
  body: string;
  /** When it was saved (RFC 3339). */
  savedAt: string;
}

/** Parses a stored JSON entry, rejecting anything that is not a StoredScan (a corrupt row is a miss, not a crash). */
export function parseStoredScan(text: string): StoredScan | undefined {
  try {
    const v = JSON.parse(text) as Partial<StoredScan>;
    if (
      typeof v.digest === 'string' &&
      typeof v.scannedAt === 'string' &&
      v.scan &&
      Array.isArray(v.scan.findings)
    )
      return v as StoredScan;
  } catch {
    // fall through: a corrupt entry is treated as absent
  }
  return undefined;
}

/** One image that has an advisory, as the reverse index keeps it: enough for `affected` without the result. */
export interface AdvisoryHit {
  digest: string;
  /** The scanned reference (`scan.image.ref`). */
  reference: string;
  /** The packages whose finding has the advisory (name, version and ecosystem unique), with the fix. */
  packages: { name: string; version: string; ecosystem: string; fixedVersion?: string }[];
}

/** The reverse index's key for a vulnerability id or alias: `cve-2023-1` and `CVE-2023-1` are one advisory. */
export function toAdvisoryKey(id: string): string {
  return id.trim().toUpperCase();
}

/**
 * What a stored result puts in the reverse index: advisory key (each vulnerability finding's id and aliases) →
 * the image and its packages with it. Findings without a package name no package to fix, so they are left out.
 */
export function toAdvisoryHits(entry: Pick<StoredScan, 'digest' | 'scan'>): Map<string, AdvisoryHit> {
  const hits = new Map<string, AdvisoryHit>();
  for (const f of entry.scan.findings) {
    if (f.type !== 'vulnerability' || !f.package) continue;
    const p = f.package;
    const pkg = {
      name: p.name,
      version: p.version,
      ecosystem: p.ecosystem,
      ...(p.fixedVersion ? { fixedVersion: p.fixedVersion } : {}),
    };
    for (const key of new Set([f.id, ...(f.aliases ?? [])].map(toAdvisoryKey))) {
      let hit = hits.get(key);
      if (!hit)
        hits.set(key, (hit = { digest: entry.digest, reference: entry.scan.image.ref, packages: [] }));
      if (
        !hit.packages.some((q) => q.name === p.name && q.version === p.version && q.ecosystem === p.ecosystem)
      )
        hit.packages.push(pkg);
    }
  }
  return hits;
}

/**
 * The light copy of a result that `listProjections` returns: everything `evaluatePolicy` reads (image ref and
 * digest, notes, DB build time, analyzers, scannedAt; per finding its type, ids, aliases, severity, location,
 * package and fixes, which exceptions match on) and the image lists show, without the package inventory, the
 * layers and the per-finding prose (description, evidence, remediation, CVSS, references). Evaluating it gives
 * the same verdict, counts and suppressions as evaluating the full result.
 */
export function toScanProjection(scan: ScanResult): ScanResult {
  const { layers: _layers, ...image } = scan.image;
  const { packages: _packages, findings, ...rest } = scan;
  return {
    ...rest,
    image: { ...image, layers: [] },
    packages: [],
    findings: findings.map(toFindingProjection),
  };
}

function toFindingProjection(f: Finding): Finding {
  const {
    description: _d,
    evidence: _e,
    remediation: _r,
    cvss: _c,
    references: _x,
    severitySource: _s,
    ...kept
  } = f;
  return kept;
}

/** A stored entry with its result projected (`listProjections`' element). */
export function toStoredProjection(entry: StoredScan): StoredScan {
  return { ...entry, scan: toScanProjection(entry.scan) };
}

/** One admission decision as the webhook records it. */
export interface AdmissionEvent {
  /** When it was decided (RFC 3339). */
  at: string;
  /** The image reference as the pod spec names it. */
  image: string;
  digest?: string;
  namespace: string;
  /** The pod's name (or generateName) when the request has one. */
  pod?: string;
  verdict: 'deny' | 'allow' | 'warn';
  /** Already redacted by the webhook's redactor: never a secret. */
  reasons: string[];
}

/** How many admissions a store keeps (the oldest are dropped on insert). */
export const ADMISSION_LOG_CAP = 1000;

/** Parses a stored admission event; a corrupt entry is dropped rather than crashing the list. */
export function parseAdmissionEvent(text: string): AdmissionEvent | undefined {
  try {
    const v = JSON.parse(text) as Partial<AdmissionEvent>;
    if (
      typeof v.at === 'string' &&
      typeof v.image === 'string' &&
      typeof v.namespace === 'string' &&
      (v.verdict === 'deny' || v.verdict === 'allow' || v.verdict === 'warn') &&
      Array.isArray(v.reasons)
    )
      return v as AdmissionEvent;
  } catch {
    // fall through
  }
  return undefined;
}

/** A limit as the stores use it: a whole number in 0..ADMISSION_LOG_CAP. */
export function toAdmissionLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.min(ADMISSION_LOG_CAP, Math.floor(limit))) : 0;
}
