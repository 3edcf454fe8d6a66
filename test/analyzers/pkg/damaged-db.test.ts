// Issue 11 item 14: a damaged package database is read as far as it is sound, and says it is incomplete.
// One NUL byte appended to /var/lib/dpkg/status used to hide every package (and so every vulnerability).
import { describe, expect, it } from 'vitest';
import {
  apkAnalyzer,
  dpkgAnalyzer,
  parseApkInstalled,
  parseDpkgStatus,
  parseRpmDb,
  rpmAnalyzer,
} from '../../../core/src/analyzers/pkg/index.js';
import type { AnalysisResult } from '../../../core/src/analyzers/analyzer.js';
import { imageFile, readFixture } from './helpers.js';

const STATUS = readFixture('trivy-dpkg/status');
const INSTALLED = readFixture('alpine-311/installed');
const SQLITE = readFixture('go-rpmdb/cbl-mariner-2.0.rpmdb.sqlite');
const BDB = readFixture('go-rpmdb/libuuid.Packages');
const NDB = readFixture('go-rpmdb/sle15-bci.Packages.db');

const NUL = Buffer.from([0]);
const names = (r: { packages: { name: string }[] }): string[] => r.packages.map((p) => p.name);
const codes = (r: AnalysisResult | undefined): string[] => (r?.notes ?? []).map((n) => n.code);

/** The file with `bytes` written over it at `at` (same length: a corrupted block, not an insertion). */
function overwrite(buf: Buffer, at: number, bytes: Buffer): Buffer {
  const out = Buffer.from(buf);
  bytes.copy(out, at);
  return out;
}

describe('a damaged dpkg status file', () => {
  const sound = parseDpkgStatus(STATUS);

  it('keeps every package when one NUL byte is appended, and counts the damage', () => {
    const damaged = parseDpkgStatus(Buffer.concat([STATUS, NUL]));
    expect(sound.packages).toHaveLength(90);
    expect(sound.skipped).toBeUndefined();
    expect(damaged.packages).toEqual(sound.packages);
    expect(damaged.skipped).toBe(1);
  });

  it('drops only the paragraph a NUL run lands in: the ones before and after it still count', () => {
    const at = STATUS.indexOf('Package: bash\n');
    expect(at).toBeGreaterThan(0);
    const damaged = parseDpkgStatus(overwrite(STATUS, at + 20, Buffer.alloc(16)));
    expect(names(damaged)).toEqual(names(sound).filter((n) => n !== 'bash'));
    expect(damaged.skipped).toBe(1);
    expect(damaged.warnings).toEqual([expect.stringMatching(/damaged entry \(NUL bytes/)]);
  });

  it('becomes an INVENTORY_INCOMPLETE note from the analyzer, located at the file', async () => {
    const file = imageFile('/var/lib/dpkg/status', Buffer.concat([STATUS, NUL]));
    const result = await dpkgAnalyzer.analyze?.(file, {});
    expect(result?.packages).toHaveLength(90);
    expect(codes(result)).toContain('INVENTORY_INCOMPLETE');
    const note = result?.notes?.find((n) => n.code === 'INVENTORY_INCOMPLETE');
    expect(note?.path).toBe('/var/lib/dpkg/status');
    expect(note?.message).toMatch(/90 packages read.*not fully checked/);
    // the sound file carries no such note
    expect(codes(await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', STATUS), {}))).toEqual([]);
  });

  it('a status file that is all NULs, or unreadable garbage, leaves the inventory incomplete too', async () => {
    const zeros = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', Buffer.alloc(4096)), {});
    expect(zeros?.packages).toBeUndefined();
    expect(codes(zeros)).toEqual(['ANALYZER_PARSE_FAILED', 'INVENTORY_INCOMPLETE']);
    const garbage = Buffer.from('\x01\x02 binary \x03 junk without fields\n');
    const failed = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', garbage), {});
    expect(codes(failed)).toEqual(['ANALYZER_PARSE_FAILED', 'INVENTORY_INCOMPLETE']);
  });

  it('an empty status file is not damage (distroless images can have one)', async () => {
    const empty = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', Buffer.alloc(0)), {});
    expect(codes(empty)).toEqual([]);
  });
});

describe('a damaged apk installed database', () => {
  const sound = parseApkInstalled(INSTALLED);

  it('keeps every package when one NUL byte is appended, with an INVENTORY_INCOMPLETE note', async () => {
    const damaged = parseApkInstalled(Buffer.concat([INSTALLED, NUL]));
    expect(sound.packages).toHaveLength(14);
    expect(damaged.packages).toEqual(sound.packages);
    expect(damaged.skipped).toBe(1);
    const result = await apkAnalyzer.analyze?.(
      imageFile('/lib/apk/db/installed', Buffer.concat([INSTALLED, NUL])),
      {},
    );
    expect(result?.packages).toHaveLength(14);
    expect(codes(result)).toContain('INVENTORY_INCOMPLETE');
    expect(codes(await apkAnalyzer.analyze?.(imageFile('/lib/apk/db/installed', INSTALLED), {}))).toEqual([]);
  });

  it('drops only the entry a NUL run lands in', () => {
    const at = INSTALLED.indexOf('\nP:musl\n');
    expect(at).toBeGreaterThan(0);
    const damaged = parseApkInstalled(overwrite(INSTALLED, at + 12, Buffer.alloc(8)));
    expect(names(damaged)).toEqual(names(sound).filter((n) => n !== 'musl'));
    expect(damaged.skipped).toBe(1);
  });
});

describe('a damaged rpm database', () => {
  for (const [label, db, path] of [
    ['sqlite', SQLITE, '/var/lib/rpm/rpmdb.sqlite'],
    ['Berkeley DB', BDB, '/var/lib/rpm/Packages'],
    ['ndb', NDB, '/usr/lib/sysimage/rpm/Packages.db'],
  ] as const) {
    it(`${label}: one NUL byte appended still reads every package`, () => {
      const sound = parseRpmDb(db, path);
      expect(sound.packages.length).toBeGreaterThan(0);
      expect(parseRpmDb(Buffer.concat([db, NUL]), path).packages).toEqual(sound.packages);
    });
  }

  it('Berkeley DB truncated mid-file: the packages still readable count, the loss is an INVENTORY_INCOMPLETE note', async () => {
    const truncated = BDB.subarray(0, Math.floor(BDB.length / 2));
    const result = await rpmAnalyzer.analyze?.(imageFile('/var/lib/rpm/Packages', truncated), {});
    expect(codes(result)).toContain('INVENTORY_INCOMPLETE');
    expect(codes(await rpmAnalyzer.analyze?.(imageFile('/var/lib/rpm/Packages', BDB), {}))).toEqual([]);
  });
});
