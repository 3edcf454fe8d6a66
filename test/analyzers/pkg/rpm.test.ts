import { describe, expect, it } from 'vitest';
import {
  PKG_ANALYZERS,
  RpmHeaderError,
  parseRpmDb,
  parseRpmHeader,
  parseSourceRpm,
  readRpmDbBlobs,
  rpmAnalyzer,
  toRpmDbFormat,
} from '../../../core/src/analyzers/pkg/index.js';
import { isPortcullisError } from '../../../core/src/errors.js';
import { LAYER, header, imageFile, prng, readFixture, readJson } from './helpers.js';

const NDB = readFixture('go-rpmdb/sle15-bci.Packages.db');
const BDB = readFixture('go-rpmdb/libuuid.Packages');
const SQLITE = readFixture('go-rpmdb/cbl-mariner-2.0.rpmdb.sqlite');

interface GoRpmdbPackage {
  epoch: number | null;
  name: string;
  version: string;
  release: string;
  arch: string;
  sourceRpm: string;
  size: number;
  license: string;
  vendor: string;
  modularitylabel?: string;
  summary?: string;
}

const single = readJson<Record<string, GoRpmdbPackage>>('go-rpmdb/expected-single.json');

/** Every header of a database, parsed. */
function headers(buf: Buffer, path: string): ReturnType<typeof parseRpmHeader>[] {
  return readRpmDbBlobs(buf, path).blobs.map(parseRpmHeader);
}

function expectParseFailed(fn: () => unknown, path: string): void {
  expect(fn).toThrow(
    expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED', problems: [expect.objectContaining({ path })] }),
  );
}

