import { describe, expect, it } from 'vitest';
import { PKG_ANALYZERS, apkAnalyzer, parseApkInstalled } from '../../../core/src/analyzers/pkg/index.js';
import { LAYER, header, imageFile, readFixture, readJson, type TrivyPackage } from './helpers.js';

const project = (
  pkgs: { name: string; version: string; arch?: string; sourceName?: string; sourceVersion?: string }[],
): string[][] =>
  pkgs
    .map((p) => [p.name, p.version, p.arch ?? '', p.sourceName ?? p.name, p.sourceVersion ?? p.version])
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));

const projectTrivy = (pkgs: TrivyPackage[]): string[][] =>
  pkgs
    .map((e) => [e.Name, e.Version, e.Arch, e.SrcName, e.SrcVersion])
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));

describe('parseApkInstalled', () => {
  it('returns exactly the 15 packages of trivy’s expected-installed.json', () => {
    const expected = readJson<TrivyPackage[]>('trivy-apk/expected-installed.json');
    expect(expected).toHaveLength(15);
    const { packages } = parseApkInstalled(readFixture('trivy-apk/installed'));
    expect(project(packages)).toEqual(projectTrivy(expected));
  });

  it('warns about the entry without a version that the trivy fixture plants', () => {
    const { warnings } = parseApkInstalled(readFixture('trivy-apk/installed'));
    expect(warnings).toEqual([expect.stringContaining('invalidPackageWithoutAVersion')]);
  });

  it('reads the 14 packages of the real alpine:3.11 image, as trivy’s image test expects', () => {
    const expected = readJson<{ Packages: TrivyPackage[] }>('alpine-311/expected.json').Packages;
    expect(expected).toHaveLength(14);
    const { packages, warnings } = parseApkInstalled(readFixture('alpine-311/installed'));
    expect(project(packages)).toEqual(projectTrivy(expected));
    expect(warnings).toEqual([]);
  });

  it('maps o: (origin) to sourceName and L: to licenses', () => {
    const { packages } = parseApkInstalled(readFixture('alpine-311/installed'));
    const libcrypto = packages.find((p) => p.name.startsWith('libcrypto'));
    expect(libcrypto?.sourceName).toBe('openssl');
    expect(libcrypto?.licenses).toEqual(['OpenSSL']);
  });

  describe('with hostile input', () => {
    it('drops an entry with a 10 MB version, keeps the rest', () => {
      const buf = Buffer.from(
        `P:ok\nV:1-r0\n\nP:evil\nV:${'9'.repeat(10 * 1024 * 1024)}\n\nP:after\nV:2-r0\n`,
      );
      const { packages, warnings } = parseApkInstalled(buf);
      expect(packages.map((p) => p.name)).toEqual(['ok', 'after']);
      expect(warnings).toEqual([expect.stringContaining('entry skipped')]);
    });

    it('throws ANALYZER_PARSE_FAILED for binary garbage and for text without fields', () => {
      expect(() => parseApkInstalled(Buffer.from([1, 2, 0, 3]), '/lib/apk/db/installed')).toThrow(
        expect.objectContaining({
          code: 'ANALYZER_PARSE_FAILED',
          message: expect.stringContaining('/lib/apk/db'),
        }),
      );
      expect(() => parseApkInstalled(Buffer.from('just some words\nand more\n'))).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });

    it('splits entries that lack the blank separator line', () => {
      const { packages } = parseApkInstalled(Buffer.from('P:a\nV:1-r0\nP:b\nV:2-r0\n'));
      expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['a@1-r0', 'b@2-r0']);
    });
  });
});

describe('apkAnalyzer', () => {
  it('is registered and requires the installed database only', () => {
    expect(PKG_ANALYZERS).toContain(apkAnalyzer);
    expect(apkAnalyzer.required('/lib/apk/db/installed', header('/lib/apk/db/installed'))).toBe(true);
    expect(apkAnalyzer.required('/usr/lib/apk/db/installed', header('/usr/lib/apk/db/installed'))).toBe(true);
    expect(apkAnalyzer.required('/lib/apk/db/triggers', header('/lib/apk/db/triggers'))).toBe(false);
  });

  it('returns located packages with a best-effort Alpine purl', async () => {
    const result = await apkAnalyzer.analyze?.(
      imageFile('/lib/apk/db/installed', readFixture('alpine-311/installed')),
      {},
    );
    expect(result?.packages).toHaveLength(14);
    expect(result?.packages?.find((p) => p.name === 'musl')).toEqual({
      name: 'musl',
      version: '1.1.24-r2',
      type: 'apk',
      ecosystem: 'Alpine',
      purl: 'pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64',
      sourceName: 'musl',
      arch: 'x86_64',
      licenses: ['MIT'],
      layerDigest: LAYER,
      path: '/lib/apk/db/installed',
    });
  });
});
