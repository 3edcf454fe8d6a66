/** Reads header blobs from rpm's sqlite backend (`rpmdb.sqlite`: table `Packages(hnum, blob)`). */
import { openSqliteBuffer, type SqliteDb } from '../../sqlite.js';
import type { BlobList } from './rpm-bdb.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export class SqliteRpmError extends Error {}

export function isSqlite(buf: Buffer): boolean {
  return buf.length >= 100 && buf.subarray(0, 16).equals(SQLITE_MAGIC);
}

export function readSqliteBlobs(buf: Buffer): BlobList {
  if (!isSqlite(buf)) throw new SqliteRpmError('not a sqlite database (bad magic)');
  // rpm keeps the database in WAL mode (header bytes 18/19 = 2), which sqlite cannot open from memory.
  // The -wal file is not part of this buffer anyway, so read it as a rollback-journal database.
  const copy = Buffer.from(buf);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let db: SqliteDb | undefined;
  try {
    // the SQLite backend (a native addon or node:sqlite) loads on the first sqlite rpmdb, not with every scan
    db = openSqliteBuffer(copy);
    const rows = db.prepare('SELECT blob FROM Packages').values();
    const blobs: Buffer[] = [];
    const warnings: string[] = [];
    for (const value of rows) {
      if (Buffer.isBuffer(value)) blobs.push(value);
      else if (warnings.length < 20) warnings.push(`a Packages row holds ${typeof value}, not a header blob`);
    }
    return { blobs, warnings };
  } catch (err) {
    if (err instanceof SqliteRpmError) throw err;
    throw new SqliteRpmError(
      `cannot read the Packages table: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  } finally {
    db?.close();
  }
}