describe('rpm databases', () => {
  it('detects each backend by its content', () => {
    expect(toRpmDbFormat(NDB)).toBe('ndb');
    expect(toRpmDbFormat(BDB)).toBe('bdb');
    expect(toRpmDbFormat(SQLITE)).toBe('sqlite');
    expect(toRpmDbFormat(Buffer.from('hello'))).toBeUndefined();
  });

  describe('ndb (SLE 15 BCI Packages.db)', () => {
    it('reads the 35 headers of expected-sle15-bci.json, field by field', () => {
      const expected = readJson<GoRpmdbPackage[]>('go-rpmdb/expected-sle15-bci.json');
      expect(expected).toHaveLength(35);
      const got = headers(NDB, '/usr/lib/sysimage/rpm/Packages.db');
      expect(got).toHaveLength(35);
      const want = expected.map((e) => ({
        name: e.name,
        version: e.version,
        release: e.release,
        ...(e.epoch === null ? {} : { epoch: e.epoch }),
        arch: e.arch,
        sourceRpm: e.sourceRpm,
        license: e.license,
        vendor: e.vendor,
        size: e.size,
        summary: e.summary,
        ...(e.modularitylabel ? { modularityLabel: e.modularitylabel } : {}),
      }));
      expect(got).toEqual(want);
    });

    it('turns them into package records with source names from SOURCERPM', () => {
      const { packages, warnings } = parseRpmDb(NDB, '/usr/lib/sysimage/rpm/Packages.db');
      expect(warnings).toEqual([]);
      expect(packages).toHaveLength(35);
      expect(packages.find((p) => p.name === 'libpcre1')).toEqual({
        name: 'libpcre1',
        version: '8.45-20.10.1',
        arch: 'x86_64',
        sourceName: 'pcre',
        licenses: ['BSD-3-Clause'],
        vendor: 'SUSE LLC <https://www.suse.com/>',
      });
    });
  });

  describe('Berkeley DB (libuuid Packages)', () => {
    it('reads the libuuid header of expected-single.json', () => {
      const want = single['libuuid.Packages'];
      expect(want).toBeDefined();
      const got = headers(BDB, '/var/lib/rpm/Packages');
      expect(got.map((h) => h.name)).toContain('libuuid');
      expect(got.find((h) => h.name === 'libuuid')).toMatchObject({
        name: want?.name,
        version: want?.version,
        release: want?.release,
        arch: want?.arch,
        size: want?.size,
        sourceRpm: want?.sourceRpm,
        license: want?.license,
        vendor: want?.vendor,
      });
    });

    it('gives libuuid its source package util-linux and a source version equal to its own', () => {
      const { packages } = parseRpmDb(BDB, '/var/lib/rpm/Packages');
      const libuuid = packages.find((p) => p.name === 'libuuid');
      expect(libuuid).toMatchObject({ version: '2.32.1-42.el8_8', sourceName: 'util-linux' });
      expect(libuuid?.sourceVersion).toBeUndefined();
    });
  });

  describe('sqlite (CBL-Mariner 2.0 rpmdb.sqlite)', () => {
    it('reads every package named in the Name index', () => {
      const names = readJson<string[]>('go-rpmdb/names-from-Name-index-cbl-mariner-2.0.json');
      expect(names).toHaveLength(129);
      const { packages, warnings } = parseRpmDb(SQLITE, '/var/lib/rpm/rpmdb.sqlite');
      expect(warnings).toEqual([]);
      expect(packages.map((p) => p.name).sort()).toEqual([...names].sort());
    });

    it('reads the curl header of expected-single.json', () => {
      const want = single['cbl-mariner-2.0.rpmdb.sqlite'];
      expect(want).toBeDefined();
      const curl = headers(SQLITE, '/var/lib/rpm/rpmdb.sqlite').find((h) => h.name === 'curl');
      expect(curl).toMatchObject({
        version: want?.version,
        release: want?.release,
        arch: want?.arch,
        size: want?.size,
        sourceRpm: want?.sourceRpm,
        license: want?.license,
        vendor: want?.vendor,
      });
    });

    it('does not modify the caller’s buffer (WAL flag patched on a copy)', () => {
      const copy = Buffer.from(SQLITE);
      parseRpmDb(copy, '/var/lib/rpm/rpmdb.sqlite');
      expect(copy.equals(SQLITE)).toBe(true);
    });
  });

  it('parseSourceRpm splits name, version and release, and rejects other shapes', () => {
    expect(parseSourceRpm('util-linux-2.32.1-42.el8_8.src.rpm')).toEqual({
      name: 'util-linux',
      version: '2.32.1',
      release: '42.el8_8',
    });
    expect(parseSourceRpm('perl-Text-Tabs+Wrap-2013.0523-395.el8.nosrc.rpm')?.name).toBe(
      'perl-Text-Tabs+Wrap',
    );
    expect(parseSourceRpm('nonsense')).toBeUndefined();
    expect(parseSourceRpm('x.src.rpm')).toBeUndefined();
  });
});

