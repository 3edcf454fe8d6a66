/** Values shorter than this are fully masked: a prefix and suffix would reveal too much of them. */
export const REDACT_REVEAL_MIN_LENGTH = 20;
/** Characters kept at the start of a long value (enough to tell `LTAI`/`AKIA`/`ghp_` apart). */
export const REDACT_PREFIX = 4;
/** Characters kept at the end of a long value (enough to tell two keys apart). */
export const REDACT_SUFFIX = 3;
/** Most stars written, so a redacted private key or JWT stays one readable line. */
export const REDACT_MAX_STARS = 32;
/** Most stars written for a short value, so its length is not revealed exactly past this. */
const SHORT_MAX_STARS = 16;

/**
 * Masks a secret value for evidence: `LTAI5tQz8vRmXw3YbNc7KpLd` → `LTAI*****************pLd`.
 * Long values keep a short prefix and suffix, short ones become stars only; the length is preserved
 * up to a cap. Never returns 8 or more consecutive characters of the input.
 */
export function redact(value: string): string {
  const chars = Array.from(value);
  if (chars.length < REDACT_REVEAL_MIN_LENGTH) {
    return '*'.repeat(Math.max(1, Math.min(chars.length, SHORT_MAX_STARS)));
  }
  const hidden = chars.length - REDACT_PREFIX - REDACT_SUFFIX;
  return (
    chars.slice(0, REDACT_PREFIX).join('') +
    '*'.repeat(Math.min(hidden, REDACT_MAX_STARS)) +
    chars.slice(chars.length - REDACT_SUFFIX).join('')
  );
}
