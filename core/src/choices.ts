import { PortcullisError, type ErrorCode } from './errors.js';

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++)
    for (let j = 1; j <= t.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[s.length] as number[])[t.length] as number;
}

/** The valid name closest to a mistyped one, when it is close enough to be what was meant. */
export function suggestChoice(value: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const v of valid) {
    const n = editDistance(value, v);
    if (n < bestDistance) {
      best = v;
      bestDistance = n;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** `"hgih" is not one of: critical, high, … (did you mean "high"?)` */
export function describeUnknownChoice(value: string, valid: readonly string[], listed = valid): string {
  const hint = suggestChoice(value, valid);
  return `"${value}" is not one of: ${listed.join(', ')}${hint !== undefined ? ` (did you mean "${hint}"?)` : ''}`;
}

/**
 * Reads one value of a closed set (a CLI enum flag): case-insensitive, since `SARIF` can only mean `sarif`;
 * anything else is refused with the valid values and the closest one.
 */
export function parseChoice<T extends string>(
  value: string,
  valid: readonly T[],
  label: string,
  code: ErrorCode = 'USAGE_INVALID',
): T {
  const found = valid.find((v) => v.toLowerCase() === value.trim().toLowerCase());
  if (found !== undefined) return found;
  throw new PortcullisError(code, `${label} ${describeUnknownChoice(value, valid)}`);
}
