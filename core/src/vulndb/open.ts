import { existsSync } from 'node:fs';
import { PortcullisError } from '../errors.js';
import { createAliasLookup } from './alias-tables.js';
import type { NvdMetric } from './nvd.js';
import type { OsvAffected, OsvRecord } from './osv.js';
import { normalizePackageName } from './osv.js';
import { DB_SCHEMA_VERSION, META } from './schema.js';
import { openSqlite, type SqliteDb } from '../sqlite.js';

/** One affected[] entry stored for a package. */
export interface AffectedRow {
  recordId: string;
  affected: OsvAffected;
}

/** A read-only handle on a Portcullis vulnerability DB. */
export interface VulnDb {
  readonly path: string;
  /** ISO 8601 time the DB was last built or updated. */
  readonly builtAt: string;
  /** affected[] entries naming this package (name normalised for the ecosystem). */
  findAffected(ecosystem: string, name: string): AffectedRow[];
  /** Loads the entries of many packages of one ecosystem in a few queries (findAffected then hits a cache). */
  prefetch(ecosystem: string, names: string[]): void;
  /** True when at least one record affects the ecosystem (`Alpine:v3.11`). */
  hasEcosystem(ecosystem: string): boolean;
  /** The record without `affected[]` (that lives in findAffected rows). */
  getRecord(id: string): OsvRecord | undefined;
  /**
   * Records sharing an id or alias with `ids` (the GHSA record of a GO- record's CVE); optional so other
   * VulnDb implementations keep working without alias data.
   */
  findRelated?(ids: string[]): OsvRecord[];
  /** NVD's CVSS metrics of a CVE (primary first), when the DB holds NVD data for it. */
  getNvdMetrics?(cveId: string): NvdMetric[] | undefined;
  /** False for a DB built before the alias and NVD tables: severity by alias is then unavailable. */
  readonly aliasIndexed?: boolean;
  close(): void;
}

export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt: string;
  /** Total stored records. */
  records: number;
  /** NVD CVE records stored for severity by alias (0 for a DB built before they were supported). */
  nvdCves: number;
  /** Records per ecosystem (a record affecting two ecosystems counts in both). */
  byEcosystem: Record<string, number>;
  sources: { source: string; importedAt: string; records: number }[];
  /** `db update` state: ecosystem → newest modified time seen. */
  updates: Record<string, string>;
}

/** Opens a DB read-only; DB_NOT_FOUND when missing, DB_INVALID when it is not a Portcullis DB of this schema. */
export function openVulnDb(path: string): VulnDb {
  const db = openRaw(path);
  const builtAt = readMeta(db, META.builtAt) ?? '';
  // The record text comes along (unparsed) so a finding needs no second query.
  const byName = db.prepare(
    'SELECT a.record_id, a.data, r.json FROM affected a JOIN records r ON r.id = a.record_id WHERE a.ecosystem = ? AND a.name = ?',
  );
  const byNames = db.prepare(
    'SELECT a.record_id, a.name, a.data, r.json FROM affected a JOIN records r ON r.id = a.record_id WHERE a.ecosystem = ? AND a.name IN (SELECT value FROM json_each(?))',
  );
  const namesOf = db.prepare('SELECT DISTINCT name FROM affected WHERE ecosystem = ?');
  const recordById = db.prepare('SELECT json FROM records WHERE id = ?');
  // Lookups repeat across images and layers: cache them for the life of the handle.
  const affectedCache = new Map<string, AffectedRow[]>();
  const recordCache = new Map<string, OsvRecord | undefined>();
  const recordText = new Map<string, string>();
  // Most packages of an image have no advisory: the names per ecosystem answer those without a query.
  const names = new Map<string, Set<string>>();
  const namesFor = (ecosystem: string): Set<string> => {
    let set = names.get(ecosystem);
    if (!set) {
      set = new Set(namesOf.values(ecosystem) as string[]);
      names.set(ecosystem, set);
    }
    return set;
  };
  const aliases = createAliasLookup(db);
  const getRecord = (id: string): OsvRecord | undefined => {
    if (!recordCache.has(id)) {
      const json = recordText.get(id) ?? (recordById.value(id) as string | undefined);
      recordText.delete(id);
      recordCache.set(id, json === undefined ? undefined : (JSON.parse(json) as OsvRecord));
    }
    return recordCache.get(id);
  };
  return {
    path,
    builtAt,
    aliasIndexed: aliases.indexed,
    findRelated(ids) {
      return aliases.findRelatedIds(ids).flatMap((id) => getRecord(id) ?? []);
    },
    getNvdMetrics: (cveId) => aliases.getNvdMetrics(cveId),
    findAffected(ecosystem, name) {
      const normalised = normalizePackageName(ecosystem, name);
      if (!namesFor(ecosystem).has(normalised)) return [];
      const key = `${ecosystem}\0${normalised}`;
      let rows = affectedCache.get(key);
      if (!rows) {
        const raw = byName.all(ecosystem, normalised) as unknown as {
          record_id: string;
          data: string;
          json: string;
        }[];
        rows = raw.map((r) => {
          if (!recordCache.has(r.record_id)) recordText.set(r.record_id, r.json);
          return { recordId: r.record_id, affected: JSON.parse(r.data) as OsvAffected };
        });
        affectedCache.set(key, rows);
      }
      return rows;
    },
    prefetch(ecosystem, wanted) {
      const known = namesFor(ecosystem);
      const todo = [
        ...new Set(wanted.map((n) => normalizePackageName(ecosystem, n)).filter((n) => known.has(n))),
      ].filter((n) => !affectedCache.has(`${ecosystem}\0${n}`));
      for (let i = 0; i < todo.length; i += 500) {
        const chunk = todo.slice(i, i + 500);
        const fetched = new Map<string, AffectedRow[]>(chunk.map((n) => [n, []]));
        const raw = byNames.all(ecosystem, JSON.stringify(chunk)) as unknown as {
          record_id: string;
          name: string;
          data: string;
          json: string;
        }[];
        for (const r of raw) {
          if (!recordCache.has(r.record_id)) recordText.set(r.record_id, r.json);
          fetched.get(r.name)?.push({ recordId: r.record_id, affected: JSON.parse(r.data) as OsvAffected });
        }
        for (const [n, rows] of fetched) affectedCache.set(`${ecosystem}\0${n}`, rows);
      }
    },
    hasEcosystem(ecosystem) {
      return namesFor(ecosystem).size > 0;
    },
    getRecord,
    close() {
      db.close();
    },
  };
}

