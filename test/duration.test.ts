import { describe, expect, it } from 'vitest';
import { parseDuration, toDurationMs, toHumanSpan } from '../core/src/index.js';

describe('toDurationMs', () => {
  it('parses durations', () => {
    expect(['30s', '90m', '24h', '7d', '2w'].map((d) => toDurationMs(d))).toEqual([
      30_000, 5_400_000, 86_400_000, 604_800_000, 1_209_600_000,
    ]);
    expect(toDurationMs('500ms')).toBe(500);
    expect(toDurationMs(' 7d ')).toBe(604_800_000);
  });

  it('is undefined for anything the policy schema does not allow', () => {
    for (const bad of ['7 days', '7 d', 'a week', '7', 'd', '-1d', '1.5h', '7D', ''])
      expect(toDurationMs(bad), bad).toBeUndefined();
  });
});

describe('parseDuration', () => {
  it('returns milliseconds', () => {
    expect(parseDuration('24h', 'POLICY_INVALID')).toBe(86_400_000);
  });

  it("throws with the caller's error code", () => {
    expect(() => parseDuration('soon', 'POLICY_INVALID')).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID', message: expect.stringContaining('"soon"') }),
    );
    expect(() => parseDuration('1y', 'WEBHOOK_CONFIG_INVALID')).toThrow(
      expect.objectContaining({ code: 'WEBHOOK_CONFIG_INVALID' }),
    );
  });
});

describe('toHumanSpan', () => {
  it('names the coarsest unit, singular or plural', () => {
    expect(toHumanSpan(5 * 86_400_000 + 3_600_000)).toBe('5 days');
    expect(toHumanSpan(86_400_000)).toBe('1 day');
    expect(toHumanSpan(3 * 3_600_000)).toBe('3 hours');
    expect(toHumanSpan(-2 * 60_000)).toBe('2 minutes');
    expect(toHumanSpan(1000)).toBe('1 minute');
  });
});
