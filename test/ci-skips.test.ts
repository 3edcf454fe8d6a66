// Issue 11 item 21: a suite that needs ../shared (or the test images, the registry, redis) may print a skip on
// a fresh clone, but under CI it must fail the run, not be counted as a skip.
import { describe, expect, it } from 'vitest';
import { NO_IMAGES_REASON, NO_SHARED_REASON, skipReason } from './helpers/env.js';

describe('skipReason', () => {
  it('skips with a printed reason on a fresh clone (no CI variable)', () => {
    expect(skipReason(NO_SHARED_REASON, {})).toBe(true);
    expect(skipReason(NO_IMAGES_REASON, { CI: 'false' })).toBe(true);
  });

  it('throws under CI=true / CI=1, naming the reason, so the suite fails instead of skipping', () => {
    expect(() => skipReason(NO_SHARED_REASON, { CI: 'true' })).toThrow(
      /SKIPPED under CI=true: .*\.\.\/shared/,
    );
    expect(() => skipReason(NO_IMAGES_REASON, { CI: '1' })).toThrow(/test images not built/);
    expect(() => skipReason('redis-server is not installed', { CI: 'true' })).toThrow(/redis-server/);
  });

  it('can be overridden deliberately (PORTCULLIS_ALLOW_SKIPS=1)', () => {
    expect(skipReason(NO_SHARED_REASON, { CI: 'true', PORTCULLIS_ALLOW_SKIPS: '1' })).toBe(true);
  });
});
