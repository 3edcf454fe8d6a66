import type { SqliteDb } from '../sqlite.js';
import { createAliasTables } from './alias-tables.js';

/** Bumped whenever the tables change; a DB with another version is DB_INVALID (rebuild it). */
export const DB_SCHEMA_VERSION = 1;

// records: one row per OSV record, its JSON without affected[] (kept for reports).
// affected: one row per affected[] entry, keyed by (ecosystem, normalised name); `data` is that entry's
// JSON so matching never parses a whole record.
const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  modified TEXT NOT NULL,
  aliases TEXT NOT NULL,
  severity TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  record_id TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS affected_by_package ON affected (ecosystem, name);
CREATE INDEX IF NOT EXISTS affected_by_record ON affected (record_id);
`;

export function createSchema(db: SqliteDb): void {
  db.exec(DDL);
  createAliasTables(db);
}

/** Keys of the meta table. */
export const META = {
  schemaVersion: 'schema_version',
  builtAt: 'built_at',
  /** JSON array of `{ source, importedAt, records }`. */
  sources: 'sources',
  /** Prefix for `db update` bookkeeping: `update:<Ecosystem>` → newest modified time seen. */
  updatePrefix: 'update:',
} as const;
