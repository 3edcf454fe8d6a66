import type { OsvAffected, OsvEvent, OsvRange } from '../vulndb/index.js';

type Compare = (a: string, b: string) => number;

/** The result of evaluating one affected[] entry for one installed version. */
export interface AffectedVerdict {
  affected: boolean;
  /** Every fixed version named by the entry's ECOSYSTEM/SEMVER ranges. */
  fixed: string[];
}

interface Event {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

function toEvent(e: OsvEvent): Event | undefined {
  if (e.introduced !== undefined) return { kind: 'introduced', version: e.introduced };
  if (e.fixed !== undefined) return { kind: 'fixed', version: e.fixed };
  if (e.last_affected !== undefined) return { kind: 'last_affected', version: e.last_affected };
  if (e.limit !== undefined) return { kind: 'limit', version: e.limit };
  return undefined;
}

// `introduced: "0"` sorts before everything, `limit: "*"` after everything.
function eventOrder(cmp: Compare): (a: Event, b: Event) => number {
  const rank = (e: Event): number =>
    e.kind === 'introduced' && e.version === '0' ? -1 : e.kind === 'limit' && e.version === '*' ? 1 : 0;
  return (a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== 0 || rb !== 0) return ra - rb;
    return cmp(a.version, b.version);
  };
}

/**
 * Whether `version` lies in an OSV range. Events are sorted with the ecosystem's comparator first:
 * OSV does not promise their order (PYSEC-2023-192 lists `2.0.0…2.0.6` before `0…1.26.17`).
 */
export function isInRange(version: string, range: OsvRange, cmp: Compare): boolean {
  const events = range.events.map(toEvent).filter((e): e is Event => e !== undefined);
  events.sort(eventOrder(cmp));
  let affected = false;
  for (const e of events) {
    if (e.kind === 'introduced') {
      if (e.version === '0' || cmp(version, e.version) >= 0) affected = true;
      else break;
    } else if (e.kind === 'fixed' || e.kind === 'limit') {
      if (e.version !== '*' && cmp(version, e.version) >= 0) affected = false;
      else break;
    } else if (cmp(version, e.version) > 0) affected = false;
    else break;
  }
  return affected;
}

/**
 * Evaluates one affected[] entry: the version is affected when any ECOSYSTEM/SEMVER range contains it
 * or the `versions` list names it. GIT ranges are commit ranges and need a commit, so they are skipped.
 * Throws VERSION_INVALID (from the comparator) when a version cannot be ordered.
 */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  ecosystemCmp: Compare,
  semverCmp: Compare,
): AffectedVerdict {
  let hit = false;
  const fixed: string[] = [];
  for (const range of affected.ranges ?? []) {
    const cmp = range.type === 'ECOSYSTEM' ? ecosystemCmp : range.type === 'SEMVER' ? semverCmp : undefined;
    if (!cmp) continue;
    for (const e of range.events) if (e.fixed !== undefined) fixed.push(e.fixed);
    if (!hit && isInRange(version, range, cmp)) hit = true;
  }
  if (!hit && affected.versions?.length) {
    hit = affected.versions.some((v) => v === version || safeEqual(ecosystemCmp, v, version));
  }
  return { affected: hit, fixed };
}

function safeEqual(cmp: Compare, a: string, b: string): boolean {
  try {
    return cmp(a, b) === 0;
  } catch {
    // A listed version the ecosystem cannot order is simply not this one.
    return false;
  }
}
