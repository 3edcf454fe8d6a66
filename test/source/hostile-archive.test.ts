import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../core/src/source/index.js';
import { drain, makeImage, makeTar, type SyntheticImage, type TarEntry } from './image-builder.js';

let dir: string;
let img: SyntheticImage;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-hostile-'));
  img = await makeImage();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function writeArchive(entries: TarEntry[], gzip = false): Promise<string> {
  const path = join(dir, `a${n++}.tar${gzip ? '.gz' : ''}`);
  const tar = await makeTar(entries);
  await writeFile(path, gzip ? gzipSync(tar) : tar);
  return path;
}

/** A docker-save archive in the legacy layout skopeo writes: `<id>/layer.tar` symlinks to `<diffId>.tar`. */
function legacyEntries(
  image: SyntheticImage,
  overrides: { layerBytes?: Buffer; manifest?: unknown } = {},
): TarEntry[] {
  const hex = image.diffId.slice(7);
  const cfg = `${image.configDigest.slice(7)}.json`;
  const manifest = overrides.manifest ?? [
    { Config: cfg, RepoTags: ['example/app:1'], Layers: [`${'e'.repeat(64)}/layer.tar`] },
  ];
  return [
    { name: `${hex}.tar`, data: overrides.layerBytes ?? image.layer },
    { name: cfg, data: image.config },
    { name: `${'e'.repeat(64)}/`, type: 'directory' },
    { name: `${'e'.repeat(64)}/layer.tar`, type: 'symlink', linkname: `../${hex}.tar` },
    { name: 'manifest.json', data: JSON.stringify(manifest) },
  ];
}

const code = (c: string) => expect.objectContaining({ code: c });

