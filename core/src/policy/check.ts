import { parseDuration, toHumanSpan } from '../duration.js';
import { resolvePolicy } from './defaults.js';
import { policyDigest } from './digest.js';
import { isEveryImageGlob } from './image-ref.js';
import { isEveryIdGlob } from './validate.js';
import { describeException, toExpiryDate } from './match.js';
import type { Policy, ResolvedPolicy } from './types.js';

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** One exception whose expiry matters now. */
export interface ExpiryItem {
  index: number;
  /** `#2 (CVE-2023-1234, /app/**)` */
  label: string;
  expires: string;
  status: 'expired' | 'expiring';
  /** Milliseconds until expiry (negative once expired). */
  remainingMs: number;
  owner?: string;
  ticket?: string;
  message: string;
}

/** What `portcullis policy check FILE` prints after validation succeeds. */
export interface PolicyCheckResult {
  policyDigest: string;
  exceptionCount: number;
  expired: ExpiryItem[];
  expiring: ExpiryItem[];
  /** Valid but worth a second look: exceptions scoped to every image. */
  warnings: string[];
}

/** Lists exceptions that have expired or expire within the policy's warning window. */
export function policyCheck(policy: Policy | ResolvedPolicy, now: Date): PolicyCheckResult {
  const resolved = resolvePolicy(policy);
  const window = parseDuration(resolved.gates.expiryWarning, 'POLICY_INVALID');
  const expired: ExpiryItem[] = [];
  const expiring: ExpiryItem[] = [];
  const warnings: string[] = [];
  resolved.exceptions.forEach((e, index) => {
    const everyImage = [...(e.images ?? []), ...(e.repositories ?? []), ...(e.registries ?? [])].filter(
      isEveryImageGlob,
    );
    if (everyImage.length > 0)
      warnings.push(
        `exception ${describeException(e, index)} is scoped to every image (${everyImage.map((g) => JSON.stringify(g)).join(', ')}): it applies wherever the policy is used`,
      );
    if (list(e.id).some(isEveryIdGlob))
      warnings.push(`exception ${describeException(e, index)} suppresses every finding in its scope`);
    if (e.expires === undefined) return;
    const at = toExpiryDate(e);
    // Unreadable expiry: evaluation treats the entry as expired, so the check lists it as such.
    const remainingMs = at ? at.getTime() - now.getTime() : 0;
    const label = describeException(e, index);
    const who = [e.owner, e.ticket].filter((s) => s !== undefined).join(', ');
    const suffix = who ? ` [${who}]` : '';
    const base = {
      index,
      label,
      expires: e.expires,
      remainingMs,
      ...(e.owner !== undefined && { owner: e.owner }),
      ...(e.ticket !== undefined && { ticket: e.ticket }),
    };
    if (remainingMs <= 0) {
      expired.push({
        ...base,
        status: 'expired',
        message: `exception ${label} expired ${e.expires}${suffix}`,
      });
    } else if (remainingMs <= window) {
      expiring.push({
        ...base,
        status: 'expiring',
        message: `exception ${label} expires ${e.expires} (in ${toHumanSpan(remainingMs)})${suffix}`,
      });
    }
  });
  return {
    policyDigest: policyDigest(resolved),
    exceptionCount: resolved.exceptions.length,
    expired,
    expiring,
    warnings,
  };
}
