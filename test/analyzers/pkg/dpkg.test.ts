import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PKG_ANALYZERS,
  dpkgAnalyzer,
  isDpkgStatusPath,
  parseDpkgStatus,
} from '../../../core/src/analyzers/pkg/index.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../../helpers/env.js';
import {
  LAYER,
  fullVersion,
  header,
  imageFile,
  readFixture,
  readJson,
  type TrivyPackage,
} from './helpers.js';

const STATUS = readFixture('trivy-dpkg/status');
const expected = readJson<TrivyPackage[]>('trivy-dpkg/expected-valid.json');

const para = (fields: Record<string, string>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');

describe('parseDpkgStatus', () => {
  describe('with trivy’s Ubuntu 18.04 status file', () => {
    const { packages, warnings } = parseDpkgStatus(STATUS);

    it('returns exactly the 90 installed packages of expected-valid.json', () => {
      expect(expected).toHaveLength(90);
      const got = packages
        .map((p) => ({
          name: p.name,
          version: p.version,
          arch: p.arch,
          sourceName: p.sourceName,
          sourceVersion: p.sourceVersion ?? p.version,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const want = expected
        .map((e) => ({
          name: e.Name,
          version: fullVersion(e.Epoch, e.Version, e.Release),
          arch: e.Arch,
          sourceName: e.SrcName,
          sourceVersion: fullVersion(e.SrcEpoch, e.SrcVersion, e.SrcRelease),
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(got).toEqual(want);
      expect(warnings).toEqual([]);
    });

    it('leaves out packages that are not installed (deinstall ok config-files)', () => {
      const names = packages.map((p) => p.name);
      expect(STATUS.toString()).toMatch(/Status: deinstall ok config-files/);
      const removed = /Package: (\S+)\nStatus: deinstall ok config-files/.exec(STATUS.toString())?.[1];
      expect(removed).toBeDefined();
      expect(names).not.toContain(removed);
    });

    it('reads the source version in parentheses, which drops the binary’s epoch and binNMU suffix', () => {
      const bsdutils = packages.find((p) => p.name === 'bsdutils');
      expect(bsdutils).toMatchObject({
        version: '1:2.31.1-0.4ubuntu3.1',
        sourceName: 'util-linux',
        sourceVersion: '2.31.1-0.4ubuntu3.1',
      });
      const liblzma = packages.find((p) => p.name === 'liblzma5');
      expect(liblzma).toMatchObject({
        version: '5.1.1alpha+20120614-2+b3',
        sourceVersion: '5.1.1alpha+20120614-2',
      });
    });

    it('leaves sourceVersion unset when it equals the version, and sourceName defaults to the name', () => {
      const adduser = packages.find((p) => p.name === 'adduser');
      expect(adduser?.sourceName).toBe('adduser');
      expect(adduser?.sourceVersion).toBeUndefined();
    });
  });

  it('counts distroless status.d paragraphs without a Status field when asked', () => {
    const buf = Buffer.from(
      para({ Package: 'libc6', Version: '2.36-9+deb12u4', Architecture: 'amd64', Source: 'glibc' }),
    );
    expect(parseDpkgStatus(buf, { requireStatus: false }).packages).toEqual([
      { name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', sourceName: 'glibc' },
    ]);
    expect(parseDpkgStatus(buf).packages).toEqual([]);
  });

  it('skips an installed entry without Version, with a warning', () => {
    const buf = Buffer.from(`${para({ Package: 'broken', Status: 'install ok installed' })}\n`);
    const { packages, warnings } = parseDpkgStatus(buf);
    expect(packages).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('broken')]);
  });

  it('handles CRLF line endings', () => {
    const buf = Buffer.from('Package: a\r\nStatus: install ok installed\r\nVersion: 1.0\r\n\r\n');
    expect(parseDpkgStatus(buf).packages.map((p) => p.version)).toEqual(['1.0']);
  });

  describe('with hostile input', () => {
    const TEN_MB = 10 * 1024 * 1024;

    it('reads past a 10 MB description line and keeps every package', () => {
      const huge = `${STATUS.toString()}\n${para({
        Package: 'huge-description',
        Status: 'install ok installed',
        Version: '1.0-1',
        Description: 'x',
      })}\n ${'y'.repeat(TEN_MB)}\n`;
      const { packages } = parseDpkgStatus(Buffer.from(huge));
      expect(packages).toHaveLength(91);
      expect(packages.at(-1)?.name).toBe('huge-description');
    });

    it('drops an entry whose kept field is a 10 MB line, with a note-worthy warning', () => {
      const hostile = `${para({ Package: 'ok', Status: 'install ok installed', Version: '1' })}\n\n${para({
        Package: 'evil',
        Status: 'install ok installed',
        Version: 'v'.repeat(TEN_MB),
      })}\n`;
      const { packages, warnings } = parseDpkgStatus(Buffer.from(hostile));
      expect(packages.map((p) => p.name)).toEqual(['ok']);
      expect(warnings).toEqual([expect.stringMatching(/field version is 10485760 bytes long/)]);
    });

    it('caps warnings for a file full of junk lines', () => {
      const junk = Buffer.from(
        `Package: a\nStatus: install ok installed\nVersion: 1\n${'junk\n'.repeat(10_000)}`,
      );
      const { packages, warnings } = parseDpkgStatus(junk);
      expect(packages).toHaveLength(1);
      expect(warnings.length).toBeLessThanOrEqual(21);
    });

    it('throws ANALYZER_PARSE_FAILED with the path for binary garbage', () => {
      const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256));
      expect(() => parseDpkgStatus(garbage, { path: '/var/lib/dpkg/status' })).toThrow(
        expect.objectContaining({
          code: 'ANALYZER_PARSE_FAILED',
          problems: [expect.objectContaining({ path: '/var/lib/dpkg/status' })],
        }),
      );
    });

    it('throws for text that has no control fields at all', () => {
      expect(() => parseDpkgStatus(Buffer.from('hello world\nthis is not dpkg\n'))).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });

    it('returns nothing for an empty file', () => {
      expect(parseDpkgStatus(Buffer.alloc(0))).toEqual({ packages: [], warnings: [] });
    });
  });
});

describe('dpkgAnalyzer', () => {
  it('is registered and requires the status file and distroless status.d entries only', () => {
    expect(PKG_ANALYZERS).toContain(dpkgAnalyzer);
    const req = (p: string, kind: 'file' | 'dir' = 'file'): boolean =>
      dpkgAnalyzer.required(p, header(p, kind));
    expect(req('/var/lib/dpkg/status')).toBe(true);
    expect(req('/var/lib/dpkg/status.d/libc6')).toBe(true);
    expect(req('/var/lib/dpkg/status.d/libc6.md5sums')).toBe(false);
    expect(req('/var/lib/dpkg/status-old')).toBe(false);
    expect(req('/var/lib/dpkg/status.d')).toBe(false);
    expect(req('/var/lib/dpkg/status', 'dir')).toBe(false);
    expect(isDpkgStatusPath('/var/lib/dpkg/status.d/a/b')).toBe(false);
  });

  it('returns packages located at the file and layer they came from, with a best-effort Debian purl', async () => {
    const result = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', STATUS), {});
    expect(result?.packages).toHaveLength(90);
    const bash = result?.packages?.find((p) => p.name === 'bash');
    expect(bash).toEqual({
      name: 'bash',
      version: '4.4.18-2ubuntu1',
      type: 'dpkg',
      ecosystem: 'Debian',
      purl: 'pkg:deb/debian/bash@4.4.18-2ubuntu1?arch=amd64',
      sourceName: 'bash',
      arch: 'amd64',
      layerDigest: LAYER,
      path: '/var/lib/dpkg/status',
    });
    expect(result?.notes).toBeUndefined();
  });

  it('reads status.d entries without a Status field', async () => {
    const content = Buffer.from('Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n');
    const result = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status.d/base-files', content), {});
    expect(result?.packages?.map((p) => [p.name, p.path])).toEqual([
      ['base-files', '/var/lib/dpkg/status.d/base-files'],
    ]);
  });

  it('turns an unreadable status file into a note, not a thrown error', async () => {
    const result = await dpkgAnalyzer.analyze?.(
      imageFile('/var/lib/dpkg/status', Buffer.from([0, 0, 0, 1])),
      {},
    );
    expect(result?.packages).toBeUndefined();
    expect(result?.notes).toEqual([
      expect.objectContaining({
        code: 'ANALYZER_PARSE_FAILED',
        path: '/var/lib/dpkg/status',
        layerDigest: LAYER,
      }),
      // the packages it lists are missing from the inventory: vulnerabilities not fully checked
      expect.objectContaining({ code: 'INVENTORY_INCOMPLETE', path: '/var/lib/dpkg/status' }),
    ]);
  });

  it('passes parse warnings on as notes', async () => {
    const content = Buffer.from('Package: x\nStatus: install ok installed\n');
    const result = await dpkgAnalyzer.analyze?.(imageFile('/var/lib/dpkg/status', content), {});
    expect(result?.notes).toEqual([
      expect.objectContaining({ code: 'ANALYZER_PARSE_PARTIAL', layerDigest: LAYER }),
      // an installed package without a version is one the inventory misses
      expect.objectContaining({ code: 'INVENTORY_INCOMPLETE', layerDigest: LAYER }),
    ]);
  });
});

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('the built Debian 12 test rootfs', () => {
  const status = join(TEST_IMAGES, 'rootfs', 'var', 'lib', 'dpkg', 'status');

  it('has exactly 88 installed packages', () => {
    expect(existsSync(status)).toBe(true);
    const { packages, warnings } = parseDpkgStatus(readFileSync(status));
    expect(packages).toHaveLength(88);
    expect(warnings).toEqual([]);
    expect(new Set(packages.map((p) => p.name)).size).toBe(88);
    expect(packages.find((p) => p.name === 'dpkg')?.sourceName).toBe('dpkg');
    expect(packages.find((p) => p.name === 'libc6')).toMatchObject({ sourceName: 'glibc', arch: 'amd64' });
  });
});
