// Issue 2 through the public CLI: the same inventory from every local source and the loopback registry,
// the shipped Alpine sample, test.oci, and a CycloneDX 1.6 SBOM that validates.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURES,
  haveTestImages,
  NO_IMAGES_REASON,
  ROOT,
  skipReason,
  TEST_IMAGES,
  TEST_REGISTRY,
} from '../helpers/env.js';
import { createValidators, E2E_FIXTURES, portcullis, toSchemaErrors, type JsonReport } from './helpers.js';

/** `name@version@ecosystem`, the identity the issue compares. */
function toKeys(packages: JsonReport['packages']): string[] {
  return packages.map((p) => `${p.name}@${p.version}@${p.ecosystem}`).sort();
}

async function sbomJson(image: string, extra: string[] = []): Promise<JsonReport> {
  const run = await portcullis(['sbom', image, '--format', 'json', ...extra]);
  expect(run.stderr, image).toBe('');
  expect(run.code, image).toBe(0);
  return JSON.parse(run.stdout) as JsonReport;
}

/** The application packages planted in layer 2 of `multi` (scripts/test-images.sh). */
const MULTI_APP_PACKAGES = [
  'lodash@4.17.15@npm',
  'requests@2.28.1@PyPI',
  'urllib3@1.26.12@PyPI',
  'stdlib@1.19.8@Go',
  'smallvec@1.6.0@crates.io',
  'time@0.1.43@crates.io',
].sort();

/** The installed packages of the debootstrap'd rootfs, read straight from its dpkg status file. */
function readRootfsDpkg(): string[] | undefined {
  const path = join(TEST_IMAGES, 'rootfs', 'var', 'lib', 'dpkg', 'status');
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split(/\n\n+/)
    .filter((s) => /^Status: install ok installed$/m.test(s))
    .map((s) => `${/^Package: (.+)$/m.exec(s)?.[1]}@${/^Version: (.+)$/m.exec(s)?.[1]}@Debian`)
    .sort();
}

