import type { Note } from '../types/index.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a duration such as `7d`, `24h`, `90m`, `2w` (or a number of milliseconds). Undefined if invalid. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
}

/**
 * Whether a DB built at `builtAt` is older than `maxAge` (`7d`, or milliseconds) at `now`.
 * Returns a note describing why when stale (also when the build time is missing or unreadable,
 * or maxAge is not a duration: an unknown age is treated as stale); undefined when fresh.
 */
export function isDbStale(
  builtAt: string | undefined,
  maxAge: string | number,
  now: Date = new Date(),
): Note | undefined {
  const limit = parseDuration(maxAge);
  if (limit === undefined)
    return { code: 'DB_STALE', message: `maxDbAge ${JSON.stringify(maxAge)} is not a duration` };
  const built = builtAt ? Date.parse(builtAt) : NaN;
  if (Number.isNaN(built))
    return { code: 'DB_STALE', message: 'the vulnerability DB has no readable build time' };
  const age = now.getTime() - built;
  if (age <= limit) return undefined;
  const days = (age / 86_400_000).toFixed(1);
  return {
    code: 'DB_STALE',
    message: `the vulnerability DB was built ${builtAt} (${days} days ago), older than the allowed ${String(maxAge)}; run \`portcullis db update\``,
  };
}
