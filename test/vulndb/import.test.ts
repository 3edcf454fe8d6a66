import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPortcullisError } from '../../core/src/errors.js';
import { dbStatus, importOsv, openVulnDb, readZip } from '../../core/src/vulndb/index.js';
import { FIXTURES, NO_SHARED_REASON, SHARED_DATA, skipReason } from '../helpers/env.js';
import { makeZip } from './make-zip.js';

const OSV = join(FIXTURES, 'osv');
const work = mkdtempSync(join(tmpdir(), 'portcullis-vulndb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const freshDb = (): string => join(work, `db-${n++}.sqlite`);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPortcullisError(err) ? err.code : `NOT_PORTCULLIS: ${String(err)}`;
  }
  return undefined;
}

function* walkJson(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walkJson(p);
    else if (e.name.endsWith('.json')) yield p;
  }
}

/** Counts, straight from the files, the non-withdrawn records per affected ecosystem. */
function countByEcosystem(dir: string): {
  total: number;
  withdrawn: number;
  byEcosystem: Record<string, number>;
} {
  const byEcosystem: Record<string, number> = {};
  let total = 0;
  let withdrawn = 0;
  for (const file of walkJson(dir)) {
    const r = JSON.parse(readFileSync(file, 'utf8')) as {
      withdrawn?: string;
      affected?: { package: { ecosystem: string } }[];
    };
    if (r.withdrawn) {
      withdrawn++;
      continue;
    }
    total++;
    for (const eco of new Set((r.affected ?? []).map((a) => a.package.ecosystem)))
      byEcosystem[eco] = (byEcosystem[eco] ?? 0) + 1;
  }
  return { total, withdrawn, byEcosystem };
}

