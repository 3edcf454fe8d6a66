/**
 * Records that alias each other describe one vulnerability: they become one finding, and a record the
 * ecosystem's database did not score borrows the severity of its aliases (GHSA, then NVD), as Trivy and
 * Grype do for CVEs only NVD rates (the Go standard library's, for one).
 */
import type { Severity } from '../types/index.js';
import { toEcosystemBase } from '../versions/index.js';
import type { OsvRecord, VulnDb } from '../vulndb/index.js';
import type { CvssScore } from './severity.js';
import { toCvssScores, toSeverity, toSeverityFromScore } from './severity.js';

/** Every id a record goes by: its own, its aliases and upstream ids. */
export function idsOf(record: OsvRecord): string[] {
  return [record.id, ...(record.aliases ?? []), ...(record.upstream ?? [])];
}

/**
 * Groups records that share an id or alias, transitively (union-find over ids). Order within a group and of
 * the groups follows the input.
 */
export function groupByAlias<T extends { record: OsvRecord }>(items: T[]): T[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(x, root);
    return root;
  };
  for (const item of items) {
    const ids = idsOf(item.record);
    for (const id of ids) if (!parent.has(id)) parent.set(id, id);
    const first = find(ids[0] as string);
    for (const id of ids.slice(1)) parent.set(find(id), first);
  }
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const root = find(item.record.id);
    const g = groups.get(root);
    if (g) g.push(item);
    else groups.set(root, [item]);
  }
  return [...groups.values()];
}

// The package's own database names the finding: GO-, PYSEC-, RUSTSEC-, ALPINE-, DEBIAN-… before GHSA, and
// a bare CVE record last.
function idRank(id: string): number {
  if (id.startsWith('CVE-')) return 2;
  if (id.startsWith('GHSA-')) return 1;
  return 0;
}

/** The member whose id names the finding (see idRank; ties keep input order). */
export function pickPrimary<T extends { record: OsvRecord }>(group: T[]): T {
  return group.reduce((best, x) => (idRank(x.record.id) < idRank(best.record.id) ? x : best));
}

/** The other ids of a group, de-duplicated: CVEs first, then GHSA, then the rest, each in input order. */
export function toAliases(primaryId: string, records: OsvRecord[]): string[] {
  const all = [...new Set(records.flatMap(idsOf))].filter((id) => id !== primaryId);
  return [
    ...all.filter((a) => idRank(a) === 2),
    ...all.filter((a) => idRank(a) === 1),
    ...all.filter((a) => idRank(a) === 0),
  ];
}

/** Which source gave a severity: `ghsa`, `nvd`, or the own database (`go`, `pysec`, `rustsec`, `debian`…). */
export function toOwnSource(recordId: string, ecosystem: string): string {
  const prefix = /^([A-Za-z]+)-/.exec(recordId)?.[1];
  if (prefix && prefix.toUpperCase() !== 'CVE') return prefix.toLowerCase();
  return toEcosystemBase(ecosystem).toLowerCase();
}

export interface BorrowedSeverity {
  severity: Severity;
  cvss: CvssScore[];
  source: string;
}

const borrowed = new WeakMap<OsvRecord, BorrowedSeverity | null>();

/**
 * The severity of an unscored record from its aliases: a GHSA record sharing an id (GitHub's rating, else its
 * CVSS), else NVD's metrics of a CVE alias (primary v3.x, v4, then secondary such as CISA's ADP). Undefined
 * when no alias has one. `group` are the records already matched with it (they count as related).
 */
export function borrowSeverity(
  db: VulnDb,
  primary: OsvRecord,
  group: OsvRecord[],
): BorrowedSeverity | undefined {
  const cached = borrowed.get(primary);
  if (cached !== undefined) return cached ?? undefined;
  const result = findBorrowed(db, primary, group);
  borrowed.set(primary, result ?? null);
  return result;
}

function findBorrowed(db: VulnDb, primary: OsvRecord, group: OsvRecord[]): BorrowedSeverity | undefined {
  const ids = [...new Set(group.flatMap(idsOf))];
  const related = new Map<string, OsvRecord>(group.map((r) => [r.id, r]));
  for (const r of db.findRelated?.(ids) ?? []) if (!related.has(r.id)) related.set(r.id, r);
  const ghsa = [...related.values()]
    .filter((r) => r.id.startsWith('GHSA-') && r.id !== primary.id && !r.withdrawn)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const r of ghsa) {
    const s = toSeverity({ recordSeverity: r.severity, databaseSpecific: r.database_specific });
    if (s.severity !== 'unknown') return { ...s, source: 'ghsa' };
  }
  const cves = [...new Set([...ids, ...[...related.values()].flatMap(idsOf)])].filter((id) =>
    id.startsWith('CVE-'),
  );
  for (const cve of cves.sort()) {
    for (const m of db.getNvdMetrics?.(cve) ?? []) {
      const [scored] = toCvssScores([{ type: m.type, score: m.vector }]);
      const score = m.score ?? scored?.score;
      const severity = score !== undefined ? toSeverityFromScore(score) : toWord(m.baseSeverity);
      if (severity === undefined) continue;
      return {
        severity,
        cvss: [{ type: m.type, vector: m.vector, ...(score !== undefined && { score }) }],
        source: 'nvd',
      };
    }
  }
  return undefined;
}

function toWord(word: string | undefined): Severity | undefined {
  const w = word?.toLowerCase();
  return w === 'critical' || w === 'high' || w === 'medium' || w === 'low' ? w : undefined;
}