describe('rpm databases with hostile input', () => {
  it('rejects garbage without any database magic', () => {
    const garbage = Buffer.alloc(64 * 1024);
    const rand = prng(7);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(rand() * 256);
    expectParseFailed(() => parseRpmDb(garbage, '/var/lib/rpm/Packages'), '/var/lib/rpm/Packages');
  });

  it('reads a truncated Berkeley DB as a partial result that says it is truncated', () => {
    for (const size of [512, 8192, 60000, 90000]) {
      const { packages, warnings } = parseRpmDb(BDB.subarray(0, size), '/var/lib/rpm/Packages');
      expect(packages).toEqual([]);
      expect(warnings[0]).toMatch(/database is truncated: \d+ of 23 pages present/);
    }
  });

  it('stops at a Berkeley DB overflow chain that loops instead of spinning', () => {
    // metadata page, one hash page with a key/value pair, one overflow page pointing to itself
    const pageSize = 512;
    const db = Buffer.alloc(3 * pageSize);
    db.writeUInt32LE(0x061561, 12);
    db.writeUInt32LE(pageSize, 20);
    db[25] = 8;
    db.writeUInt32LE(2, 32);
    const hash = pageSize;
    db.writeUInt16LE(2, hash + 20);
    db[hash + 25] = 13;
    db.writeUInt16LE(400, hash + 26); // key item (unused)
    db.writeUInt16LE(450, hash + 28); // value item
    db[hash + 450] = 3; // H_OFFPAGE
    db.writeUInt32LE(2, hash + 454); // first overflow page
    db.writeUInt32LE(1400, hash + 458); // total length: more than one page holds
    const ov = 2 * pageSize;
    db[ov + 25] = 7;
    db.writeUInt32LE(2, ov + 16); // next = itself
    db.writeUInt16LE(pageSize - 26, ov + 22);
    const { packages, warnings } = parseRpmDb(db, '/var/lib/rpm/Packages');
    expect(packages).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('loops at page 2')]);
  });

  it('rejects a Berkeley DB with an invalid page size or encryption', () => {
    const badPage = Buffer.from(BDB);
    badPage.writeUInt32LE(1000, 20);
    expectParseFailed(() => parseRpmDb(badPage, '/var/lib/rpm/Packages'), '/var/lib/rpm/Packages');
    const encrypted = Buffer.from(BDB);
    encrypted[24] = 1;
    expect(() => parseRpmDb(encrypted, '/var/lib/rpm/Packages')).toThrow(/encrypted/);
  });

  it('reads a truncated ndb as a partial result with warnings', () => {
    const { packages, warnings } = parseRpmDb(NDB.subarray(0, 700_000), '/usr/lib/sysimage/rpm/Packages.db');
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.length).toBeLessThan(35);
    expect(warnings.some((w) => /runs past the end|outside the database/.test(w))).toBe(true);
  });

  it('rejects an ndb header with an absurd slot page count', () => {
    const bad = Buffer.from(NDB.subarray(0, 4096));
    bad.writeUInt32LE(0xffffffff, 12);
    expectParseFailed(() => parseRpmDb(bad, '/var/lib/rpm/Packages.db'), '/var/lib/rpm/Packages.db');
  });

  it('stops at a corrupt ndb slot table instead of reading on', () => {
    const bad = Buffer.from(NDB);
    bad.fill(0xee, 32 + 16 * 5, 32 + 16 * 6); // the sixth slot
    const { packages, warnings } = parseRpmDb(bad, '/var/lib/rpm/Packages.db');
    expect(packages).toHaveLength(5);
    expect(warnings).toEqual([expect.stringContaining('bad slot magic')]);
  });

  it('fails clearly on truncated or garbled sqlite', () => {
    expectParseFailed(
      () => parseRpmDb(SQLITE.subarray(0, 100_000), '/var/lib/rpm/rpmdb.sqlite'),
      '/var/lib/rpm/rpmdb.sqlite',
    );
    const garbled = Buffer.from(SQLITE.subarray(0, 8192));
    garbled.fill(0x5a, 100);
    expectParseFailed(() => parseRpmDb(garbled, '/var/lib/rpm/rpmdb.sqlite'), '/var/lib/rpm/rpmdb.sqlite');
  });

  it('fails clearly on a sqlite database without a Packages table', () => {
    const header16 = Buffer.from('SQLite format 3\0', 'latin1');
    const fake = Buffer.concat([header16, Buffer.alloc(4080)]);
    expectParseFailed(() => parseRpmDb(fake, '/var/lib/rpm/rpmdb.sqlite'), '/var/lib/rpm/rpmdb.sqlite');
  });

  it('never throws anything but RpmHeaderError for mutated real headers', () => {
    const blobs = readRpmDbBlobs(NDB, 'ndb').blobs.slice(0, 5);
    const rand = prng(42);
    let parsed = 0;
    let rejected = 0;
    for (let round = 0; round < 2000; round++) {
      const blob = Buffer.from(blobs[round % blobs.length] ?? Buffer.alloc(0));
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) {
        // Bias mutations towards the preamble and index, where offsets and counts live.
        const limit = rand() < 0.7 ? Math.min(blob.length, 8 + 16 * 40) : blob.length;
        blob[Math.floor(rand() * limit)] = Math.floor(rand() * 256);
      }
      const cut = rand() < 0.2 ? Math.floor(rand() * blob.length) : blob.length;
      try {
        parseRpmHeader(blob.subarray(0, cut));
        parsed++;
      } catch (err) {
        expect(err).toBeInstanceOf(RpmHeaderError);
        rejected++;
      }
    }
    expect(parsed + rejected).toBe(2000);
    expect(rejected).toBeGreaterThan(0);
  });

  it('never crashes on mutated whole databases: a result or ANALYZER_PARSE_FAILED', () => {
    const rand = prng(1234);
    for (const [db, rounds] of [
      [BDB, 200],
      [NDB.subarray(0, 300_000), 200],
    ] as const) {
      for (let round = 0; round < rounds; round++) {
        const copy = Buffer.from(db);
        for (let f = 0; f < 16; f++) {
          const page = Math.floor(rand() * Math.min(8, copy.length / 4096));
          copy[page * 4096 + Math.floor(rand() * 64)] = Math.floor(rand() * 256);
        }
        try {
          const result = parseRpmDb(copy, '/var/lib/rpm/Packages');
          expect(Array.isArray(result.packages)).toBe(true);
        } catch (err) {
          expect(isPortcullisError(err) && err.code).toBe('ANALYZER_PARSE_FAILED');
        }
      }
    }
  });

  it('rejects headers whose index or data lengths are impossible', () => {
    const tooMany = Buffer.alloc(16);
    tooMany.writeUInt32BE(0x10000, 0);
    expect(() => parseRpmHeader(tooMany)).toThrow(RpmHeaderError);
    const tooLong = Buffer.alloc(64);
    tooLong.writeUInt32BE(1, 0);
    tooLong.writeUInt32BE(0x7fffffff, 4);
    expect(() => parseRpmHeader(tooLong)).toThrow(RpmHeaderError);
    expect(() => parseRpmHeader(Buffer.alloc(3))).toThrow(RpmHeaderError);
  });
});