describe('importOsv', () => {
  describe('when importing a directory of records', () => {
    it('stores every non-withdrawn record, indexed by ecosystem and package', () => {
      const db = freshDb();
      const result = importOsv(db, [join(OSV, 'records')], { now: () => new Date('2026-01-02T03:04:05Z') });
      const expected = countByEcosystem(join(OSV, 'records'));
      expect(result.imported).toBe(expected.total);
      expect(result.withdrawn).toBe(expected.withdrawn);
      expect(result.skipped).toEqual([]);
      expect(result.byEcosystem).toEqual(expected.byEcosystem);
      const status = dbStatus(db);
      expect(status.byEcosystem).toEqual(expected.byEcosystem);
      expect(status.builtAt).toBe('2026-01-02T03:04:05.000Z');
      expect(status.sources.map((s) => s.source)).toEqual([join(OSV, 'records')]);
      const handle = openVulnDb(db);
      try {
        expect(handle.findAffected('PyPI', 'urllib3').map((r) => r.recordId)).toEqual(['PYSEC-2023-192']);
        // PEP 503: lookups normalise the name the same way
        expect(handle.findAffected('PyPI', 'URLLib3').map((r) => r.recordId)).toEqual(['PYSEC-2023-192']);
        expect(handle.getRecord('PYSEC-2023-192')?.aliases).toContain('CVE-2023-43804');
        expect(handle.findAffected('crates.io', 'dirs')).toEqual([]); // RUSTSEC-2020-0053 is withdrawn
        expect(handle.hasEcosystem('npm')).toBe(false);
      } finally {
        handle.close();
      }
    });
  });

  describe('when some records are malformed', () => {
    it('reports each with its file and reason, and imports the rest', () => {
      const db = freshDb();
      const dir = join(OSV, 'malformed');
      const result = importOsv(db, [dir]);
      expect(result.imported).toBe(1);
      const byFile = Object.fromEntries(result.skipped.map((s) => [s.file.slice(dir.length + 1), s.reason]));
      expect(Object.keys(byFile).sort()).toEqual([
        'bad-events.json',
        'bad-json.json',
        'bad-version.json',
        'missing-id.json',
        'no-introduced.json',
      ]);
      expect(byFile['missing-id.json']).toMatch(/\/id/);
      expect(byFile['bad-json.json']).toMatch(/bad JSON/);
      expect(byFile['bad-events.json']).toMatch(/events\/0.*exactly one/);
      expect(byFile['no-introduced.json']).toMatch(/no introduced/);
      expect(byFile['bad-version.json']).toMatch(/not a valid Debian:12 version/);
      expect(dbStatus(db).byEcosystem).toEqual({ 'crates.io': 1 });
    });
  });

  describe('when the import is interrupted', () => {
    it('leaves the previous DB untouched and no temporary file behind', () => {
      const db = freshDb();
      importOsv(db, [join(OSV, 'alpine-v3.11')]);
      const before = readFileSync(db);
      const statusBefore = dbStatus(db);
      let calls = 0;
      expect(() =>
        importOsv(db, [join(OSV, 'records')], {
          onRecord: () => {
            if (++calls === 3) throw new Error('simulated crash');
          },
        }),
      ).toThrow(/simulated crash/);
      expect(calls).toBe(3);
      expect(readFileSync(db).equals(before)).toBe(true);
      expect(dbStatus(db)).toEqual(statusBefore);
      expect(readdirSync(work).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });

    it('creates no DB at all when the first import fails', () => {
      const db = freshDb();
      expect(() =>
        importOsv(db, [join(OSV, 'records')], {
          onRecord: () => {
            throw new Error('boom');
          },
        }),
      ).toThrow();
      expect(existsSync(db)).toBe(false);
    });
  });

  describe('when a record affects several ecosystems', () => {
    it('indexes and counts it under each', () => {
      const file = join(work, 'multi.json');
      const range = [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2.3-1' }] }];
      writeFileSync(
        file,
        JSON.stringify({
          id: 'MULTI-1',
          modified: '2024-01-01T00:00:00Z',
          affected: [
            { package: { ecosystem: 'Debian:11', name: 'zlib' }, ranges: range },
            { package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: range },
          ],
        }),
      );
      const db = freshDb();
      const result = importOsv(db, [file]);
      expect(result.byEcosystem).toEqual({ 'Debian:11': 1, 'Debian:12': 1 });
      expect(dbStatus(db)).toMatchObject({ records: 1, byEcosystem: { 'Debian:11': 1, 'Debian:12': 1 } });
      const only12 = freshDb();
      expect(importOsv(only12, [file], { ecosystems: ['Debian:12'] }).imported).toBe(1);
      expect(dbStatus(only12).byEcosystem).toEqual({ 'Debian:12': 1 });
    });
  });

  describe('when importing into an existing DB', () => {
    it('adds to it and replaces re-imported records', () => {
      const db = freshDb();
      importOsv(db, [join(OSV, 'alpine-v3.11')]);
      const result = importOsv(db, [join(OSV, 'records'), join(OSV, 'alpine-v3.11')]);
      const alpine = countByEcosystem(join(OSV, 'alpine-v3.11'));
      const records = countByEcosystem(join(OSV, 'records'));
      expect(dbStatus(db).byEcosystem).toEqual({ ...alpine.byEcosystem, ...records.byEcosystem });
      expect(dbStatus(db).records).toBe(alpine.total + records.total);
      expect(dbStatus(db).sources).toHaveLength(3);
      expect(result.imported).toBe(alpine.total + records.total);
    });

    it('counts the records of each source on its own (a source is not credited with the total)', () => {
      const db = freshDb();
      const records = join(OSV, 'records');
      const alpine = join(OSV, 'alpine-v3.11');
      const result = importOsv(db, [records, alpine], { now: () => new Date('2026-01-02T03:04:05Z') });
      const want = { [records]: countByEcosystem(records).total, [alpine]: countByEcosystem(alpine).total };
      expect(want[records]).not.toBe(want[alpine]);
      expect(result.bySource).toEqual(want);
      expect(dbStatus(db).sources).toEqual([
        { source: records, importedAt: '2026-01-02T03:04:05.000Z', records: want[records] },
        { source: alpine, importedAt: '2026-01-02T03:04:05.000Z', records: want[alpine] },
      ]);
    });

    it('removes a record that is now withdrawn', () => {
      const db = freshDb();
      const record = JSON.parse(
        readFileSync(join(OSV, 'records', 'RUSTSEC-2021-0003.json'), 'utf8'),
      ) as Record<string, unknown>;
      writeFileSync(join(work, 'live.json'), JSON.stringify(record));
      importOsv(db, [join(work, 'live.json')]);
      expect(dbStatus(db).records).toBe(1);
      writeFileSync(
        join(work, 'gone.json'),
        JSON.stringify({ ...record, withdrawn: '2026-01-01T00:00:00Z' }),
      );
      const result = importOsv(db, [join(work, 'gone.json')]);
      expect(result.withdrawn).toBe(1);
      expect(dbStatus(db).records).toBe(0);
    });
  });

  describe('when importing an osv.dev all.zip', () => {
    it('reads the JSON entries of the zip', () => {
      const files = readdirSync(join(OSV, 'records'));
      const zip = makeZip(files.map((f) => ({ name: f, data: readFileSync(join(OSV, 'records', f)) })));
      const zipPath = join(work, 'all.zip');
      writeFileSync(zipPath, zip);
      const db = freshDb();
      const result = importOsv(db, [zipPath]);
      expect(result.byEcosystem).toEqual(countByEcosystem(join(OSV, 'records')).byEcosystem);
    });

    it('refuses a truncated zip with DB_IMPORT_FAILED', () => {
      const zip = makeZip([{ name: 'a.json', data: '{}' }]);
      const cut = join(work, 'cut.zip');
      writeFileSync(cut, zip.subarray(0, zip.length - 10));
      expect(codeOf(() => importOsv(freshDb(), [cut]))).toBe('DB_IMPORT_FAILED');
    });

    it('refuses an entry whose content does not match its CRC-32', () => {
      const zip = makeZip([{ name: 'a.json', data: '{"id":"X","modified":"2024-01-01T00:00:00Z"}' }]);
      zip.writeUInt32LE(
        (zip.readUInt32LE(zip.length - 22 - 46 - 6 + 16) ^ 1) >>> 0,
        zip.length - 22 - 46 - 6 + 16,
      );
      expect(() => [...readZip(zip, 'crc.zip')]).toThrow(/CRC-32/);
    });

    it('refuses an entry that inflates past the limit', () => {
      const zip = makeZip([{ name: 'big.json', data: Buffer.alloc(100_000, 0x20) }]);
      expect(() => [
        ...readZip(zip, 'bomb.zip', { maxArchiveBytes: 1e9, maxEntries: 10, maxEntryBytes: 1000 }),
      ]).toThrow(/larger than 1000/);
    });
  });

  describe('openVulnDb', () => {
    it('fails with DB_NOT_FOUND for a missing file', () => {
      expect(codeOf(() => openVulnDb(join(work, 'nope.sqlite')))).toBe('DB_NOT_FOUND');
      expect(codeOf(() => dbStatus(join(work, 'nope.sqlite')))).toBe('DB_NOT_FOUND');
    });

    it('fails with DB_INVALID for a file that is not a Portcullis DB', () => {
      const junk = join(work, 'junk.sqlite');
      writeFileSync(junk, 'not sqlite at all, just text '.repeat(100));
      expect(codeOf(() => openVulnDb(junk))).toBe('DB_INVALID');
    });

    it('fails with DB_IMPORT_FAILED when an input does not exist', () => {
      expect(codeOf(() => importOsv(freshDb(), [join(work, 'no-such-dir')]))).toBe('DB_IMPORT_FAILED');
    });
  });
});

describe.skipIf(!SHARED_DATA && skipReason(NO_SHARED_REASON))('importOsv with all shared OSV data', () => {
  it('imports ~19k records; dbStatus matches a count made from the files', () => {
    const dir = join(SHARED_DATA ?? '', 'osv');
    const db = freshDb();
    const started = Date.now();
    const result = importOsv(db, [dir]);
    const expected = countByEcosystem(dir);
    console.log(
      `imported ${result.imported} records (${result.withdrawn} withdrawn, ${result.skipped.length} skipped) in ${Date.now() - started} ms`,
    );
    console.log(`per ecosystem: ${JSON.stringify(dbStatus(db).byEcosystem)}`);
    expect(result.skipped).toEqual([]);
    expect(result.imported).toBe(expected.total);
    expect(result.imported).toBeGreaterThan(19_000);
    expect(dbStatus(db).byEcosystem).toEqual(expected.byEcosystem);
    for (const v of ['v3.3', 'v3.4', 'v3.5', 'v3.6', 'v3.7', 'v3.8', 'v3.9', 'v3.10', 'v3.11']) {
      expect(dbStatus(db).byEcosystem[`Alpine:${v}`]).toBe(readdirSync(join(dir, 'alpine', v)).length);
    }
  });

  it('db status counts each of several sources on its own', () => {
    const dir = join(SHARED_DATA ?? '', 'osv');
    const inputs = ['alpine', 'go', 'pypi', 'crates.io'].map((s) => join(dir, s));
    const db = freshDb();
    const result = importOsv(db, inputs);
    const sources = dbStatus(db).sources;
    expect(sources.map((s) => s.source)).toEqual(inputs);
    for (const s of sources) expect(s.records).toBe(countByEcosystem(s.source).total);
    expect(sources.reduce((sum, s) => sum + s.records, 0)).toBe(result.imported);
  });
});