const registryUp =
  haveTestImages &&
  spawnSync('curl', ['-fsS', '-o', '/dev/null', '--max-time', '3', `http://${TEST_REGISTRY}/v2/`]).status ===
    0;

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'portcullis sbom on the real Debian test images',
  () => {
    const layout = join(TEST_IMAGES, 'oci');
    let reference: Record<'min' | 'multi', string[]>;
    beforeAll(async () => {
      reference = {
        min: toKeys((await sbomJson(`oci:${layout}:min`)).packages),
        multi: toKeys((await sbomJson(`oci:${layout}:multi`)).packages),
      };
    });

    it('reads 88 dpkg packages from min, and the same 88 plus the six planted packages from multi', () => {
      const dpkg = reference.min.filter((k) => k.endsWith('@Debian'));
      expect(dpkg).toHaveLength(88);
      expect(reference.min).toEqual(dpkg);
      const fromStatus = readRootfsDpkg();
      if (fromStatus) expect(dpkg).toEqual(fromStatus);
      expect(reference.multi).toEqual([...dpkg, ...MULTI_APP_PACKAGES].sort());
    });

    type Tag = 'min' | 'multi';
    const SOURCES: [string, (t: Tag) => string, Tag[]][] = [
      ['docker-archive', (t) => `docker-archive:${join(TEST_IMAGES, `docker-${t}.tar`)}`, ['min', 'multi']],
      ['oci-archive', (t) => `oci-archive:${join(TEST_IMAGES, `oci-${t}.tar`)}`, ['min', 'multi']],
      ['a sniffed docker-save path', (t) => join(TEST_IMAGES, `docker-${t}.tar`), ['multi']],
    ];
    it.each(SOURCES)('gives the same inventory from %s', async (_name, toInput, tags) => {
      for (const tag of tags) {
        expect(toKeys((await sbomJson(toInput(tag))).packages), tag).toEqual(reference[tag]);
      }
    });

    describe.skipIf(
      !registryUp &&
        skipReason(`no registry at ${TEST_REGISTRY}: run \`bash scripts/test-images.sh registry-start\``),
    )(`the loopback registry ${TEST_REGISTRY}`, () => {
      it.each([
        ['OCI manifests', 'fixtures/debian', ''],
        ['Docker v2 manifests', 'fixtures/debian-v2s2', 'registry:'],
      ])('gives the same inventory with %s', async (_name, repo, prefix) => {
        for (const tag of ['min', 'multi'] as const) {
          const report = await sbomJson(`${prefix}${TEST_REGISTRY}/${repo}:${tag}`);
          expect(toKeys(report.packages), tag).toEqual(reference[tag]);
          expect(report.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        }
      });
    });

    it('writes a CycloneDX 1.6 SBOM that validates, with a purl and the layer for every package', async () => {
      const run = await portcullis(['sbom', `oci-archive:${join(TEST_IMAGES, 'oci-multi.tar')}`]);
      expect(run.code).toBe(0);
      const bom = JSON.parse(run.stdout) as {
        specVersion: string;
        metadata: { component: { properties?: { name: string; value: string }[] } };
        components: {
          type: string;
          name: string;
          version: string;
          purl?: string;
          properties?: { name: string; value: string }[];
        }[];
      };
      expect(toSchemaErrors(createValidators().cyclonedx, bom)).toEqual([]);
      expect(bom.specVersion).toBe('1.6');
      // an SBOM is an inventory: no verdict, no policy digest (the scan report BOM carries those)
      expect(
        (bom.metadata.component.properties ?? []).filter((p) => /^portcullis:(verdict|policy):/.test(p.name)),
      ).toEqual([]);
      const libraries = bom.components.filter((c) => c.type === 'library');
      expect(libraries.map((c) => `${c.name}@${c.version}`).sort()).toEqual(
        reference.multi.map((k) => k.slice(0, k.lastIndexOf('@'))).sort(),
      );
      const layers = (bom.metadata.component.properties ?? [])
        .filter((p) => /^portcullis:layer:\d+:digest$/.test(p.name))
        .map((p) => p.value);
      expect(layers).toHaveLength(2);
      for (const c of libraries) {
        expect(c.purl, c.name).toMatch(/^pkg:(deb|npm|pypi|golang|cargo)\//);
        const layer = c.properties?.find((p) => p.name === 'portcullis:layer:digest')?.value;
        expect(layers, `${c.name} layer`).toContain(layer);
      }
      // the planted packages live in layer 2, the dpkg database in layer 1
      expect(
        libraries
          .find((c) => c.name === 'lodash')
          ?.properties?.find((p) => p.name === 'portcullis:layer:digest')?.value,
      ).toBe(layers[1]);
      expect(
        libraries
          .find((c) => c.name === 'bash')
          ?.properties?.find((p) => p.name === 'portcullis:layer:digest')?.value,
      ).toBe(layers[0]);
    });
  },
);

describe('portcullis sbom on the shipped samples', () => {
  it('reads examples/alpine-311.tar.gz as alpine 3.11.5 with exactly the 14 expected packages', async () => {
    const expected = JSON.parse(readFileSync(join(E2E_FIXTURES, 'alpine-311.expected.json'), 'utf8')) as {
      OS: { Family: string; Name: string };
      Packages: { Name: string; Version: string; SrcName: string }[];
    };
    const report = await sbomJson(`docker-archive:${join(ROOT, 'examples', 'alpine-311.tar.gz')}`);
    expect(report.image.os).toEqual({ family: expected.OS.Family, version: expected.OS.Name });
    expect(expected.Packages).toHaveLength(14);
    expect(report.packages.map((p) => `${p.name}@${p.version}`).sort()).toEqual(
      expected.Packages.map((p) => `${p.Name}@${p.Version}`).sort(),
    );
    for (const p of report.packages) {
      expect(p.sourceName, p.name).toBe(expected.Packages.find((e) => e.Name === p.name)?.SrcName);
      expect(p.purl).toMatch(/^pkg:apk\/alpine\//);
    }
  });

  it('loads test.oci (an OCI layout with one gzip layer) as a plain path and as oci:', async () => {
    const dir = join(FIXTURES, 'images', 'test.oci');
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    for (const input of [dir, `oci:${dir}`]) {
      const report = await sbomJson(input);
      expect(report.image.digest).toBe(index.manifests[0]?.digest);
      expect(report.image.layers).toHaveLength(1);
    }
  });
});
