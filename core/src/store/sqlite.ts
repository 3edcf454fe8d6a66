import { ADMISSION_LOG_CAP, parseAdmissionEvent, toAdmissionLimit } from './verdict-store.js';
import Database from 'better-sqlite3';
import { wrapError } from '../errors.js';
import type { StoredScan } from './verdict-store.js';
import {
  parseStoredScan,
  toAdvisoryHits,
  toAdvisoryKey,
  toStoredProjection,
  type AdvisoryHit,
  type VerdictStore,
} from './verdict-store.js';

/** Rows per page of `listProjections`. */
const PROJECTIONS_PAGE = 1000;

/** Embedded store in one SQLite file (WAL): survives restarts of a single replica. */
export function createSqliteStore(path: string, opts: { now?: () => number } = {}): VerdictStore {
  const now = opts.now ?? Date.now;
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 500');
    db.exec(`CREATE TABLE IF NOT EXISTS scans (digest TEXT PRIMARY KEY, scanned_at TEXT NOT NULL, body TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, body TEXT NOT NULL, saved_at TEXT NOT NULL);`);
    createAdvisoryIndex(db);
    createProjections(db);
  } catch (err) {
    throw wrapError(err, `opening verdict store ${path}`, 'WEBHOOK_STORE_UNAVAILABLE');
  }
  const getStmt = db.prepare<[string], { body: string }>('SELECT body FROM scans WHERE digest = ?');
  const listStmt = db.prepare<[], { body: string }>('SELECT body FROM scans ORDER BY digest');
  const putStmt = db.prepare('INSERT OR REPLACE INTO scans (digest, scanned_at, body) VALUES (?, ?, ?)');
  const putProjectionStmt = db.prepare(
    'INSERT OR REPLACE INTO scan_projections (digest, body) VALUES (?, ?)',
  );
  const projectionsPageStmt = db.prepare<[string, number], { digest: string; body: string }>(
    'SELECT digest, body FROM scan_projections WHERE digest > ? ORDER BY digest LIMIT ?',
  );
  // rows a process of an older version stored after the back-fill: projected when read (EXCEPT compares the
  // two primary-key indexes, ~1 ms at 10,000 rows, where NOT EXISTS walked the large scans table)
  const unprojectedStmt = db.prepare<[], { body: string }>(
    'SELECT body FROM scans WHERE digest IN (SELECT digest FROM scans EXCEPT SELECT digest FROM scan_projections)',
  );
  const unindexStmt = db.prepare('DELETE FROM scan_advisories WHERE digest = ?');
  const indexStmt = db.prepare(
    'INSERT OR REPLACE INTO scan_advisories (advisory, digest, hit) VALUES (?, ?, ?)',
  );
  const byAdvisoryStmt = db.prepare<[string], { hit: string }>(
    'SELECT hit FROM scan_advisories WHERE advisory = ? ORDER BY digest',
  );
  const pruneIndexStmt = db.prepare(
    "DELETE FROM scan_advisories WHERE digest IN (SELECT digest FROM scans WHERE json_extract(body, '$.storedAt') < ?)",
  );
  const pruneProjectionsStmt = db.prepare(
    "DELETE FROM scan_projections WHERE digest IN (SELECT digest FROM scans WHERE json_extract(body, '$.storedAt') < ?)",
  );
  const pruneStmt = db.prepare("DELETE FROM scans WHERE json_extract(body, '$.storedAt') < ?");
  // the result and its index rows change together: a replaced result keeps no stale advisory
  const putTx = db.transaction((entry: StoredScan) => {
    putStmt.run(entry.digest, entry.scannedAt, JSON.stringify(entry));
    putProjectionStmt.run(entry.digest, JSON.stringify(toStoredProjection(entry)));
    unindexStmt.run(entry.digest);
    for (const [k, hit] of toAdvisoryHits(entry)) indexStmt.run(k, entry.digest, JSON.stringify(hit));
  });
  const pruneTx = db.transaction((cutoff: string): number => {
    pruneIndexStmt.run(cutoff);
    pruneProjectionsStmt.run(cutoff);
    return pruneStmt.run(cutoff).changes;
  });
  const saveSnapshotStmt = db.prepare(
    'INSERT OR REPLACE INTO snapshots (name, body, saved_at) VALUES (?, ?, ?)',
  );
  const readSnapshotStmt = db.prepare<[string], { body: string; saved_at: string }>(
    'SELECT body, saved_at FROM snapshots WHERE name = ?',
  );
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
      guard('put', () => putTx(entry));
    },
    async list() {
      const rows = guard('list', () => listStmt.all());
      return rows.flatMap((r) => parseStoredScan(r.body) ?? []);
    },
    async listProjections() {
      // in pages, read and parsed, yielding between them: one read of 10,000 rows held the event loop for
      // ~0.5 s (a service rebuilding its image index answered no page meanwhile). A result put between two
      // pages is listed or not, as it would be had the list been read just before or after the put.
      const out: StoredScan[] = [];
      for (let after = ''; ;) {
        const page = guard('list', () => projectionsPageStmt.all(after, PROJECTIONS_PAGE));
        for (const r of page) {
          const entry = parseStoredScan(r.body);
          if (entry) out.push(entry);
        }
        if (page.length < PROJECTIONS_PAGE) break;
        after = page[page.length - 1]!.digest;
        await new Promise((r) => setImmediate(r));
      }
      for (const r of guard('list', () => unprojectedStmt.all())) {
        const entry = parseStoredScan(r.body);
        if (entry) out.push(toStoredProjection(entry));
      }
      return out;
    },
    async findByAdvisory(id) {
      const rows = guard('find', () => byAdvisoryStmt.all(toAdvisoryKey(id)));
      return rows.map((r) => JSON.parse(r.hit) as AdvisoryHit);
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
      return guard('delete', () => pruneTx(cutoff));
    },
    async saveSnapshot(name, body) {
      guard('save snapshot', () => saveSnapshotStmt.run(name, body, new Date(now()).toISOString()));
    },
    async readSnapshot(name) {
      const row = guard('read snapshot', () => readSnapshotStmt.get(name));
      return row ? { body: row.body, savedAt: row.saved_at } : undefined;
    },
    async ping() {
      guard('ping', () => db.prepare('SELECT 1').get());
    },
    async close() {
      if (db.open) db.close();
    },
    async recordAdmissions(events) {
      if (events.length === 0) return;
      guard('record admission', () => admissionsOf().record(events.map((e) => JSON.stringify(e))));
    },
    async listAdmissions(limit) {
      const rows = guard('list admissions', () => admissionsOf().list(toAdmissionLimit(limit)));
      return rows.flatMap((r) => parseAdmissionEvent(r.body) ?? []);
    },
  };
  // prepared on first use, so the table and statements live beside their methods (and a file that never
  // records an admission gets no table)
  function admissionsOf(): AdmissionStatements {
    let statements = admissionStatements.get(db);
    if (!statements) admissionStatements.set(db, (statements = createAdmissionStatements(db)));
    return statements;
  }
}

