import { assertPlausible, compareDigits, compareStrings, isDigitCode } from './util.js';

/** A RubyGems version as Gem::Version canonicalises it: segments, trailing zeros dropped. */
export interface RubyGemsVersion {
  segments: string[];
}

export function parseRubyGemsVersion(v: string): RubyGemsVersion {
  assertPlausible('RubyGems', v);
  // `-` means prerelease (`.pre.`), and every digit/letter switch starts a new segment.
  const raw = v.replace(/-/g, '.pre.');
  const segments: string[] = [];
  for (const piece of raw.split('.')) {
    const runs = piece.match(/[0-9]+|[^0-9]+/g) ?? [''];
    segments.push(...runs);
  }
  const firstWord = segments.findIndex((s) => !/^[0-9]+$/.test(s));
  const numbers = firstWord < 0 ? segments : segments.slice(0, firstWord);
  const rest = firstWord < 0 ? [] : segments.slice(firstWord);
  return { segments: [...trimZeros(numbers), ...trimZeros(rest)] };
}

function trimZeros(segs: string[]): string[] {
  let end = segs.length;
  while (end > 0 && /^0+$/.test(segs[end - 1] ?? '')) end--;
  return segs.slice(0, end);
}

export function compareRubyGems(a: RubyGemsVersion, b: RubyGemsVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] ?? '0';
    const y = b.segments[i] ?? '0';
    const nx = isDigitCode(x.charCodeAt(0));
    const ny = isDigitCode(y.charCodeAt(0));
    if (nx && ny) {
      const d = compareDigits(x, y);
      if (d !== 0) return d;
    } else if (!nx && !ny) {
      const d = compareStrings(x, y);
      if (d !== 0) return d;
    } else {
      // A word (prerelease) sorts before any number.
      return nx ? 1 : -1;
    }
  }
  return 0;
}

export function compareRubyGemsVersions(a: string, b: string): number {
  return compareRubyGems(parseRubyGemsVersion(a), parseRubyGemsVersion(b));
}
