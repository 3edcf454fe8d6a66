// Issue 11 item 14 end to end: the real multi image with one NUL byte appended to /var/lib/dpkg/status must
// deny exactly as the sound image does (the damage used to hide all 88 Debian packages and turned the deny
// into an allow), and carry an INVENTORY_INCOMPLETE note.
import { link, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTestImages, NO_IMAGES_REASON, skipReason, TEST_IMAGES } from '../helpers/env.js';
import { makeTar, sha256, writeBlob, writeOciLayout, type LayoutLayer } from './build-image.js';
import { createScratch, portcullis, type JsonReport } from './helpers.js';

interface OciManifest {
  layers: { mediaType: string; digest: string; size: number }[];
  config: { digest: string };
}

const blobFile = (root: string, digest: string): string =>
  join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));

/**
 * An OCI layout holding the multi image's layers (hard links to the built blobs, no copy) plus one layer on
 * top that rewrites /var/lib/dpkg/status with `status`: the sound and the damaged variant differ only there.
 */
async function writeMultiWithStatus(dir: string, status: Buffer): Promise<void> {
  const src = join(TEST_IMAGES, 'oci');
  const index = JSON.parse(await readFile(join(src, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'multi');
  if (!entry) throw new Error('multi is not in the test images');
  const manifest = JSON.parse(await readFile(blobFile(src, entry.digest), 'utf8')) as OciManifest;
  const config = JSON.parse(await readFile(blobFile(src, manifest.config.digest), 'utf8')) as {
    rootfs: { diff_ids: string[] };
  };
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const layers: LayoutLayer[] = [];
  for (const [i, l] of manifest.layers.entries()) {
    await link(blobFile(src, l.digest), blobFile(dir, l.digest));
    layers.push({ ...l, diffId: config.rootfs.diff_ids[i] as string, createdBy: `layer ${i + 1} of multi` });
  }
  const tar = await makeTar([
    { name: 'var/', type: 'directory' },
    { name: 'var/lib/', type: 'directory' },
    { name: 'var/lib/dpkg/', type: 'directory' },
    { name: 'var/lib/dpkg/status', data: status },
  ]);
  const gz = gzipSync(tar);
  const blob = await writeBlob(dir, gz);
  layers.push({
    ...blob,
    diffId: sha256(tar),
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    createdBy: 'RUN rewrite /var/lib/dpkg/status',
  });
  await writeOciLayout(dir, 'multi', layers);
}

/**
 * One Debian OSV record (test data, shaped like the OSV Debian records) for a package every Debian 12 image
 * has, so the sound image is denied for a vulnerability that only the dpkg inventory can reveal.
 */
const DEBIAN_RECORD = {
  schema_version: '1.6.0',
  id: 'DEBIAN-CVE-2099-0001',
  modified: '2026-11-01T00:00:00Z',
  summary: 'test record: bash before 5.2.99 is vulnerable',
  affected: [
    {
      package: { ecosystem: 'Debian:12', name: 'bash' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.2.99-1' }] }],
    },
  ],
  database_specific: { severity: 'HIGH' },
};

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
  'the multi image with a damaged dpkg status file',
  () => {
    let scratch: Awaited<ReturnType<typeof createScratch>>;
    let db: string;
    const scanLayout = async (dir: string): Promise<{ code: number; report: JsonReport }> => {
      const run = await portcullis([
        'scan',
        `oci:${dir}:multi`,
        '--db',
        db,
        '--scanners',
        'vuln',
        '--format',
        'json',
      ]);
      return { code: run.code, report: JSON.parse(run.stdout) as JsonReport };
    };

    beforeAll(async () => {
      scratch = await createScratch('damaged-pkgdb');
      const osv = join(scratch.dir, 'osv');
      await mkdir(osv);
      await writeFile(join(osv, `${DEBIAN_RECORD.id}.json`), JSON.stringify(DEBIAN_RECORD));
      db = join(scratch.dir, 'db.sqlite');
      const imported = await portcullis(['db', 'import', osv, '--db', db]);
      expect(imported.code, imported.stderr).toBe(0);
      const status = await readFile(join(TEST_IMAGES, 'rootfs', 'var', 'lib', 'dpkg', 'status'));
      await writeMultiWithStatus(join(scratch.dir, 'sound'), status);
      await writeMultiWithStatus(join(scratch.dir, 'damaged'), Buffer.concat([status, Buffer.from([0])]));
    }, 120_000);
    afterAll(async () => scratch?.cleanup());

    it('denies where the sound image denies, with every Debian package and an INVENTORY_INCOMPLETE note', async () => {
      const sound = await scanLayout(join(scratch.dir, 'sound'));
      const damaged = await scanLayout(join(scratch.dir, 'damaged'));
      const debs = (r: JsonReport): string[] =>
        r.packages.filter((p) => p.ecosystem.startsWith('Debian')).map((p) => `${p.name}@${p.version}`);
      expect(debs(sound.report).length).toBeGreaterThan(80);
      expect(sound.code).toBe(1);
      expect(sound.report.verdict.decision).toBe('deny');
      expect(sound.report.verdict.reasons.join('\n')).toMatch(/DEBIAN-CVE-2099-0001 in bash/);
      expect(sound.report.notes.map((n) => n.code)).not.toContain('INVENTORY_INCOMPLETE');

      expect(damaged.code).toBe(1);
      expect(damaged.report.verdict.decision).toBe('deny');
      expect(damaged.report.verdict.reasons.join('\n')).toMatch(/DEBIAN-CVE-2099-0001 in bash/);
      expect(debs(damaged.report)).toEqual(debs(sound.report));
      const note = damaged.report.notes.find((n) => n.code === 'INVENTORY_INCOMPLETE');
      expect(note?.message).toMatch(/^\/var\/lib\/dpkg\/status: .*not fully checked/);
      // and not silently: the verdict says the check was incomplete
      expect(damaged.report.verdict.warnings?.join('\n')).toMatch(/vulnerabilities not fully checked/);
    }, 180_000);
  },
);
