import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PortcullisError } from '../errors.js';
import type { OsvAffected, OsvRecord } from './osv.js';
import { normalizePackageName } from './osv.js';
import { DB_SCHEMA_VERSION, META } from './schema.js';

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
  /** True when at least one record affects the ecosystem (`Alpine:v3.11`). */
  hasEcosystem(ecosystem: string): boolean;
  getRecord(id: string): OsvRecord | undefined;
  close(): void;
}

export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt: string;
  /** Total stored records. */
  records: number;
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
  const byName = db.prepare('SELECT record_id, data FROM affected WHERE ecosystem = ? AND name = ?');
  const byEcosystem = db.prepare('SELECT 1 FROM affected WHERE ecosystem = ? LIMIT 1').pluck();
  const recordById = db.prepare('SELECT json FROM records WHERE id = ?').pluck();
  // Lookups repeat across images and layers: cache them for the life of the handle.
  const affectedCache = new Map<string, AffectedRow[]>();
  const ecosystemCache = new Map<string, boolean>();
  const recordCache = new Map<string, OsvRecord | undefined>();
  return {
    path,
    builtAt,
    findAffected(ecosystem, name) {
      const key = `${ecosystem}\0${normalizePackageName(ecosystem, name)}`;
      let rows = affectedCache.get(key);
      if (!rows) {
        const raw = byName.all(ecosystem, normalizePackageName(ecosystem, name)) as {
          record_id: string;
          data: string;
        }[];
        rows = raw.map((r) => ({ recordId: r.record_id, affected: JSON.parse(r.data) as OsvAffected }));
        affectedCache.set(key, rows);
      }
      return rows;
    },
    hasEcosystem(ecosystem) {
      let has = ecosystemCache.get(ecosystem);
      if (has === undefined) {
        has = byEcosystem.get(ecosystem) !== undefined;
        ecosystemCache.set(ecosystem, has);
      }
      return has;
    },
    getRecord(id) {
      if (!recordCache.has(id)) {
        const json = recordById.get(id) as string | undefined;
        recordCache.set(id, json === undefined ? undefined : (JSON.parse(json) as OsvRecord));
      }
      return recordCache.get(id);
    },
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
      .all() as { ecosystem: string; n: number }[];
    const updates: Record<string, string> = {};
    const metaRows = db
      .prepare('SELECT key, value FROM meta WHERE key LIKE ?')
      .all(`${META.updatePrefix}%`) as {
      key: string;
      value: string;
    }[];
    for (const r of metaRows) updates[r.key.slice(META.updatePrefix.length)] = r.value;
    return {
      path,
      schemaVersion: Number(readMeta(db, META.schemaVersion)),
      builtAt: readMeta(db, META.builtAt) ?? '',
      records: db.prepare('SELECT COUNT(*) FROM records').pluck().get() as number,
      byEcosystem: Object.fromEntries(rows.map((r) => [r.ecosystem, r.n])),
      sources: JSON.parse(readMeta(db, META.sources) ?? '[]') as DbStatus['sources'],
      updates,
    };
  } finally {
    db.close();
  }
}

function openRaw(path: string): Database.Database {
  if (!existsSync(path)) {
    throw new PortcullisError(
      'DB_NOT_FOUND',
      `vulnerability DB not found: ${path} (run \`portcullis db import\` or \`db update\`)`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
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

function readMeta(db: Database.Database, key: string): string | undefined {
  return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
}
