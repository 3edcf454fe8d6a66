/**
 * One SQLite interface for everything in the scan path that opens a database (the vulnerability DB, rpm's
 * `rpmdb.sqlite`). Two backends, chosen at run time: `better-sqlite3` (a native addon, fastest, what an
 * npm install of Portcullis has) and Node's built-in `node:sqlite` (`DatabaseSync`, Node ≥ 22.13), which is
 * what the GitHub Action's single-file bundle uses on the runner's Node 24 — a bundle cannot carry an addon.
 *
 * `PORTCULLIS_SQLITE=better-sqlite3|node:sqlite` forces one (tests cover both; the Action's bundle sets
 * `node:sqlite` at build time); otherwise better-sqlite3 when it loads, else node:sqlite.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { PortcullisError } from './errors.js';

export type SqliteBackend = 'better-sqlite3' | 'node:sqlite';

/** A value SQLite hands back or takes: TEXT, INTEGER/REAL, BLOB (a Buffer from either backend) or NULL. */
export type SqliteValue = string | number | bigint | Buffer | null;

export interface SqliteStatement {
  /** The first row as an object (column name → value), or undefined. */
  get(...params: SqliteValue[]): Record<string, unknown> | undefined;
  all(...params: SqliteValue[]): Record<string, unknown>[];
  /** The first column of the first row, or undefined when there is no row. */
  value(...params: SqliteValue[]): unknown;
  /** The first column of every row. */
  values(...params: SqliteValue[]): unknown[];
  run(...params: SqliteValue[]): void;
}

export interface SqliteDb {
  readonly backend: SqliteBackend;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  /** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface SqliteOpenOptions {
  readonly?: boolean;
  /** Default true with readonly. */
  fileMustExist?: boolean;
}

// The minimal surface of node:sqlite used here (@types/node 20 has no types for it).
interface NodeStatement {
  get(...p: unknown[]): Record<string, unknown> | undefined;
  all(...p: unknown[]): Record<string, unknown>[];
  run(...p: unknown[]): unknown;
}
interface NodeDatabase {
  prepare(sql: string): NodeStatement;
  exec(sql: string): void;
  close(): void;
  deserialize?: (data: Uint8Array) => void;
}
type NodeDatabaseCtor = new (path: string, opts?: { readOnly?: boolean }) => NodeDatabase;

const require = createRequire(import.meta.url);
let chosen: { backend: SqliteBackend; better?: typeof BetterSqlite3; node?: NodeDatabaseCtor } | undefined;

/** The backend this process uses (loads it on first call). */
export function sqliteBackend(): SqliteBackend {
  return loadBackend().backend;
}

