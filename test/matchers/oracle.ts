import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions } from '../../core/src/versions/index.js';

/**
 * The test's own, deliberately simple reading of OSV records, independent of the matcher's range code:
 * a version is inside a range when the highest event at or below it is an `introduced`.
 */
interface RawRecord {
  id: string;
  withdrawn?: string;
  affected?: {
    package: { ecosystem: string; name: string };
    ranges?: { type: string; events: Record<string, string>[] }[];
    versions?: string[];
  }[];
}

export interface Query {
  ecosystem: string;
  name: string;
  version: string;
}

function* walkJson(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkJson(p);
    else if (e.name.endsWith('.json')) yield p;
  }
}

export function readRecords(dirs: string[]): RawRecord[] {
  const out: RawRecord[] = [];
  for (const dir of dirs)
    for (const f of walkJson(dir)) out.push(JSON.parse(readFileSync(f, 'utf8')) as RawRecord);
  return out;
}

const pep503 = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');

function inRange(eco: string, version: string, events: Record<string, string>[]): boolean {
  let best: { kind: string; at: string } | undefined;
  for (const e of events) {
    const [kind, at] = Object.entries(e)[0] ?? [];
    if (!kind || at === undefined) continue;
    const reached =
      kind === 'introduced'
        ? at === '0' || compareVersions(eco, version, at) >= 0
        : kind === 'last_affected'
          ? compareVersions(eco, version, at) > 0
          : at !== '*' && compareVersions(eco, version, at) >= 0;
    if (!reached) continue;
    if (!best) best = { kind, at };
    else {
      // d > 0: this event is above the best so far; `introduced: "0"` is below everything.
      const d =
        kind === 'introduced' && at === '0'
          ? -1
          : best.kind === 'introduced' && best.at === '0'
            ? 1
            : compareVersions(eco, at, best.at);
      if (d > 0 || (d === 0 && kind !== 'introduced')) best = { kind, at };
    }
  }
  return best?.kind === 'introduced';
}

/** `id → true` for every record whose affected entries contain the queried version. */
export function expectedIds(records: RawRecord[], q: Query): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    if (r.withdrawn) continue;
    for (const a of r.affected ?? []) {
      if (a.package.ecosystem !== q.ecosystem) continue;
      const same =
        q.ecosystem === 'PyPI' ? pep503(a.package.name) === pep503(q.name) : a.package.name === q.name;
      if (!same) continue;
      if (a.versions?.includes(q.version)) ids.add(r.id);
      for (const range of a.ranges ?? []) {
        if (range.type === 'GIT') continue;
        const eco = range.type === 'SEMVER' ? 'npm' : q.ecosystem;
        if (inRange(eco, q.version, range.events)) ids.add(r.id);
      }
    }
  }
  return [...ids].sort();
}
