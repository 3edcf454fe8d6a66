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
  return walkSorted(version, sortEvents(range.events, cmp), cmp);
}

function sortEvents(events: OsvEvent[], cmp: Compare): Event[] {
  return events
    .map(toEvent)
    .filter((e): e is Event => e !== undefined)
    .sort(eventOrder(cmp));
}

// The last event at or below the version decides: inside after `introduced`, outside after the others.
function walkSorted(version: string, events: Event[], cmp: Compare): boolean {
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

/** An affected[] entry prepared once: events sorted, listed versions in a set. */
interface Compiled {
  ranges: { events: Event[]; cmp: Compare }[];
  versions: Set<string>;
  fixed: string[];
}

// Entries are cached by the DB handle, so their prepared form can hang off them.
const compiled = new WeakMap<OsvAffected, Compiled>();

function compile(affected: OsvAffected, ecosystemCmp: Compare, semverCmp: Compare): Compiled {
  let c = compiled.get(affected);
  if (c) return c;
  c = { ranges: [], versions: new Set(affected.versions ?? []), fixed: [] };
  for (const range of affected.ranges ?? []) {
    const cmp = range.type === 'ECOSYSTEM' ? ecosystemCmp : range.type === 'SEMVER' ? semverCmp : undefined;
    if (!cmp) continue;
    for (const e of range.events) if (e.fixed !== undefined) c.fixed.push(e.fixed);
    c.ranges.push({ events: sortEvents(range.events, cmp), cmp });
  }
  compiled.set(affected, c);
  return c;
}

/**
 * Evaluates one affected[] entry: the version is affected when any ECOSYSTEM/SEMVER range contains it
 * or the `versions` list names it exactly. GIT ranges are commit ranges and need a commit, so they are
 * skipped. Throws VERSION_INVALID (from the comparator) when a version cannot be ordered.
 * The comparators must be the same for every call with the same entry (they are cached with it).
 */
export function evaluateAffected(
  version: string,
  affected: OsvAffected,
  ecosystemCmp: Compare,
  semverCmp: Compare,
): AffectedVerdict {
  const c = compile(affected, ecosystemCmp, semverCmp);
  const fixed = c.fixed.slice();
  if (c.versions.has(version)) return { affected: true, fixed };
  // Check the installed version even when there are no ranges, so a bad one is never "not affected".
  ecosystemCmp(version, version);
  for (const r of c.ranges) if (walkSorted(version, r.events, r.cmp)) return { affected: true, fixed };
  return { affected: false, fixed };
}
