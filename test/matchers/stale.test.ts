import { describe, expect, it } from 'vitest';
import { isDbStale } from '../../core/src/matchers/index.js';

describe('isDbStale', () => {
  const now = new Date('2026-03-10T00:00:00Z');

  it('is undefined (fresh) within the allowed age', () => {
    expect(isDbStale('2026-03-05T00:00:00Z', '7d', now)).toBeUndefined();
  });

  it('returns a DB_STALE note past the allowed age', () => {
    const note = isDbStale('2026-03-01T00:00:00Z', '7d', now);
    expect(note?.code).toBe('DB_STALE');
    expect(note?.message).toMatch(/9\.0 days ago/);
  });

  it('treats a missing or unreadable build time as stale', () => {
    expect(isDbStale(undefined, '7d', now)?.code).toBe('DB_STALE');
    expect(isDbStale('yesterday', '7d', now)?.code).toBe('DB_STALE');
  });

  it('rejects a max age that is not a duration', () => {
    expect(isDbStale('2026-03-09T00:00:00Z', 'a week', now)?.message).toMatch(/not a duration/);
  });

  it('takes a max age in milliseconds', () => {
    expect(isDbStale('2026-03-09T00:00:00Z', 86_400_000, now)).toBeUndefined();
    expect(isDbStale('2026-03-08T00:00:00Z', 86_400_000, now)?.code).toBe('DB_STALE');
    expect(isDbStale('2026-03-09T00:00:00Z', -1, now)?.message).toMatch(/not a duration/);
  });
});
