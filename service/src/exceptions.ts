import { stringify } from 'yaml';
import {
  policyCheck,
  resolvePolicy,
  type Policy,
  type PolicyException,
  type StoredScan,
} from '../../core/src/index.js';
import { evaluateStored } from './images.js';

/** One `exceptions:` entry as `/api/v1/exceptions` shows it. */
export interface ExceptionView {
  /** Position in the policy's `exceptions:` list (what findings' `suppressedBy.index` names). */
  index: number;
  entry: PolicyException;
  /** `expired` and `expiring` (within `gates.expiryWarning`) come from `policy check`; else active/permanent. */
  status: 'expired' | 'expiring' | 'active' | 'permanent';
  /** Milliseconds until expiry (negative once expired); absent without `expires`. */
  remainingMs?: number;
  /** Findings of stored images this entry suppresses under the current policy, now. */
  suppressed: number;
  /** Stored images with at least one such finding. */
  images: number;
  /** The entry as YAML, to copy into the policy file when renewing or changing it. */
  yaml: string;
}

/**
 * `/api/v1/exceptions`: every exception with its expiry state and what it suppresses in the store now. The
 * policy file stays the only place exceptions are changed; this only reads it.
 */
export function toExceptionsView(
  entries: readonly StoredScan[],
  policy: Policy,
  now: Date,
): { expiryWarning: string; items: ExceptionView[] } {
  const resolved = resolvePolicy(policy);
  const check = policyCheck(resolved, now);
  const findings = new Map<number, number>();
  const images = new Map<number, number>();
  if (resolved.exceptions.length > 0)
    for (const e of entries) {
      const seen = new Set<number>();
      for (const f of evaluateStored(e, resolved, now).findings) {
        if (!f.suppressedBy) continue;
        const i = f.suppressedBy.index;
        findings.set(i, (findings.get(i) ?? 0) + 1);
        seen.add(i);
      }
      for (const i of seen) images.set(i, (images.get(i) ?? 0) + 1);
    }
  const items = resolved.exceptions.map((entry, index): ExceptionView => {
    const dated = [...check.expired, ...check.expiring].find((x) => x.index === index);
    const expiry = entry.expires === undefined ? undefined : new Date(toExpiryText(entry.expires));
    const remainingMs =
      dated?.remainingMs ??
      (expiry && !Number.isNaN(expiry.getTime()) ? expiry.getTime() - now.getTime() : undefined);
    return {
      index,
      entry,
      status: dated ? dated.status : entry.expires === undefined ? 'permanent' : 'active',
      ...(remainingMs !== undefined ? { remainingMs } : {}),
      suppressed: findings.get(index) ?? 0,
      images: images.get(index) ?? 0,
      yaml: stringify({ exceptions: [entry] }),
    };
  });
  return { expiryWarning: resolved.gates.expiryWarning, items };
}

// a bare date stops applying at 00:00 UTC that day (as the evaluation reads it)
const toExpiryText = (s: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
