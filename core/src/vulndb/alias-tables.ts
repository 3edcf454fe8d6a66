/**
 * The tables severity-by-alias needs, beside the OSV tables of schema.ts: an index from every alias to the
 * records naming it (so a GO- record finds the GHSA record of the same CVE), and NVD's CVE scores.
 * Written against the smallest statement surface (`exec`, `prepare().run/all`) that both SQLite backends
 * share. A DB built before these tables existed still opens: lookups then see no rows and a note says so.
 */
import type { NvdCve, NvdMetric } from './nvd.js';

/** What these functions need of a SQLite handle (better-sqlite3 and node:sqlite both have it). */
export interface SqlHandle {
  exec(sql: string): unknown;
  prepare(sql: string): {
    run(...params: (string | number)[]): unknown;
    all(...params: (string | number)[]): unknown[];
  };
}

const DDL = `
CREATE TABLE IF NOT EXISTS record_aliases (alias TEXT NOT NULL, record_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS record_aliases_by_alias ON record_aliases (alias);
CREATE INDEX IF NOT EXISTS record_aliases_by_record ON record_aliases (record_id);
CREATE TABLE IF NOT EXISTS nvd_cves (id TEXT PRIMARY KEY, last_modified TEXT NOT NULL, metrics TEXT NOT NULL);
`;

/** Meta key set once every stored record's aliases are in record_aliases. */
export const ALIAS_INDEX_META = 'alias_index';

export function createAliasTables(db: SqlHandle): void {
  db.exec(DDL);
}

/** Writes the statements once per import; returns the per-record writers. */
export function createAliasWriter(db: SqlHandle): {
  setAliases(recordId: string, aliases: string[]): void;
  writeCve(cve: NvdCve): void;
  /** Fills record_aliases from the records table when a DB from before it is imported into. */
  backfill(): void;
} {
  const del = db.prepare('DELETE FROM record_aliases WHERE record_id = ?');
  const ins = db.prepare('INSERT INTO record_aliases (alias, record_id) VALUES (?, ?)');
  const delCve = db.prepare('DELETE FROM nvd_cves WHERE id = ?');
  const insCve = db.prepare('INSERT INTO nvd_cves (id, last_modified, metrics) VALUES (?, ?, ?)');
  const setAliases = (recordId: string, aliases: string[]): void => {
    del.run(recordId);
    for (const a of new Set(aliases)) if (a !== recordId) ins.run(a, recordId);
  };
  return {
    setAliases,
    writeCve(cve) {
      delCve.run(cve.id);
      if (!cve.rejected) insCve.run(cve.id, cve.lastModified, JSON.stringify(cve.metrics));
    },
    backfill() {
      const done = db.prepare('SELECT value FROM meta WHERE key = ?').all(ALIAS_INDEX_META);
      if (done.length > 0) return;
      const rows = db.prepare('SELECT id, aliases FROM records').all() as { id: string; aliases: string }[];
      for (const r of rows) setAliases(r.id, JSON.parse(r.aliases) as string[]);
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(ALIAS_INDEX_META, '1');
    },
  };
}

/** Read side: records sharing an id or alias, and NVD scores of a CVE. */
export interface AliasLookup {
  /** Ids of records whose id is one of `ids` or that list one of them as an alias. */
  findRelatedIds(ids: string[]): string[];
  /** NVD's metrics for a CVE, preference order; undefined when the DB has no NVD record of it. */
  getNvdMetrics(cveId: string): NvdMetric[] | undefined;
  /** False for a DB built before these tables existed. */
  readonly indexed: boolean;
}

export function createAliasLookup(db: SqlHandle): AliasLookup {
  const tables = new Set(
    (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]
    ).map((r) => r.name),
  );
  const indexed = tables.has('record_aliases') && tables.has('nvd_cves');
  const byId = db.prepare('SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?))');
  const byAlias = indexed
    ? db.prepare(
        'SELECT DISTINCT record_id FROM record_aliases WHERE alias IN (SELECT value FROM json_each(?))',
      )
    : undefined;
  const cve = indexed ? db.prepare('SELECT metrics FROM nvd_cves WHERE id = ?') : undefined;
  const cveCache = new Map<string, NvdMetric[] | undefined>();
  return {
    indexed,
    findRelatedIds(ids) {
      const json = JSON.stringify([...new Set(ids)]);
      const out = new Set((byId.all(json) as { id: string }[]).map((r) => r.id));
      for (const r of (byAlias?.all(json) ?? []) as { record_id: string }[]) out.add(r.record_id);
      return [...out];
    },
    getNvdMetrics(cveId) {
      if (!cveCache.has(cveId)) {
        const row = cve?.all(cveId)[0] as { metrics: string } | undefined;
        cveCache.set(cveId, row ? (JSON.parse(row.metrics) as NvdMetric[]) : undefined);
      }
      return cveCache.get(cveId);
    },
  };
}
