import { PortcullisError, type ErrorCode } from './errors.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };
/** The policy schema's `duration` (`^[0-9]+(ms|s|m|h|d|w)$`); every caller accepts the same forms. */
const DURATION = /^(\d+)(ms|s|m|h|d|w)$/;

/** `'24h'` → 86 400 000 (`500ms`, `30s`, `90m`, `24h`, `7d`, `2w`); undefined when `text` is not a duration. */
export function toDurationMs(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  const unit = m?.[2];
  if (!m || unit === undefined) return undefined;
  return Number(m[1]) * (UNIT_MS[unit] ?? NaN);
}

/**
 * Parses a duration (`30m`, `24h`, `7d`, `2w`) into milliseconds. Throws a PortcullisError with `code`, so
 * each caller reports a bad duration as its own stage's error (`POLICY_INVALID`, `WEBHOOK_CONFIG_INVALID`).
 */
export function parseDuration(text: string, code: ErrorCode): number {
  const ms = toDurationMs(text);
  if (ms === undefined)
    throw new PortcullisError(code, `invalid duration "${text}": expected e.g. 30s, 30m, 24h, 7d, 2w`);
  return ms;
}

/** Human form of a span, coarsest unit (`5 days`, `3 hours`, at least `1 minute`). */
export function toHumanSpan(ms: number): string {
  const abs = Math.abs(ms);
  const pick = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (abs >= DAY) return pick(Math.floor(abs / DAY), 'day');
  if (abs >= HOUR) return pick(Math.floor(abs / HOUR), 'hour');
  return pick(Math.max(1, Math.floor(abs / MINUTE)), 'minute');
}
