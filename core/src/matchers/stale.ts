import { toDurationMs } from '../duration.js';
import type { Note } from '../types/index.js';

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
  const limit =
    typeof maxAge === 'number'
      ? Number.isFinite(maxAge) && maxAge >= 0
        ? maxAge
        : undefined
      : toDurationMs(maxAge);
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
