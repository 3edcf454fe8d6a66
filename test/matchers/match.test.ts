import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPackages } from '../../core/src/matchers/index.js';
import type { Ecosystem, OsInfo, Package, PackageType } from '../../core/src/types/index.js';
import { importOsv, openVulnDb } from '../../core/src/vulndb/index.js';
import type { VulnDb } from '../../core/src/vulndb/index.js';
import { FIXTURES, NO_SHARED_REASON, SHARED_DATA, skipReason } from '../helpers/env.js';
import { expectedIds, readRecords } from './oracle.js';

const OSV = join(FIXTURES, 'osv');
const work = mkdtempSync(join(tmpdir(), 'portcullis-match-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ALPINE_311: OsInfo = { family: 'alpine', version: '3.11.5', versionId: '3.11.5' };

interface ExpectedImage {
  Packages: { Name: string; Version: string; SrcName: string; SrcVersion: string; Arch: string }[];
}

/** The 14 packages trivy reads from alpine:3.11 (alpine 3.11.5), as Package objects. */
function alpinePackages(): Package[] {
  const image = JSON.parse(readFileSync(join(OSV, 'alpine-311.expected.json'), 'utf8')) as ExpectedImage;
  return image.Packages.map((p) => ({
    name: p.Name,
    version: p.Version,
    type: 'apk',
    ecosystem: 'Alpine',
    purl: `pkg:apk/alpine/${p.Name}@${p.Version}?arch=${p.Arch}&distro=3.11.5`,
    sourceName: p.SrcName,
    sourceVersion: p.SrcVersion,
    arch: p.Arch,
    layerDigest: 'sha256:beee9f30bc1f711043e78d4a2be0668955d4b761d587d6f60c2c8dc081efb203',
    path: '/lib/apk/db/installed',
  }));
}

function appPackage(
  name: string,
  version: string,
  ecosystem: Ecosystem,
  type: PackageType,
  path: string,
): Package {
  return {
    name,
    version,
    ecosystem,
    type,
    purl: `pkg:generic/${name}@${version}`,
    layerDigest: 'sha256:app',
    path,
  };
}

const APP_PACKAGES: Package[] = [
  appPackage('stdlib', '1.19.8', 'Go', 'go-binary', '/usr/local/bin/registry'),
  appPackage('requests', '2.28.1', 'PyPI', 'pypi', '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info'),
  appPackage('urllib3', '1.26.12', 'PyPI', 'pypi', '/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info'),
  appPackage('smallvec', '1.6.0', 'crates.io', 'cargo', '/app/Cargo.lock'),
  appPackage('time', '0.1.43', 'crates.io', 'cargo', '/app/Cargo.lock'),
  appPackage('lodash', '4.17.15', 'npm', 'npm', '/app/package-lock.json'),
];

/** Expected (package name → sorted record ids), computed by the test's own oracle from the raw records. */
function expectedFor(
  dirs: string[],
  packages: Package[],
  ecosystemOf: (p: Package) => string,
): Record<string, string[]> {
  const records = readRecords(dirs);
  const out: Record<string, string[]> = {};
  for (const p of packages) {
    const ids = expectedIds(records, {
      ecosystem: ecosystemOf(p),
      name: p.sourceName ?? p.name,
      version: p.sourceVersion ?? p.version,
    });
    if (ids.length) out[p.name] = ids;
  }
  return out;
}

function actualFor(findings: ReturnType<typeof matchPackages>['findings']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of findings) (out[f.package?.name ?? '?'] ??= []).push(f.id);
  for (const k of Object.keys(out)) out[k]?.sort();
  return out;
}

describe('matchPackages', () => {
  let alpineDb: VulnDb;
  let appDb: VulnDb;

  beforeAll(() => {
    importOsv(join(work, 'alpine.sqlite'), [join(OSV, 'alpine-v3.11')]);
    importOsv(join(work, 'app.sqlite'), [join(OSV, 'records')]);
    alpineDb = openVulnDb(join(work, 'alpine.sqlite'));
    appDb = openVulnDb(join(work, 'app.sqlite'));
  });
  afterAll(() => {
    alpineDb.close();
    appDb.close();
  });

  describe('when the image is alpine:3.11 with its 14 packages (false-positive check)', () => {
    it('reports exactly the records whose fixed version is newer than the installed source package: none', () => {
      const packages = alpinePackages();
      expect(packages).toHaveLength(14);
      const { findings, notes } = matchPackages(alpineDb, packages, ALPINE_311);
      const expected = expectedFor([join(OSV, 'alpine-v3.11')], packages, () => 'Alpine:v3.11');
      expect(actualFor(findings)).toEqual(expected);
      expect(expected).toEqual({});
      expect(notes).toEqual([]);
    });

    it('does report them once openssl is older than a fix (so the check can fail)', () => {
      const packages = alpinePackages().map((p) =>
        p.sourceName === 'openssl' ? { ...p, version: '1.1.1c-r0', sourceVersion: '1.1.1c-r0' } : p,
      );
      const { findings } = matchPackages(alpineDb, packages, ALPINE_311);
      const expected = expectedFor([join(OSV, 'alpine-v3.11')], packages, () => 'Alpine:v3.11');
      expect(actualFor(findings)).toEqual(expected);
      expect(expected['libssl1.1']).toEqual([
        'ALPINE-v3.11-CVE-2019-1547',
        'ALPINE-v3.11-CVE-2019-1549',
        'ALPINE-v3.11-CVE-2019-1551',
        'ALPINE-v3.11-CVE-2019-1563',
      ]);
      const f = findings.find(
        (x) => x.id === 'ALPINE-v3.11-CVE-2019-1551' && x.package?.name === 'libssl1.1',
      );
      expect(f?.package).toMatchObject({
        version: '1.1.1c-r0',
        fixedVersion: '1.1.1d-r3',
        ecosystem: 'Alpine:v3.11',
        sourceName: 'openssl',
      });
      expect(f?.aliases).toEqual(['CVE-2019-1551']);
      expect(f?.location).toEqual({ layerDigest: packages[0]?.layerDigest, path: '/lib/apk/db/installed' });
    });
  });

  describe('when matching application packages', () => {
    it('reports exactly the records whose ranges contain the versions (fixture records)', () => {
      const { findings, notes } = matchPackages(appDb, APP_PACKAGES, undefined);
      const expected = expectedFor([join(OSV, 'records')], APP_PACKAGES, (p) => p.ecosystem);
      expect(actualFor(findings)).toEqual(expected);
      expect(expected).toMatchObject({
        urllib3: ['PYSEC-2023-192'],
        requests: ['PYSEC-2023-74'],
        smallvec: ['RUSTSEC-2021-0003'],
        time: ['RUSTSEC-2020-0071'],
      });
      expect(notes).toMatchObject([
        { code: 'VULN_NO_DATA', message: expect.stringMatching(/no npm records/) },
      ]);
    });

    it('sorts out-of-order events (PYSEC-2023-192 lists 2.0.0…2.0.6 before 0…1.26.17)', () => {
      const at = (version: string): string[] =>
        matchPackages(appDb, [appPackage('urllib3', version, 'PyPI', 'pypi', '/x')], undefined).findings.map(
          (f) => f.id,
        );
      expect(at('1.26.12')).toContain('PYSEC-2023-192');
      expect(at('1.26.17')).not.toContain('PYSEC-2023-192');
      expect(at('2.0.0')).toContain('PYSEC-2023-192');
      expect(at('2.0.6')).not.toContain('PYSEC-2023-192');
      expect(at('2.1.0')).toEqual([]);
    });

    it('fills in id, aliases, CVSS severity, fixed versions, references and location', () => {
      const { findings } = matchPackages(appDb, APP_PACKAGES, undefined);
      const f = findings.find((x) => x.id === 'PYSEC-2023-192');
      expect(f).toMatchObject({
        type: 'vulnerability',
        severity: 'high', // CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N = 8.1
        aliases: ['CVE-2023-43804', 'GHSA-v845-jxx5-vc9f'],
        fixedVersions: ['1.26.17', '2.0.6'],
        package: {
          name: 'urllib3',
          version: '1.26.12',
          fixedVersion: '1.26.17',
          ecosystem: 'PyPI',
          purl: 'pkg:generic/urllib3@1.26.12',
        },
        location: {
          layerDigest: 'sha256:app',
          path: '/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info',
        },
        cvss: [{ type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N', score: 8.1 }],
      });
      expect(f?.title).toBeTruthy();
      expect(f?.description).toMatch(/Cookie/);
      expect(f?.references?.length).toBeGreaterThan(0);
    });

    it('looks PyPI names up PEP 503-normalised', () => {
      const { findings } = matchPackages(
        appDb,
        [appPackage('URLLib3', '1.26.12', 'PyPI', 'pypi', '/x')],
        undefined,
      );
      expect(findings.map((f) => f.id)).toEqual(['PYSEC-2023-192']);
    });

    it('drops findings without a fix when ignoreUnfixed is set', () => {
      const rec = {
        id: 'TEST-UNFIXED-1',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'crates.io', name: 'smallvec' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
          },
        ],
      };
      const dbPath = join(work, 'unfixed.sqlite');
      importOsv(dbPath, [join(OSV, 'records')]);
      const file = join(work, 'unfixed.json');
      writeFileSync(file, JSON.stringify(rec));
      importOsv(dbPath, [file]);
      const db = openVulnDb(dbPath);
      try {
        const pkgs = [appPackage('smallvec', '1.6.0', 'crates.io', 'cargo', '/Cargo.lock')];
        expect(
          matchPackages(db, pkgs, undefined)
            .findings.map((f) => f.id)
            .sort(),
        ).toEqual(['RUSTSEC-2021-0003', 'TEST-UNFIXED-1']);
        expect(matchPackages(db, pkgs, undefined, { ignoreUnfixed: true }).findings.map((f) => f.id)).toEqual(
          ['RUSTSEC-2021-0003'],
        );
      } finally {
        db.close();
      }
    });

    it('notes a version it cannot order instead of calling the package clean', () => {
      const { findings, notes } = matchPackages(
        appDb,
        [appPackage('smallvec', 'not-a-version', 'crates.io', 'cargo', '/Cargo.lock')],
        undefined,
      );
      expect(findings).toEqual([]);
      expect(notes).toMatchObject([{ code: 'VULN_VERSION_INVALID', path: '/Cargo.lock' }]);
    });
  });

  describe('when the OS cannot be matched', () => {
    const apk = alpinePackages().slice(0, 2);
    it('notes an undetected OS', () => {
      expect(matchPackages(alpineDb, apk, undefined).notes.map((n) => n.code)).toEqual(['VULN_OS_UNKNOWN']);
    });
    it('notes an OS with no data in the DB', () => {
      const r = matchPackages(alpineDb, apk, { family: 'alpine', version: '3.19.1' });
      expect(r.notes.map((n) => n.code)).toEqual(['VULN_NO_OS_DATA']);
      expect(r.notes[0]?.message).toMatch(/Alpine:v3\.19/);
    });
    it('notes an OS Portcullis has no OSV ecosystem for', () => {
      expect(
        matchPackages(alpineDb, apk, { family: 'plan9', version: '4' }).notes.map((n) => n.code),
      ).toEqual(['VULN_OS_UNSUPPORTED']);
    });
    it('uses a caller-supplied OS → ecosystem mapping', () => {
      const r = matchPackages(
        alpineDb,
        apk,
        { family: 'custom', version: '1' },
        { osvEcosystem: () => 'Alpine:v3.11' },
      );
      expect(r.notes).toEqual([]);
    });
  });
});

describe.skipIf(!SHARED_DATA && skipReason(NO_SHARED_REASON))(
  'matchPackages against all shared OSV data',
  () => {
    const dir = join(SHARED_DATA ?? '', 'osv');
    let db: VulnDb;
    beforeAll(() => {
      importOsv(join(work, 'all.sqlite'), [dir]);
      db = openVulnDb(join(work, 'all.sqlite'));
    });
    afterAll(() => db.close());

    it('alpine:3.11 packages match exactly the Alpine:v3.11 records with a newer fix: none', () => {
      const packages = alpinePackages();
      const { findings, notes } = matchPackages(db, packages, ALPINE_311);
      const expected = expectedFor([join(dir, 'alpine', 'v3.11')], packages, () => 'Alpine:v3.11');
      expect(actualFor(findings)).toEqual(expected);
      expect(expected).toEqual({});
      expect(notes).toEqual([]);
    });

    it('the multi image app packages match exactly the GO-/PYSEC-/RUSTSEC- records containing their versions', () => {
      const { findings, notes } = matchPackages(db, APP_PACKAGES, undefined);
      const expected = expectedFor(
        [join(dir, 'go'), join(dir, 'pypi'), join(dir, 'crates.io')],
        APP_PACKAGES,
        (p) => p.ecosystem,
      );
      const actual = actualFor(findings);
      expect(actual).toEqual(expected);
      console.log(
        `findings per package: ${JSON.stringify(Object.fromEntries(Object.entries(actual).map(([k, v]) => [k, v.length])))}`,
      );
      expect(expected.stdlib?.length).toBeGreaterThan(50);
      expect(expected.lodash).toBeUndefined();
      expect(notes.map((n) => n.code)).toEqual(['VULN_NO_DATA']); // npm
    });
  },
);
