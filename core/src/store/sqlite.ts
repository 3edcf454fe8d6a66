import Database from 'better-sqlite3';
import { wrapError } from '../errors.js';
import { parseStoredScan, type VerdictStore } from './verdict-store.js';

/** Embedded store in one SQLite file (WAL): survives restarts of a single replica. */
export function createSqliteStore(path: string, opts: { now?: () => number } = {}): VerdictStore {
  const now = opts.now ?? Date.now;
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 500');
    db.exec(`CREATE TABLE IF NOT EXISTS scans (digest TEXT PRIMARY KEY, scanned_at TEXT NOT NULL, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires INTEGER NOT NULL);`);
  } catch (err) {
    throw wrapError(err, `opening verdict store ${path}`, 'WEBHOOK_STORE_UNAVAILABLE');
  }
  const getStmt = db.prepare<[string], { body: string }>('SELECT body FROM scans WHERE digest = ?');
  const listStmt = db.prepare<[], { body: string }>('SELECT body FROM scans ORDER BY digest');
  const putStmt = db.prepare('INSERT OR REPLACE INTO scans (digest, scanned_at, body) VALUES (?, ?, ?)');
  const pruneStmt = db.prepare("DELETE FROM scans WHERE json_extract(body, '$.storedAt') < ?");
  const purge = db.prepare('DELETE FROM claims WHERE expires <= ?');
  const claim = db.prepare('INSERT OR IGNORE INTO claims (key, expires) VALUES (?, ?)');
  const guard = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw wrapError(err, `verdict store (sqlite) ${what}`, 'WEBHOOK_STORE_UNAVAILABLE');
    }
  };
  return {
    kind: 'sqlite',
    async get(digest) {
      const row = guard('get', () => getStmt.get(digest));
      return row ? parseStoredScan(row.body) : undefined;
    },
    async put(entry) {
      guard('put', () => putStmt.run(entry.digest, entry.scannedAt, JSON.stringify(entry)));
    },
    async list() {
      const rows = guard('list', () => listStmt.all());
      return rows.flatMap((r) => parseStoredScan(r.body) ?? []);
    },
    async claimOnce(key, ttlSeconds) {
      const t = now();
      return guard('claim', () => {
        purge.run(t);
        return claim.run(key, t + ttlSeconds * 1000).changes === 1;
      });
    },
    async deleteStoredBefore(cutoff) {
      // storedAt lives in the JSON body: files written before this method existed need no migration
      return guard('delete', () => pruneStmt.run(cutoff).changes);
    },
    async ping() {
      guard('ping', () => db.prepare('SELECT 1').get());
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
