import { createHash } from 'node:crypto';
import { resolvePolicy } from './defaults.js';
import type { Policy, ResolvedPolicy } from './types.js';

/** JSON with object keys sorted and no whitespace, so equal values give equal bytes. */
export function toCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  // an undefined element is written `null` by the first line, as JSON.stringify writes it
  if (Array.isArray(value)) return `[${value.map((v) => toCanonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    // object keys are unique: never equal
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${toCanonicalJson(v)}`).join(',')}}`;
}

/**
 * `sha256:<hex>` of the canonical JSON of the *resolved* policy: writing a default out explicitly, reordering
 * keys or adding `$schema` does not change it; any change in meaning does.
 */
export function policyDigest(policy: Policy | ResolvedPolicy): string {
  const resolved = resolvePolicy(policy);
  let digest = digests.get(resolved);
  if (digest === undefined) {
    digest = `sha256:${createHash('sha256').update(toCanonicalJson(resolved)).digest('hex')}`;
    digests.set(resolved, digest);
  }
  return digest;
}

// Every verdict carries the digest: the image lists evaluate one resolved policy over 10,000 stored results, and
// hashing it each time was a third of that. A resolved policy is never changed after resolvePolicy builds it.
const digests = new WeakMap<ResolvedPolicy, string>();