/** Records per ecosystem, sources and build time of a DB. */
export function dbStatus(path: string): DbStatus {
  const db = openRaw(path);
  try {
    const rows = db
      .prepare(
        'SELECT ecosystem, COUNT(DISTINCT record_id) AS n FROM affected GROUP BY ecosystem ORDER BY ecosystem',
      )
      .all() as unknown as { ecosystem: string; n: number }[];
    const updates: Record<string, string> = {};
    const metaRows = db
      .prepare('SELECT key, value FROM meta WHERE key LIKE ?')
      .all(`${META.updatePrefix}%`) as unknown as {
      key: string;
      value: string;
    }[];
    for (const r of metaRows) updates[r.key.slice(META.updatePrefix.length)] = r.value;
    return {
      path,
      schemaVersion: Number(readMeta(db, META.schemaVersion)),
      builtAt: readMeta(db, META.builtAt) ?? '',
      records: db.prepare('SELECT COUNT(*) FROM records').value() as number,
      nvdCves: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'nvd_cves'").value()
        ? (db.prepare('SELECT COUNT(*) FROM nvd_cves').value() as number)
        : 0,
      byEcosystem: Object.fromEntries(rows.map((r) => [r.ecosystem, r.n])),
      sources: JSON.parse(readMeta(db, META.sources) ?? '[]') as DbStatus['sources'],
      updates,
    };
  } finally {
    db.close();
  }
}

function openRaw(path: string): SqliteDb {
  if (!existsSync(path)) {
    throw new PortcullisError(
      'DB_NOT_FOUND',
      `vulnerability DB not found: ${path} (run \`portcullis db import\` or \`db update\`)`,
    );
  }
  let db: SqliteDb | undefined;
  try {
    db = openSqlite(path, { readonly: true, fileMustExist: true });
    const version = readMeta(db, META.schemaVersion);
    if (version !== String(DB_SCHEMA_VERSION)) {
      throw new PortcullisError(
        'DB_INVALID',
        `${path}: schema version ${version ?? 'missing'}, expected ${DB_SCHEMA_VERSION}`,
      );
    }
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof PortcullisError) throw err;
    throw new PortcullisError(
      'DB_INVALID',
      `${path} is not a Portcullis vulnerability DB: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function readMeta(db: SqliteDb, key: string): string | undefined {
  return db.prepare('SELECT value FROM meta WHERE key = ?').value(key) as string | undefined;
}
