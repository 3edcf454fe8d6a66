import { cp, mkdtemp, readFile, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage, type ImageSource } from '../../core/src/source/index.js';
import { FIXTURES, NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../helpers/env.js';
import { drain } from './image-builder.js';

const IMAGES = join(FIXTURES, 'images');

interface Expected {
  RepoTags: string[];
  DiffIDs: string[];
  ImageID_const_composerImageID: string;
  layer_CreatedBy: string;
}

describe('openImage', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'portcullis-source-test-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  describe('with the gzip-compressed docker-save alpine 3.11 tarball', () => {
    it('reads the one layer, config digest and diffIds trivy expects', async () => {
      const expected = JSON.parse(
        await readFile(join(IMAGES, 'alpine-311.expected.json'), 'utf8'),
      ) as Expected;
      const tmp = await mkdtemp(join(scratch, 'alpine-'));
      const src = await openImage(join(IMAGES, 'alpine-311.tar.gz'), { tmpDir: tmp });
      try {
        expect(src.meta.configDigest).toBe(expected.ImageID_const_composerImageID);
        expect(src.meta.layers.map((l) => l.diffId)).toEqual(expected.DiffIDs);
        expect(src.meta.repoTags).toEqual(expected.RepoTags);
        expect(src.meta.layers[0]!.createdBy).toContain(expected.layer_CreatedBy);
        expect(src.meta.platform).toEqual({ os: 'linux', architecture: 'amd64' });
        // the legacy <id>/layer.tar member is uncompressed, so its digest is its diffId
        const read = await drain(await src.openLayer(src.meta.layers[0]!));
        expect(read.digest).toBe(expected.DiffIDs[0]);
        expect(await readdir(tmp)).toHaveLength(1); // the decompressed copy
      } finally {
        await src.close();
      }
      expect(await readdir(tmp)).toEqual([]);
    });

    it('also opens it with the docker-archive: prefix', async () => {
      const src = await openImage(`docker-archive:${join(IMAGES, 'alpine-311.tar.gz')}`);
      await src.close();
      expect(src.meta.layers).toHaveLength(1);
    });
  });

  describe('with the test.oci layout', () => {
    it('reads its manifest, config and gzip layer', async () => {
      const index = JSON.parse(await readFile(join(IMAGES, 'test.oci', 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      };
      const src = await openImage(join(IMAGES, 'test.oci'));
      try {
        expect(src.meta.digest).toBe(index.manifests[0]!.digest);
        expect(src.meta.configDigest).toBe(
          'sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604',
        );
        expect(src.meta.layers).toHaveLength(1);
        const layer = src.meta.layers[0]!;
        expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
        expect(layer.diffId).toBe('sha256:9c27e219663c25e0f28493790cc0b88bc973ba3b1686355f221c38a36978ac63');
        expect(layer.createdBy).toContain('COPY file:');
        expect((await drain(await src.openLayer(layer))).digest).toBe(layer.digest);
      } finally {
        await src.close();
      }
    });

    it('fails a layer stream whose blob was altered with SOURCE_DIGEST_MISMATCH', async () => {
      const dir = join(scratch, 'tampered.oci');
      await cp(join(IMAGES, 'test.oci'), dir, { recursive: true });
      const src = await openImage(`oci:${dir}`);
      try {
        const layer = src.meta.layers[0]!;
        const path = join(dir, 'blobs', 'sha256', layer.digest.slice(7));
        await chmod(path, 0o644);
        const data = await readFile(path);
        data[data.length - 5] = data[data.length - 5]! ^ 0xff;
        await writeFile(path, data);
        await expect(drain(await src.openLayer(layer))).rejects.toMatchObject({
          code: 'SOURCE_DIGEST_MISMATCH',
        });
      } finally {
        await src.close();
      }
    });

    it('refuses a config that does not match its digest', async () => {
      const dir = join(scratch, 'badconfig.oci');
      await cp(join(IMAGES, 'test.oci'), dir, { recursive: true });
      const path = join(
        dir,
        'blobs',
        'sha256',
        'b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604',
      );
      await chmod(path, 0o644);
      await writeFile(path, (await readFile(path, 'utf8')).replace('/hello', '/HELLO'));
      await expect(openImage(dir)).rejects.toMatchObject({ code: 'SOURCE_DIGEST_MISMATCH' });
    });
  });

  describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
    'with the built Debian test images',
    () => {
      const forms = (tag: 'min' | 'multi') => [
        `oci:${TEST_IMAGES}/oci:${tag}`,
        join(TEST_IMAGES, `docker-${tag}.tar`),
        `docker-archive:${TEST_IMAGES}/docker-${tag}.tar`,
        join(TEST_IMAGES, `oci-${tag}.tar`),
        `oci-archive:${TEST_IMAGES}/oci-${tag}.tar`,
      ];

      for (const tag of ['min', 'multi'] as const) {
        it(`gives the same config digest and diffIds in every form (${tag}), and every layer verifies`, async () => {
          const seen: { configDigest: string; diffIds: (string | undefined)[] }[] = [];
          for (const input of forms(tag)) {
            const src: ImageSource = await openImage(input);
            try {
              seen.push({
                configDigest: src.meta.configDigest,
                diffIds: src.meta.layers.map((l) => l.diffId),
              });
              for (const layer of src.meta.layers) {
                const read = await drain(await src.openLayer(layer));
                expect(read.digest).toBe(layer.digest);
                if (layer.size !== undefined) expect(read.bytes).toBe(layer.size);
              }
            } finally {
              await src.close();
            }
          }
          expect(seen[0]!.diffIds).toHaveLength(tag === 'min' ? 1 : 2);
          for (const s of seen) expect(s).toEqual(seen[0]);
        });
      }

      it('zips history created_by with layers, skipping empty ones', async () => {
        const src = await openImage(`oci:${TEST_IMAGES}/oci:multi`);
        await src.close();
        expect(src.meta.layers[1]!.createdBy).toMatch(/^RUN curl -fsSL/);
      });

      it('asks for a tag when the layout holds several images', async () => {
        await expect(openImage(join(TEST_IMAGES, 'oci'))).rejects.toMatchObject({
          code: 'SOURCE_REFERENCE_INVALID',
        });
        await expect(openImage(`oci:${TEST_IMAGES}/oci:nope`)).rejects.toMatchObject({
          code: 'SOURCE_NOT_FOUND',
        });
      });
    },
  );
});
