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
   * Records `key` once for `ttlSeconds`; resolves false when it was already recorded (token replay).
   * Kept in the store so every replica sees the same used token ids.
   */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Deletes results stored (last seen) before `cutoff` (RFC 3339): registry scans store every image they see
   * again, so this is the vulnerability retention. Resolves to how many were deleted.
   */
  deleteStoredBefore(cutoff: string): Promise<number>;
  /** Rejects when the store is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
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