function loadBackend(): NonNullable<typeof chosen> {
  if (chosen) return chosen;
  const forced = process.env['PORTCULLIS_SQLITE'];
  if (forced !== undefined && forced !== '' && forced !== 'better-sqlite3' && forced !== 'node:sqlite') {
    throw new PortcullisError(
      'DB_BACKEND_UNAVAILABLE',
      `PORTCULLIS_SQLITE=${forced}: expected better-sqlite3 or node:sqlite`,
    );
  }
  const errors: string[] = [];
  if (forced !== 'node:sqlite') {
    try {
      const better = require('better-sqlite3') as typeof BetterSqlite3;
      // the addon binary loads on the first open: one built for another Node's ABI fails only here
      new better(':memory:').close();
      chosen = { backend: 'better-sqlite3', better };
      return chosen;
    } catch (err) {
      errors.push(`better-sqlite3: ${(err as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  if (forced !== 'better-sqlite3') {
    // getBuiltinModule (Node ≥ 20.16) returns undefined for a module this Node lacks instead of throwing
    const mod = process.getBuiltinModule?.('node:sqlite') as { DatabaseSync?: NodeDatabaseCtor } | undefined;
    if (mod?.DatabaseSync) {
      chosen = { backend: 'node:sqlite', node: mod.DatabaseSync };
      return chosen;
    }
    errors.push(`node:sqlite: not in Node ${process.versions.node} (needs ≥ 22.13)`);
  }
  throw new PortcullisError('DB_BACKEND_UNAVAILABLE', `no SQLite backend: ${errors.join('; ')}`);
}

/** Opens a database file. Errors are the backend's (callers wrap them with their own code). */
export function openSqlite(path: string, opts: SqliteOpenOptions = {}): SqliteDb {
  const b = loadBackend();
  const readonly = opts.readonly ?? false;
  if (b.better) {
    return fromBetter(new b.better(path, { readonly, fileMustExist: opts.fileMustExist ?? readonly }));
  }
  const Ctor = b.node as NodeDatabaseCtor;
  return fromNode(new Ctor(path, { readOnly: readonly }));
}

/** Opens a database image held in memory, read-only (rpm's `rpmdb.sqlite` read out of a layer). */
export function openSqliteBuffer(data: Buffer): SqliteDb {
  const b = loadBackend();
  if (b.better) return fromBetter(new b.better(data, { readonly: true }));
  const Ctor = b.node as NodeDatabaseCtor;
  const mem = new Ctor(':memory:');
  if (typeof mem.deserialize === 'function') {
    mem.deserialize(data);
    return fromNode(mem);
  }
  // Node 22 has no deserialize: go through a private temp file, removed on close
  mem.close();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'));
  const file = join(dir, 'db.sqlite');
  try {
    writeFileSync(file, data, { mode: 0o600 });
    const db = fromNode(new Ctor(file, { readOnly: true }));
    return {
      ...db,
      close() {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function firstValue(row: Record<string, unknown> | undefined): unknown {
  if (row === undefined) return undefined;
  for (const key in row) return row[key];
  return undefined;
}

function fromBetter(db: BetterSqlite3.Database): SqliteDb {
  return {
    backend: 'better-sqlite3',
    prepare(sql) {
      const stmt = db.prepare(sql);
      const returnsRows = stmt.reader;
      return {
        get: (...p) => stmt.get(...p) as Record<string, unknown> | undefined,
        all: (...p) => stmt.all(...p) as Record<string, unknown>[],
        value: (...p) => (returnsRows ? firstValue(stmt.get(...p) as Record<string, unknown>) : undefined),
        values: (...p) => (stmt.all(...p) as Record<string, unknown>[]).map(firstValue),
        run: (...p) => {
          stmt.run(...p);
        },
      };
    },
    exec: (sql) => {
      db.exec(sql);
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => {
      db.close();
    },
  };
}

// node:sqlite returns BLOBs as Uint8Array; callers of either backend see Buffers
function toBuffers(row: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (row === undefined) return undefined;
  for (const key in row) {
    const v = row[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      row[key] = Buffer.from(v.buffer, v.byteOffset, v.length);
  }
  return row;
}

function fromNode(db: NodeDatabase): SqliteDb {
  let depth = 0;
  return {
    backend: 'node:sqlite',
    prepare(sql) {
      const stmt = db.prepare(sql);
      return {
        get: (...p) => toBuffers(stmt.get(...p)),
        all: (...p) => stmt.all(...p).map((r) => toBuffers(r) as Record<string, unknown>),
        value: (...p) => firstValue(toBuffers(stmt.get(...p))),
        values: (...p) => stmt.all(...p).map((r) => firstValue(toBuffers(r))),
        run: (...p) => {
          stmt.run(...p);
        },
      };
    },
    exec: (sql) => {
      db.exec(sql);
    },
    transaction<T>(fn: () => T): T {
      // nested calls become savepoints, as better-sqlite3's transactions do
      const name = `portcullis_${depth}`;
      db.exec(depth === 0 ? 'BEGIN' : `SAVEPOINT ${name}`);
      depth++;
      try {
        const result = fn();
        depth--;
        db.exec(depth === 0 ? 'COMMIT' : `RELEASE ${name}`);
        return result;
      } catch (err) {
        depth--;
        db.exec(depth === 0 ? 'ROLLBACK' : `ROLLBACK TO ${name}; RELEASE ${name}`);
        throw err;
      }
    },
    close: () => {
      db.close();
    },
  };
}