describe('rpmAnalyzer', () => {
  it('is registered and requires rpmdb files in both locations and all backends', () => {
    expect(PKG_ANALYZERS).toContain(rpmAnalyzer);
    for (const p of [
      '/var/lib/rpm/Packages',
      '/var/lib/rpm/Packages.db',
      '/var/lib/rpm/rpmdb.sqlite',
      '/usr/lib/sysimage/rpm/Packages.db',
      '/usr/lib/sysimage/rpm/rpmdb.sqlite',
    ]) {
      expect(rpmAnalyzer.required(p, header(p))).toBe(true);
    }
    expect(rpmAnalyzer.required('/var/lib/rpm/Name', header('/var/lib/rpm/Name'))).toBe(false);
    expect(
      rpmAnalyzer.required('/var/lib/rpm/rpmdb.sqlite-wal', header('/var/lib/rpm/rpmdb.sqlite-wal')),
    ).toBe(false);
  });

  it('returns located packages with a vendor-based best-effort purl', async () => {
    const result = await rpmAnalyzer.analyze?.(imageFile('/var/lib/rpm/Packages', BDB), {});
    expect(result?.packages).toEqual([
      {
        name: 'libuuid',
        version: '2.32.1-42.el8_8',
        type: 'rpm',
        ecosystem: 'Red Hat',
        purl: 'pkg:rpm/redhat/libuuid@2.32.1-42.el8_8?arch=x86_64',
        sourceName: 'util-linux',
        arch: 'x86_64',
        licenses: ['BSD'],
        layerDigest: LAYER,
        path: '/var/lib/rpm/Packages',
      },
    ]);
  });

  it('turns an unreadable database into a note', async () => {
    const result = await rpmAnalyzer.analyze?.(
      imageFile('/var/lib/rpm/rpmdb.sqlite', SQLITE.subarray(0, 5000)),
      {},
    );
    expect(result?.packages).toBeUndefined();
    expect(result?.notes).toEqual([
      expect.objectContaining({
        code: 'ANALYZER_PARSE_FAILED',
        path: '/var/lib/rpm/rpmdb.sqlite',
        layerDigest: LAYER,
      }),
      // every package it lists is missing from the inventory
      expect.objectContaining({ code: 'INVENTORY_INCOMPLETE', path: '/var/lib/rpm/rpmdb.sqlite' }),
    ]);
  });
});