describe('docker-save archives', () => {
  describe('when the archive is well formed', () => {
    it('resolves legacy layer.tar symlinks inside the tar and verifies the layer', async () => {
      const src = await openImage(await writeArchive(legacyEntries(img)));
      try {
        expect(src.meta.configDigest).toBe(img.configDigest);
        expect(src.meta.repoTags).toEqual(['example/app:1']);
        const layer = src.meta.layers[0]!;
        expect(layer.digest).toBe(img.diffId);
        expect(layer.createdBy).toBe('ADD marker /etc/');
        expect((await drain(await src.openLayer(layer))).digest).toBe(img.diffId);
      } finally {
        await src.close();
      }
    });

    it('reads long member names (ustar prefix and pax path records)', async () => {
      const longConfig = `${'p'.repeat(120)}/${'c'.repeat(150)}.json`;
      const longLayer = `${'d'.repeat(90)}/${'l'.repeat(90)}.tar`;
      const entries: TarEntry[] = [
        { name: longConfig, data: img.config },
        { name: longLayer, data: img.layer },
        {
          name: 'manifest.json',
          data: JSON.stringify([{ Config: longConfig, RepoTags: [], Layers: [longLayer] }]),
        },
      ];
      const src = await openImage(await writeArchive(entries));
      try {
        expect(src.meta.configDigest).toBe(img.configDigest);
        expect((await drain(await src.openLayer(src.meta.layers[0]!))).digest).toBe(img.diffId);
      } finally {
        await src.close();
      }
    });

    it('reads a gzip-compressed one the same way', async () => {
      const src = await openImage(await writeArchive(legacyEntries(img), true));
      await src.close();
      expect(src.meta.layers[0]!.diffId).toBe(img.diffId);
    });

    it('selects among several images by RepoTags', async () => {
      const other = await makeImage('arm64', 'second');
      const entries = [
        ...legacyEntries(img).filter((e) => e.name !== 'manifest.json'),
        { name: `${other.diffId.slice(7)}.tar`, data: other.layer },
        { name: `${other.configDigest.slice(7)}.json`, data: other.config },
        {
          name: 'manifest.json',
          data: JSON.stringify([
            {
              Config: `${img.configDigest.slice(7)}.json`,
              RepoTags: ['a:1'],
              Layers: [`${img.diffId.slice(7)}.tar`],
            },
            {
              Config: `${other.configDigest.slice(7)}.json`,
              RepoTags: ['b:2'],
              Layers: [`${other.diffId.slice(7)}.tar`],
            },
          ]),
        },
      ];
      const path = await writeArchive(entries);
      await expect(openImage(path)).rejects.toMatchObject({ code: 'SOURCE_REFERENCE_INVALID' });
      const src = await openImage(`docker-archive:${path}:b:2`);
      await src.close();
      expect(src.meta.configDigest).toBe(other.configDigest);
    });
  });

  describe('when the archive is hostile or broken', () => {
    it('refuses members named with ../ (SOURCE_PATH_UNSAFE)', async () => {
      const path = await writeArchive([...legacyEntries(img), { name: '../../etc/cron.d/x', data: 'boom' }]);
      await expect(openImage(path)).rejects.toThrow(code('SOURCE_PATH_UNSAFE'));
    });

    it('refuses absolute member paths (SOURCE_PATH_UNSAFE)', async () => {
      const path = await writeArchive([{ name: '/etc/passwd', data: 'root:x:0:0' }, ...legacyEntries(img)]);
      await expect(openImage(path)).rejects.toThrow(code('SOURCE_PATH_UNSAFE'));
    });

    it('refuses manifest.json paths that climb out (SOURCE_PATH_UNSAFE)', async () => {
      const manifest = [{ Config: '../../../etc/passwd', RepoTags: [], Layers: [] }];
      await expect(openImage(await writeArchive(legacyEntries(img, { manifest })))).rejects.toThrow(
        code('SOURCE_PATH_UNSAFE'),
      );
    });

    it('refuses a layer symlink pointing outside the archive (SOURCE_PATH_UNSAFE)', async () => {
      const entries = legacyEntries(img).map((e) =>
        e.type === 'symlink' ? { ...e, linkname: '../../../../etc/shadow' } : e,
      );
      await expect(openImage(await writeArchive(entries))).rejects.toThrow(code('SOURCE_PATH_UNSAFE'));
    });

    it('reports a truncated archive as SOURCE_ARCHIVE_INVALID', async () => {
      const tar = await makeTar(legacyEntries(img));
      const path = join(dir, 'truncated.tar');
      // cut inside the first member's data (the layer), as an interrupted download would
      await writeFile(path, tar.subarray(0, 512 + Math.floor(img.layer.length / 2)));
      await expect(openImage(path)).rejects.toThrow(code('SOURCE_ARCHIVE_INVALID'));
    });

    it('reports a truncated gzip archive as SOURCE_ARCHIVE_INVALID', async () => {
      const gz = gzipSync(await makeTar(legacyEntries(img)));
      const path = join(dir, 'truncated.tar.gz');
      await writeFile(path, gz.subarray(0, gz.length - 40));
      await expect(openImage(path)).rejects.toThrow(code('SOURCE_ARCHIVE_INVALID'));
    });

    it('reports a corrupted tar header as SOURCE_ARCHIVE_INVALID', async () => {
      const tar = await makeTar(legacyEntries(img));
      tar[10] = tar[10]! ^ 0x55; // inside the first member name, so the checksum no longer matches
      const path = join(dir, 'badsum.tar');
      await writeFile(path, tar);
      await expect(openImage(path)).rejects.toThrow(code('SOURCE_ARCHIVE_INVALID'));
    });

    it.each([
      ['garbage', 'this is not json {'],
      ['an object', '{"Config":"x"}'],
      ['an empty array', '[]'],
      ['entries without Config/Layers', '[{"RepoTags":["a"]}]'],
    ])('refuses manifest.json holding %s (SOURCE_MANIFEST_INVALID)', async (_what, text) => {
      const entries = legacyEntries(img).map((e) => (e.name === 'manifest.json' ? { ...e, data: text } : e));
      await expect(openImage(await writeArchive(entries))).rejects.toThrow(code('SOURCE_MANIFEST_INVALID'));
    });

    it('fails the layer stream when the layer bytes do not hash to the diffId (SOURCE_DIGEST_MISMATCH)', async () => {
      const forged = Buffer.from(img.layer);
      forged[600] = forged[600]! ^ 0x01; // inside the file content of the layer
      const src = await openImage(await writeArchive(legacyEntries(img, { layerBytes: forged })));
      try {
        await expect(drain(await src.openLayer(src.meta.layers[0]!))).rejects.toThrow(
          code('SOURCE_DIGEST_MISMATCH'),
        );
      } finally {
        await src.close();
      }
    });

    it('refuses a config whose name says a different digest (SOURCE_DIGEST_MISMATCH)', async () => {
      const wrong = `${'0'.repeat(64)}.json`;
      const entries = legacyEntries(img, {
        manifest: [{ Config: wrong, RepoTags: [], Layers: [`${img.diffId.slice(7)}.tar`] }],
      });
      entries.push({ name: wrong, data: img.config });
      await expect(openImage(await writeArchive(entries))).rejects.toThrow(code('SOURCE_DIGEST_MISMATCH'));
    });

    it('enforces the JSON size cap (SOURCE_LIMIT_EXCEEDED)', async () => {
      const path = await writeArchive(legacyEntries(img));
      await expect(openImage(path, { limits: { maxJsonBytes: 64 } })).rejects.toThrow(
        code('SOURCE_LIMIT_EXCEEDED'),
      );
    });

    it('enforces the decompressed size cap of gzip archives (SOURCE_LIMIT_EXCEEDED)', async () => {
      const path = await writeArchive(
        [...legacyEntries(img), { name: 'zeros', data: Buffer.alloc(4 * 1024 * 1024) }],
        true,
      );
      await expect(openImage(path, { limits: { maxArchiveBytes: 1024 * 1024 } })).rejects.toThrow(
        code('SOURCE_LIMIT_EXCEEDED'),
      );
    });

    it('enforces the member count cap (SOURCE_LIMIT_EXCEEDED)', async () => {
      const many = Array.from({ length: 50 }, (_, i) => ({ name: `junk/${i}`, data: 'x' }));
      const path = await writeArchive([...legacyEntries(img), ...many]);
      await expect(openImage(path, { limits: { maxArchiveMembers: 20 } })).rejects.toThrow(
        code('SOURCE_LIMIT_EXCEEDED'),
      );
    });

    it('reports a layer the manifest names but the archive lacks as SOURCE_BLOB_MISSING', async () => {
      const entries = legacyEntries(img).filter((e) => e.name !== `${img.diffId.slice(7)}.tar`);
      await expect(openImage(await writeArchive(entries))).rejects.toThrow(code('SOURCE_BLOB_MISSING'));
    });
  });

  it('treats a tar without manifest.json or oci-layout as not an image', async () => {
    const path = await writeArchive([{ name: 'hello.txt', data: 'hi' }]);
    await expect(openImage(path)).rejects.toThrow(code('SOURCE_ARCHIVE_INVALID'));
  });
});
