import { describe, expect, it } from 'vitest';
import { detectOs, parseAlpineRelease, parseOsRelease } from '../../../core/src/analyzers/os/index.js';
import {
  applyOsToPackages,
  toOsvEcosystem,
  parseApkInstalled,
  parseDpkgStatus,
  parseRpmDb,
  toOsPackage,
  toPurl,
  type PurlParts,
} from '../../../core/src/analyzers/pkg/index.js';
import type { OsInfo, Package } from '../../../core/src/types/package.js';
import { LAYER, readFixture } from './helpers.js';

const at = { layerDigest: LAYER, path: '/var/lib/dpkg/status' };

function pkg(type: Package['type'], name: string, version: string, arch?: string): Package {
  return toOsPackage({ name, version, ...(arch ? { arch } : {}) }, type, at);
}

describe('toPurl', () => {
  // "build" cases of package-url/purl-spec tests/types/{deb,rpm,apk}-test.json: parts → canonical purl.
  const SPEC_BUILD_CASES: [PurlParts, string][] = [
    [
      {
        type: 'deb',
        namespace: 'debian',
        name: 'curl',
        version: '7.50.3-1',
        qualifiers: { arch: 'i386', distro: 'jessie' },
      },
      'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie',
    ],
    [
      { type: 'deb', namespace: 'ubuntu', name: 'dpkg', version: '1.19.0.4', qualifiers: { arch: 'amd64' } },
      'pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64',
    ],
    [
      {
        type: 'deb',
        namespace: 'debian',
        name: 'attr',
        version: '1:2.4.47-2',
        qualifiers: { arch: 'source' },
      },
      'pkg:deb/debian/attr@1:2.4.47-2?arch=source',
    ],
    [
      {
        type: 'deb',
        namespace: 'debian',
        name: 'attr',
        version: '1:2.4.47-2+b1',
        qualifiers: { arch: 'amd64' },
      },
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
    ],
    [
      {
        type: 'rpm',
        namespace: 'fedora',
        name: 'curl',
        version: '7.50.3-1.fc25',
        qualifiers: { arch: 'i386', distro: 'fedora-25' },
      },
      'pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25',
    ],
    [
      {
        type: 'rpm',
        name: 'centerim',
        version: '4.22.10-1.el6',
        qualifiers: { arch: 'i686', distro: 'fedora-25', epoch: '1' },
      },
      'pkg:rpm/centerim@4.22.10-1.el6?arch=i686&distro=fedora-25&epoch=1',
    ],
    [
      { type: 'apk', namespace: 'alpine', name: 'curl', version: '7.83.0-r0', qualifiers: { arch: 'x86' } },
      'pkg:apk/alpine/curl@7.83.0-r0?arch=x86',
    ],
  ];

  it.each(SPEC_BUILD_CASES)('builds the purl-spec canonical form %#', (parts, expected) => {
    expect(toPurl(parts)).toBe(expected);
  });

  it('sorts qualifiers, drops empty ones and encodes reserved characters', () => {
    expect(
      toPurl({
        type: 'RPM',
        namespace: 'x',
        name: 'a b',
        version: '1.0',
        qualifiers: { z: '1', a: '', m: 'p/q' },
      }),
    ).toBe('pkg:rpm/x/a%20b@1.0?m=p%2Fq&z=1');
  });
});

describe('OS package purls before the OS is known', () => {
  it('match the purl-spec deb, apk and rpm examples', () => {
    expect(pkg('dpkg', 'attr', '1:2.4.47-2+b1', 'amd64').purl).toBe(
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
    );
    expect(pkg('apk', 'curl', '7.83.0-r0', 'x86').purl).toBe('pkg:apk/alpine/curl@7.83.0-r0?arch=x86');
    expect(pkg('rpm', 'centerim', '1:4.22.10-1.el6', 'i686').purl).toBe(
      'pkg:rpm/centerim@4.22.10-1.el6?arch=i686&epoch=1',
    );
  });
});

