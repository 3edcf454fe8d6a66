import { PortcullisError } from '../errors.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

/** Parses a policy duration (`30m`, `24h`, `7d`, `2w`) into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  const unit = m?.[2];
  if (!m || unit === undefined) {
    throw new PortcullisError('POLICY_INVALID', `invalid duration "${text}": expected e.g. 30m, 24h, 7d`);
  }
  return Number(m[1]) * (UNIT_MS[unit] ?? 0);
}

/** Human form of a positive span, coarsest unit (`5 days`, `3 hours`). */
export function toHumanSpan(ms: number): string {
  const abs = Math.abs(ms);
  const pick = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (abs >= DAY) return pick(Math.floor(abs / DAY), 'day');
  if (abs >= HOUR) return pick(Math.floor(abs / HOUR), 'hour');
  return pick(Math.max(1, Math.floor(abs / MINUTE)), 'minute');
}
