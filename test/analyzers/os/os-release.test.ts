import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_RELEASE_FILE_BYTES,
  OS_ANALYZERS,
  detectOs,
  osReleaseAnalyzer,
  parseAlpineRelease,
  parseDebianVersion,
  parseLsbRelease,
  parseOsFile,
  parseOsRelease,
  parseRedhatRelease,
} from '../../../core/src/analyzers/os/index.js';
import type { FileHeader, ImageFile } from '../../../core/src/types/file.js';
import { FIXTURES, NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../../helpers/env.js';

const DIR = join(FIXTURES, 'pkgdb');
const read = (p: string): Buffer => readFileSync(join(DIR, p));
const text = (s: string): Buffer => Buffer.from(s, 'utf8');

function header(path: string, kind: FileHeader['kind'] = 'file'): FileHeader {
  return { path, kind, mode: 0o644, size: 0, uid: 0, gid: 0 };
}

function imageFile(path: string, content: Buffer): ImageFile {
  return { ...header(path), size: content.length, content, layerDigest: 'sha256:layer', layerIndex: 0 };
}

describe('os-release parsers', () => {
  describe('parseOsRelease', () => {
    it('reads ID, VERSION_ID and PRETTY_NAME with shell quoting removed', () => {
      const os = parseOsRelease(read('debian-12/os-release'));
      expect(os).toEqual({
        family: 'debian',
        version: '12',
        versionId: '12',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
      });
    });

    it('gives Ubuntu a major.minor version id and keeps its LTS marker', () => {
      const os = parseOsRelease(
        text(
          'NAME="Ubuntu"\nVERSION="22.04.3 LTS (Jammy Jellyfish)"\nID=ubuntu\nID_LIKE=debian\n' +
            'PRETTY_NAME="Ubuntu 22.04.3 LTS"\nVERSION_ID="22.04"\n',
        ),
      );
      expect(os).toEqual({
        family: 'ubuntu',
        version: '22.04',
        versionId: '22.04',
        prettyName: 'Ubuntu 22.04.3 LTS',
      });
    });

    it('falls back to the codename when Debian testing has no VERSION_ID', () => {
      const os = parseOsRelease(
        text('PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\nVERSION_CODENAME=trixie\n'),
      );
      expect(os?.family).toBe('debian');
      expect(os?.version).toBe('trixie');
      expect(os?.versionId).toBeUndefined();
    });

    it('returns undefined without an ID, ignoring comments and junk lines', () => {
      expect(parseOsRelease(text('# comment\nNAME=Foo\nthis is not a pair\n'))).toBeUndefined();
    });

    it('throws ANALYZER_PARSE_FAILED with the path for binary or oversized input', () => {
      expect(() => parseOsRelease(Buffer.from([0x49, 0x44, 0x3d, 0x00, 0x01]), '/etc/os-release')).toThrow(
        expect.objectContaining({
          code: 'ANALYZER_PARSE_FAILED',
          problems: [expect.objectContaining({ path: '/etc/os-release' })],
        }),
      );
      const big = Buffer.alloc(MAX_RELEASE_FILE_BYTES + 1, 0x41);
      expect(() => parseOsRelease(big)).toThrow(expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }));
    });
  });

  it('parseAlpineRelease reads the full version and the OSV version id', () => {
    expect(parseAlpineRelease(read('alpine-311/alpine-release'))).toEqual({
      family: 'alpine',
      version: '3.11.5',
      versionId: 'v3.11',
    });
    expect(parseAlpineRelease(text('edge\n'))).toBeUndefined();
  });

  it('parseDebianVersion reads a point release, and keeps a codename without a version id', () => {
    expect(parseDebianVersion(text('12.5\n'))).toEqual({
      family: 'debian',
      version: '12.5',
      versionId: '12',
    });
    expect(parseDebianVersion(text('bookworm/sid\n'))).toEqual({ family: 'debian', version: 'bookworm/sid' });
  });

  it('parseLsbRelease reads DISTRIB_ID and DISTRIB_RELEASE', () => {
    const os = parseLsbRelease(
      text(
        'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\nDISTRIB_DESCRIPTION="Ubuntu 18.04.6 LTS"\n',
      ),
    );
    expect(os).toEqual({
      family: 'ubuntu',
      version: '18.04',
      versionId: '18.04',
      prettyName: 'Ubuntu 18.04.6 LTS',
    });
  });

  it('parseRedhatRelease maps distribution names to os-release ids', () => {
    expect(parseRedhatRelease(text('Red Hat Enterprise Linux release 8.8 (Ootpa)\n'))).toMatchObject({
      family: 'rhel',
      version: '8.8',
      versionId: '8',
    });
    expect(parseRedhatRelease(text('CentOS Linux release 7.9.2009 (Core)\n'))).toMatchObject({
      family: 'centos',
      version: '7.9.2009',
    });
    expect(parseRedhatRelease(text('Rocky Linux release 9.2 (Blue Onyx)\n'))?.family).toBe('rocky');
    expect(parseRedhatRelease(text('Something else 1.0\n'))).toBeUndefined();
  });

  it('parseOsFile dispatches by path and ignores other paths', () => {
    expect(parseOsFile('/etc/alpine-release', text('3.19.1\n'))?.versionId).toBe('v3.19');
    expect(parseOsFile('/etc/hostname', text('3.19.1\n'))).toBeUndefined();
  });
});