describe('applyOsToPackages', () => {
  const debian12: OsInfo = { family: 'debian', version: '12.5', versionId: '12' };

  it('gives deb purls the vendor and distro and keeps the epoch in the version (purl-spec deb)', () => {
    const [curl, attr] = applyOsToPackages(
      [pkg('dpkg', 'curl', '7.88.1-10', 'amd64'), pkg('dpkg', 'attr', '1:2.5.1-4', 'amd64')],
      debian12,
    );
    expect(curl?.purl).toBe('pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12');
    expect(curl?.ecosystem).toBe('Debian');
    expect(attr?.purl).toBe('pkg:deb/debian/attr@1:2.5.1-4?arch=amd64&distro=debian-12');
  });

  it('marks Ubuntu packages as Ubuntu', () => {
    const [bash] = applyOsToPackages([pkg('dpkg', 'bash', '5.1-6ubuntu1', 'amd64')], {
      family: 'ubuntu',
      version: '22.04',
      versionId: '22.04',
    });
    expect(bash).toMatchObject({
      ecosystem: 'Ubuntu',
      purl: 'pkg:deb/ubuntu/bash@5.1-6ubuntu1?arch=amd64&distro=ubuntu-22.04',
    });
  });

  it('gives the real alpine:3.11 packages the Alpine distro 3.11.5', () => {
    const os = detectOs([
      { path: '/etc/os-release', os: parseOsRelease(readFixture('alpine-311/os-release')) },
      { path: '/etc/alpine-release', os: parseAlpineRelease(readFixture('alpine-311/alpine-release')) },
    ]);
    const packages = parseApkInstalled(readFixture('alpine-311/installed')).packages.map((r) =>
      toOsPackage(r, 'apk', { layerDigest: LAYER, path: '/lib/apk/db/installed' }),
    );
    const applied = applyOsToPackages(packages, os);
    expect(applied.find((p) => p.name === 'musl')?.purl).toBe(
      'pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64&distro=3.11.5',
    );
    expect(applied.every((p) => p.ecosystem === 'Alpine')).toBe(true);
  });

  it('puts the rpm epoch in its own qualifier and the vendor namespace from the OS', () => {
    const [p] = applyOsToPackages([pkg('rpm', 'openssl-libs', '1:1.1.1k-9.el8_7', 'x86_64')], {
      family: 'rhel',
      version: '8.8',
      versionId: '8',
    });
    expect(p).toMatchObject({
      ecosystem: 'Red Hat',
      purl: 'pkg:rpm/redhat/openssl-libs@1.1.1k-9.el8_7?arch=x86_64&distro=redhat-8.8&epoch=1',
    });
    const [fedora] = applyOsToPackages([pkg('rpm', 'curl', '7.50.3-1.fc25', 'i386')], {
      family: 'fedora',
      version: '25',
    });
    expect(fedora?.purl).toBe('pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25');
  });

  it('labels the real SLE 15 and CBL-Mariner packages by their OS', () => {
    const sle = parseRpmDb(readFixture('go-rpmdb/sle15-bci.Packages.db')).packages.map((r) =>
      toOsPackage(r, 'rpm', { layerDigest: LAYER, path: '/usr/lib/sysimage/rpm/Packages.db' }),
    );
    const applied = applyOsToPackages(sle, { family: 'sles', version: '15.3', versionId: '15.3' });
    expect(new Set(applied.map((p) => p.ecosystem))).toEqual(new Set(['SUSE']));
    expect(applied.find((p) => p.name === 'bash')?.purl).toMatch(
      /^pkg:rpm\/suse\/bash@[^?]+\?arch=x86_64&distro=suse-15\.3$/,
    );
  });

  it('leaves packages of another package manager, and non-OS packages, unchanged', () => {
    const apkOnDebian = pkg('apk', 'musl', '1.2.4-r2', 'x86_64');
    const npm: Package = {
      name: 'left-pad',
      version: '1.3.0',
      type: 'npm',
      ecosystem: 'npm',
      purl: 'pkg:npm/left-pad@1.3.0',
      layerDigest: LAYER,
      path: '/app/package-lock.json',
    };
    const out = applyOsToPackages([apkOnDebian, npm], debian12);
    expect(out[0]).toBe(apkOnDebian);
    expect(out[1]).toBe(npm);
  });

  it('names an unknown OS family honestly instead of calling it Debian', () => {
    const [p] = applyOsToPackages([pkg('dpkg', 'bash', '5.2-1', 'arm64')], {
      family: 'raspbian',
      version: '11',
    });
    expect(p).toMatchObject({
      ecosystem: 'unknown',
      purl: 'pkg:deb/raspbian/bash@5.2-1?arch=arm64&distro=raspbian-11',
    });
  });

  it('returns the input unchanged without an OS, and never mutates it', () => {
    const input = [pkg('dpkg', 'curl', '7.88.1-10', 'amd64')];
    const before = structuredClone(input);
    expect(applyOsToPackages(input, undefined)).toBe(input);
    applyOsToPackages(input, debian12);
    expect(input).toEqual(before);
  });

  it('works on the full trivy dpkg inventory', () => {
    const packages = parseDpkgStatus(readFixture('trivy-dpkg/status')).packages.map((r) =>
      toOsPackage(r, 'dpkg', at),
    );
    const applied = applyOsToPackages(packages, { family: 'ubuntu', version: '18.04', versionId: '18.04' });
    expect(applied).toHaveLength(90);
    expect(
      applied.every((p) => p.purl.startsWith('pkg:deb/ubuntu/') && p.purl.endsWith('distro=ubuntu-18.04')),
    ).toBe(true);
    expect(applied.find((p) => p.name === 'bsdutils')?.purl).toBe(
      'pkg:deb/ubuntu/bsdutils@1:2.31.1-0.4ubuntu3.1?arch=amd64&distro=ubuntu-18.04',
    );
  });
});

