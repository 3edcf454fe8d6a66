import type { Note } from '../types/finding.js';

/**
 * Note codes that mean "some installed packages were never checked for vulnerabilities". A scan carrying
 * one is never a clean allow: it goes through the same gates as a missing DB (a deny reason by default and
 * under `gates.staleDb: deny`, a warning under `gates.missingDb: warn`). Add a code here, not a new gate,
 * when another stage can leave vulnerabilities unchecked.
 */
export const VULNS_UNCHECKED_NOTE_CODES: ReadonlySet<string> = new Set(['INVENTORY_INCOMPLETE']);

/** The gate message for the notes that left vulnerabilities unchecked, or undefined when there are none. */
export function describeUncheckedVulns(notes: readonly Note[]): string | undefined {
  const gaps = notes.filter((n) => VULNS_UNCHECKED_NOTE_CODES.has(n.code));
  const first = gaps[0];
  if (!first) return undefined;
  const more = gaps.length > 1 ? ` (and ${gaps.length - 1} more)` : '';
  return `${UNCHECKED_PREFIX}: ${first.message}${more}`;
}

/** How every unchecked-vulnerabilities message starts (a warn verdict repeats such warnings as reasons). */
export const UNCHECKED_PREFIX = 'vulnerabilities not fully checked';