const admissionStatements = new WeakMap<Database.Database, AdmissionStatements>();

interface AdmissionStatements {
  record: (bodies: string[]) => void;
  list: (limit: number) => { body: string }[];
}

/** The `admissions` table (id ascending = insertion order), trimmed to the newest ADMISSION_LOG_CAP on insert. */
function createAdmissionStatements(db: Database.Database): AdmissionStatements {
  db.exec('CREATE TABLE IF NOT EXISTS admissions (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO admissions (body) VALUES (?)');
  const trim = db.prepare(
    'DELETE FROM admissions WHERE id <= (SELECT id FROM admissions ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );
  const list = db.prepare<[number], { body: string }>('SELECT body FROM admissions ORDER BY id DESC LIMIT ?');
  const record = db.transaction((bodies: string[]) => {
    for (const body of bodies) insert.run(body);
    trim.run(ADMISSION_LOG_CAP);
  });
  return { record: (body) => void record(body), list: (limit) => list.all(limit) };
}

/**
 * The reverse index table (advisory key, digest → the hit as JSON; indexed both ways). A file written before the index existed
 * is indexed once, when the table is created (under a write lock, so two processes opening it do it once).
 */
function createAdvisoryIndex(db: Database.Database): void {
  createDerivedTable(
    db,
    'scan_advisories',
    `CREATE TABLE scan_advisories (advisory TEXT NOT NULL, digest TEXT NOT NULL, hit TEXT NOT NULL,
       PRIMARY KEY (advisory, digest));
     CREATE INDEX scan_advisories_digest ON scan_advisories (digest);`,
    () => {
      const insert = db.prepare(
        'INSERT OR REPLACE INTO scan_advisories (advisory, digest, hit) VALUES (?, ?, ?)',
      );
      return (entry) => {
        for (const [k, hit] of toAdvisoryHits(entry)) insert.run(k, entry.digest, JSON.stringify(hit));
      };
    },
  );
}

/**
 * The projections table (digest → `toStoredProjection` of the result as JSON), written by `put` in the result's
 * transaction. A file written before it existed is projected once, when the table is created (as the index).
 */
function createProjections(db: Database.Database): void {
  createDerivedTable(
    db,
    'scan_projections',
    'CREATE TABLE scan_projections (digest TEXT PRIMARY KEY, body TEXT NOT NULL)',
    () => {
      const insert = db.prepare('INSERT OR REPLACE INTO scan_projections (digest, body) VALUES (?, ?)');
      return (entry) => void insert.run(entry.digest, JSON.stringify(toStoredProjection(entry)));
    },
  );
}

/**
 * Creates a table derived from the stored results when it is missing, and fills it from every result the file
 * already holds, in one immediate transaction (a write lock: two processes opening an old file fill it once).
 * `prepare` runs after the table exists and returns what to do with each stored result.
 */
function createDerivedTable(
  db: Database.Database,
  name: string,
  schema: string,
  prepare: () => (entry: StoredScan) => void,
): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (exists.get(name)) return;
  db.transaction(() => {
    if (exists.get(name)) return;
    db.exec(schema);
    const fill = prepare();
    const page = db.prepare<[string], { digest: string; body: string }>(
      'SELECT digest, body FROM scans WHERE digest > ? ORDER BY digest LIMIT 500',
    );
    // pages, not one iterator: better-sqlite3 runs no other statement while an iterator is open
    for (let rows = page.all(''); rows.length > 0; rows = page.all(rows[rows.length - 1]!.digest))
      for (const row of rows) {
        const entry = parseStoredScan(row.body);
        if (entry) fill({ ...entry, digest: row.digest });
      }
  }).immediate();
}