describe('toOsvEcosystem', () => {
  it.each([
    [{ family: 'debian', version: '12.5', versionId: '12' }, 'Debian:12'],
    [{ family: 'alpine', version: '3.11.5', versionId: 'v3.11' }, 'Alpine:v3.11'],
    [
      { family: 'ubuntu', version: '22.04', versionId: '22.04', prettyName: 'Ubuntu 22.04.3 LTS' },
      'Ubuntu:22.04:LTS',
    ],
    [{ family: 'ubuntu', version: '23.10', versionId: '23.10', prettyName: 'Ubuntu 23.10' }, 'Ubuntu:23.10'],
    [{ family: 'rocky', version: '9.2', versionId: '9' }, 'Rocky Linux:9'],
    [{ family: 'almalinux', version: '8.9', versionId: '8' }, 'AlmaLinux:8'],
    [{ family: 'cbl-mariner', version: '2.0', versionId: '2.0' }, 'Mariner:2.0'],
    [{ family: 'opensuse-leap', version: '15.5' }, 'openSUSE:Leap 15.5'],
    [{ family: 'sles', version: '15.5' }, 'SUSE:Linux Enterprise Server 15 SP5'],
    [{ family: 'sles', version: '15' }, 'SUSE:Linux Enterprise Server 15'],
    // formerly the matchers' own table (test/matchers/os-ecosystem.test.ts)
    [{ family: 'alpine', version: '3.11.5' }, 'Alpine:v3.11'],
    [{ family: 'alpine', version: '3.19.1', versionId: '3.19.1' }, 'Alpine:v3.19'],
    [{ family: 'ubuntu', version: '22.04.4 LTS', versionId: '22.04' }, 'Ubuntu:22.04:LTS'],
    [{ family: 'ubuntu', version: '23.10', versionId: '23.10' }, 'Ubuntu:23.10'],
    [{ family: 'rocky', version: '9.3' }, 'Rocky Linux:9'],
    [{ family: 'cbl-mariner', version: '2.0.20240123' }, 'Mariner:2.0'],
    // an even year's April release is LTS even without the marker (lsb-release, hand-made OsInfo)
    [{ family: 'ubuntu', version: '18.04' }, 'Ubuntu:18.04:LTS'],
    [{ family: 'Alpine', version: '3.18.0' }, 'Alpine:v3.18'],
    [{ family: 'azurelinux', version: '3.0.20240727' }, 'Azure Linux:3.0'],
    [{ family: 'opensuse-tumbleweed', version: '20240101' }, 'openSUSE:Tumbleweed'],
  ] as [OsInfo, string][])('names %o as %s', (os, expected) => {
    expect(toOsvEcosystem(os)).toBe(expected);
  });

  it('is undefined when the release cannot be named', () => {
    expect(toOsvEcosystem(undefined)).toBeUndefined();
    expect(toOsvEcosystem({ family: 'debian', version: 'trixie' })).toBeUndefined();
    expect(toOsvEcosystem({ family: 'rhel', version: '8.8', versionId: '8' })).toBeUndefined();
    expect(toOsvEcosystem({ family: 'plan9', version: '4' })).toBeUndefined();
    expect(toOsvEcosystem({ family: 'debian', version: 'bookworm/sid' })).toBeUndefined();
  });

  it('derives Ubuntu LTS from the real os-release VERSION', () => {
    const os = parseOsRelease(
      Buffer.from('NAME="Ubuntu"\nVERSION="20.04.6 LTS (Focal Fossa)"\nID=ubuntu\nVERSION_ID="20.04"\n'),
    );
    expect(toOsvEcosystem(os)).toBe('Ubuntu:20.04:LTS');
  });
});