describe('detectOs', () => {
  it('takes Alpine 3.11.5 from the real alpine-release + os-release pair of alpine:3.11', () => {
    const os = detectOs([
      { path: '/etc/alpine-release', os: parseAlpineRelease(read('alpine-311/alpine-release')) },
      { path: '/etc/os-release', os: parseOsRelease(read('alpine-311/os-release')) },
    ]);
    expect(os).toEqual({
      family: 'alpine',
      version: '3.11.5',
      versionId: 'v3.11',
      prettyName: 'Alpine Linux v3.11',
    });
  });

  it('refines Debian 12 from os-release with the point release of debian_version', () => {
    const os = detectOs([
      { path: '/etc/debian_version', os: parseDebianVersion(read('debian-12/debian_version')) },
      { path: '/usr/lib/os-release', os: parseOsRelease(read('debian-12/os-release')) },
    ]);
    const point = read('debian-12/debian_version').toString().trim();
    expect(os).toEqual({
      family: 'debian',
      version: point,
      versionId: '12',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
    expect(point).toMatch(/^12\.\d+$/);
  });

  it('lets os-release decide the family when Ubuntu also ships a debian_version', () => {
    const os = detectOs([
      { path: '/etc/debian_version', os: parseDebianVersion(text('bookworm/sid\n')) },
      {
        path: '/etc/os-release',
        os: parseOsRelease(text('ID=ubuntu\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n')),
      },
    ]);
    expect(os?.family).toBe('ubuntu');
    expect(os?.version).toBe('24.04');
  });

  it('ignores a debian_version of another release than os-release names', () => {
    const os = detectOs([
      { path: '/etc/os-release', os: parseOsRelease(text('ID=debian\nVERSION_ID="12"\n')) },
      { path: '/etc/debian_version', os: parseDebianVersion(text('11.9\n')) },
    ]);
    expect(os?.version).toBe('12');
  });

  it('uses a distribution file alone when there is no os-release, and returns undefined for nothing', () => {
    expect(
      detectOs([{ path: '/etc/alpine-release', os: parseAlpineRelease(text('3.18.4\n')) }])?.version,
    ).toBe('3.18.4');
    expect(detectOs([{ path: '/etc/os-release' }])).toBeUndefined();
    expect(detectOs([])).toBeUndefined();
  });
});

describe('osReleaseAnalyzer', () => {
  it('is registered and requires only release files', () => {
    expect(OS_ANALYZERS).toContain(osReleaseAnalyzer);
    expect(osReleaseAnalyzer.required('/etc/os-release', header('/etc/os-release'))).toBe(true);
    expect(osReleaseAnalyzer.required('/usr/lib/os-release', header('/usr/lib/os-release'))).toBe(true);
    expect(osReleaseAnalyzer.required('/etc/debian_version', header('/etc/debian_version'))).toBe(true);
    expect(osReleaseAnalyzer.required('/etc/os-release.bak', header('/etc/os-release.bak'))).toBe(false);
    expect(osReleaseAnalyzer.required('/etc/os-release', header('/etc/os-release', 'dir'))).toBe(false);
  });

  it('returns { os } for a release file', async () => {
    const result = await osReleaseAnalyzer.analyze?.(
      imageFile('/etc/alpine-release', read('alpine-311/alpine-release')),
      {},
    );
    expect(result).toEqual({ os: { family: 'alpine', version: '3.11.5', versionId: 'v3.11' } });
  });

  it('turns an unreadable release file into a note instead of failing the scan', async () => {
    const result = await osReleaseAnalyzer.analyze?.(
      imageFile('/etc/os-release', Buffer.from([0, 1, 2])),
      {},
    );
    expect(result?.os).toBeUndefined();
    expect(result?.notes).toEqual([
      expect.objectContaining({
        code: 'ANALYZER_PARSE_FAILED',
        path: '/etc/os-release',
        layerDigest: 'sha256:layer',
      }),
    ]);
  });
});

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('the built Debian 12 test rootfs', () => {
  const rootfs = join(TEST_IMAGES, 'rootfs');

  it('is detected as debian 12.x with version id 12', () => {
    expect(existsSync(join(rootfs, 'usr/lib/os-release'))).toBe(true);
    const results = ['/etc/os-release', '/usr/lib/os-release', '/etc/debian_version']
      .filter((p) => existsSync(join(rootfs, p)))
      .map((p) => ({ path: p, os: parseOsFile(p, readFileSync(join(rootfs, p))) }));
    const os = detectOs(results);
    expect(os?.family).toBe('debian');
    expect(os?.version).toMatch(/^12\.\d+$/);
    expect(os?.versionId).toBe('12');
  });
});
