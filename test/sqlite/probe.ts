// Exercises everything that opens SQLite in the scan path through whichever backend this process chose:
// imports the committed OSV fixtures into a fresh DB, reads it back, reads a real rpmdb.sqlite, and checks
// that a throwing transaction leaves nothing behind. Run in-process by the tests (better-sqlite3, Node 20)
// and as a script under Node 24 with PORTCULLIS_SQLITE=node:sqlite; both must print the same facts.
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRpmDb } from '../../core/src/analyzers/pkg/index.js';
import { openSqlite, sqliteBackend } from '../../core/src/sqlite.js';
import { dbStatus, importOsv, openVulnDb } from '../../core/src/vulndb/index.js';
import { FIXTURES } from '../helpers/env.js';

export interface ProbeResult {
  backend: string;
  imported: number;
  records: number;
  byEcosystem: Record<string, number>;
  busybox: string[];
  musl: string[];
  record: string | undefined;
  hasAlpine: boolean;
  hasDebian: boolean;
  rpmPackages: string[];
  rolledBack: number;
  committed: number;
}

export function probeSqlite(parent: string): ProbeResult {
  const work = mkdtempSync(join(parent, 'probe-'));
  const path = join(work, 'vuln.sqlite');
  const imported = importOsv(path, [join(FIXTURES, 'osv', 'alpine-v3.11'), join(FIXTURES, 'osv', 'records')]);
  const status = dbStatus(path);
  const db = openVulnDb(path);
  db.prefetch('Alpine:v3.11', ['musl', 'openssl', 'no-such']);
  const result: ProbeResult = {
    backend: sqliteBackend(),
    imported: imported.imported,
    records: status.records,
    byEcosystem: status.byEcosystem,
    busybox: db
      .findAffected('Alpine:v3.11', 'busybox')
      .map((r) => r.recordId)
      .sort(),
    musl: db
      .findAffected('Alpine:v3.11', 'musl')
      .map((r) => r.recordId)
      .sort(),
    record: db.getRecord('ALPINE-v3.11-CVE-2016-8859')?.upstream?.join(','),
    hasAlpine: db.hasEcosystem('Alpine:v3.11'),
    hasDebian: db.hasEcosystem('Debian:12'),
    rpmPackages: [],
    rolledBack: -1,
    committed: -1,
  };
  db.close();
  const rpm = readFileSync(join(FIXTURES, 'pkgdb', 'go-rpmdb', 'cbl-mariner-2.0.rpmdb.sqlite'));
  result.rpmPackages = parseRpmDb(rpm, '/var/lib/rpm/rpmdb.sqlite')
    .packages.map((p) => `${p.name}-${p.version}`)
    .sort();

  const raw = openSqlite(join(work, 'tx.sqlite'));
  raw.exec('CREATE TABLE t (v INTEGER)');
  const insert = raw.prepare('INSERT INTO t (v) VALUES (?)');
  try {
    raw.transaction(() => {
      insert.run(1);
      throw new Error('abort');
    });
  } catch {
    // expected: the insert must be rolled back
  }
  result.rolledBack = raw.prepare('SELECT COUNT(*) FROM t').value() as number;
  raw.transaction(() => {
    insert.run(2);
    raw.transaction(() => insert.run(3));
  });
  result.committed = raw.prepare('SELECT COUNT(*) FROM t').value() as number;
  raw.close();
  return result;
}

if (process.argv[1]?.endsWith('probe.ts') && process.argv[2]) {
  process.stdout.write(`${JSON.stringify(probeSqlite(process.argv[2]))}\n`);
}
