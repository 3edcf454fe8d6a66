/** Issue #11 item 12: CBL-Mariner rpm packages get the OSV ecosystem `Mariner`, not `unknown`. */
import { describe, expect, it } from 'vitest';
import { parseOsRelease } from '../../../core/src/analyzers/os/os-release.js';
import { applyOsToPackages, toOsvEcosystem } from '../../../core/src/analyzers/pkg/index.js';
import type { Package } from '../../../core/src/types/package.js';

// /etc/os-release of mcr.microsoft.com/cbl-mariner/base/core:2.0 (ID is `mariner`, not `cbl-mariner`)
const MARINER_OS_RELEASE = `NAME="Common Base Linux Mariner"
VERSION="2.0.20240123"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
`;

describe('CBL-Mariner', () => {
  const os = parseOsRelease(Buffer.from(MARINER_OS_RELEASE));
  it('is the cbl-mariner family, whose OSV ecosystem is Mariner:2.0', () => {
    expect(os).toMatchObject({ family: 'cbl-mariner', version: '2.0', versionId: '2.0' });
    expect(toOsvEcosystem(os)).toBe('Mariner:2.0');
  });
  it('labels its rpm packages Mariner with a mariner purl', () => {
    const pkg: Package = {
      name: 'openssl',
      version: '1.1.1k-28.cm2',
      type: 'rpm',
      ecosystem: 'unknown',
      purl: 'pkg:rpm/openssl@1.1.1k-28.cm2',
      layerDigest: 'sha256:x',
      path: '/var/lib/rpm/rpmdb.sqlite',
    };
    const [out] = applyOsToPackages([pkg], os);
    expect(out?.ecosystem).toBe('Mariner');
    expect(out?.purl).toMatch(/^pkg:rpm\/mariner\/openssl@/);
  });
});
