import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openImage } from '../../core/src/source/index.js';
import {
  addImageBlobs,
  blobPath,
  drain,
  makeImage,
  makeTar,
  sha256,
  toEntries,
  writeTree,
  type SyntheticImage,
} from './image-builder.js';

let root: string;
let amd64: SyntheticImage;
let arm64: SyntheticImage;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'portcullis-oci-'));
  amd64 = await makeImage('amd64');
  arm64 = await makeImage('arm64');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const code = (c: string) => expect.objectContaining({ code: c });
const OCI_LAYOUT = Buffer.from('{"imageLayoutVersion":"1.0.0"}');

/** A layout whose index.json names a nested multi-platform index (with an attestation first). */
function multiPlatformLayout(): {
  files: Map<string, Buffer>;
  indexDigest: string;
  arm: string;
  amd: string;
} {
  const files = new Map<string, Buffer>();
  const amd = addImageBlobs(files, amd64);
  const arm = addImageBlobs(files, arm64);
  const attestation = addImageBlobs(files, amd64); // any manifest; it must be skipped by its markers
  const nested = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...attestation,
          platform: { architecture: 'unknown', os: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...arm,
          platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...amd,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    }),
  );
  files.set(blobPath(sha256(nested)), nested);
  files.set('oci-layout', OCI_LAYOUT);
  files.set(
    'index.json',
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.index.v1+json',
            digest: sha256(nested),
            size: nested.length,
            annotations: { 'org.opencontainers.image.ref.name': 'v1' },
          },
        ],
      }),
    ),
  );
  return { files, indexDigest: sha256(nested), arm: arm.digest, amd: amd.digest };
}

describe('OCI layouts', () => {
  describe('with a nested multi-platform index', () => {
    it('selects linux/amd64 by default and records the index digest', async () => {
      const layout = multiPlatformLayout();
      const dir = join(root, 'multi');
      await writeTree(dir, layout.files);
      const src = await openImage(`oci:${dir}:v1`);
      try {
        expect(src.meta.digest).toBe(layout.amd);
        expect(src.meta.indexDigest).toBe(layout.indexDigest);
        expect(src.meta.configDigest).toBe(amd64.configDigest);
        expect(src.meta.platform).toEqual({ os: 'linux', architecture: 'amd64' });
        const layer = src.meta.layers[0]!;
        expect(layer.diffId).toBe(amd64.diffId);
        expect((await drain(await src.openLayer(layer))).digest).toBe(layer.digest);
      } finally {
        await src.close();
      }
    });

    it('selects linux/arm64/v8 when asked, skipping the attestation', async () => {
      const layout = multiPlatformLayout();
      const dir = join(root, 'multi-arm');
      await writeTree(dir, layout.files);
      const src = await openImage(dir, { platform: 'linux/arm64/v8' });
      await src.close();
      expect(src.meta.digest).toBe(layout.arm);
      expect(src.meta.configDigest).toBe(arm64.configDigest);
    });

    it('fails with SOURCE_PLATFORM_NOT_FOUND for a platform it lacks', async () => {
      const dir = join(root, 'multi-s390x');
      await writeTree(dir, multiPlatformLayout().files);
      await expect(openImage(dir, { platform: 'linux/s390x' })).rejects.toThrow(
        code('SOURCE_PLATFORM_NOT_FOUND'),
      );
    });

    it('reads the same layout from an oci-archive tar', async () => {
      const layout = multiPlatformLayout();
      const path = join(root, 'multi.tar');
      await writeFile(path, await makeTar(toEntries(layout.files)));
      const src = await openImage(`oci-archive:${path}:v1`, { platform: 'linux/arm64' });
      await src.close();
      expect(src.meta.digest).toBe(layout.arm);
    });

    it('enforces the index nesting limit (SOURCE_LIMIT_EXCEEDED)', async () => {
      const dir = join(root, 'multi-deep');
      await writeTree(dir, multiPlatformLayout().files);
      await expect(openImage(dir, { limits: { maxIndexDepth: 0 } })).rejects.toThrow(
        code('SOURCE_LIMIT_EXCEEDED'),
      );
    });
  });

  describe('when the layout is broken', () => {
    async function layoutWith(change: (files: Map<string, Buffer>) => void): Promise<string> {
      const layout = multiPlatformLayout();
      change(layout.files);
      const dir = await mkdtemp(join(root, 'broken-'));
      await writeTree(dir, layout.files);
      return dir;
    }

    it('refuses an unknown layout version (SOURCE_UNSUPPORTED)', async () => {
      const dir = await layoutWith((f) => f.set('oci-layout', Buffer.from('{"imageLayoutVersion":"2.0.0"}')));
      await expect(openImage(dir)).rejects.toThrow(code('SOURCE_UNSUPPORTED'));
    });

    it('refuses a missing oci-layout file', async () => {
      const dir = await layoutWith((f) => f.delete('oci-layout'));
      await expect(openImage(`oci:${dir}`)).rejects.toThrow(code('SOURCE_ARCHIVE_INVALID'));
    });

    it('refuses a nested index whose bytes do not match its digest', async () => {
      const dir = await layoutWith((f) => {
        const idx = JSON.parse(f.get('index.json')!.toString()) as { manifests: { digest: string }[] };
        const path = blobPath(idx.manifests[0]!.digest);
        f.set(path, Buffer.from(f.get(path)!.toString().replace('arm64', 'ARM64')));
      });
      await expect(openImage(dir)).rejects.toThrow(code('SOURCE_DIGEST_MISMATCH'));
    });

    it('refuses a schema 1 manifest (SOURCE_MANIFEST_UNSUPPORTED)', async () => {
      const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }));
      const dir = await layoutWith((f) => {
        f.set(blobPath(sha256(schema1)), schema1);
        f.set(
          'index.json',
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              manifests: [{ digest: sha256(schema1), size: schema1.length }],
            }),
          ),
        );
      });
      await expect(openImage(dir)).rejects.toThrow(code('SOURCE_MANIFEST_UNSUPPORTED'));
    });

    it('reports a missing blob as SOURCE_BLOB_MISSING', async () => {
      const dir = await layoutWith((f) => f.delete(blobPath(amd64.configDigest)));
      await expect(openImage(dir)).rejects.toThrow(code('SOURCE_BLOB_MISSING'));
    });

    it('refuses index.json that is not JSON (SOURCE_MANIFEST_INVALID)', async () => {
      const dir = await layoutWith((f) => f.set('index.json', Buffer.from('<html>')));
      await expect(openImage(dir)).rejects.toThrow(code('SOURCE_MANIFEST_INVALID'));
    });
  });
});

describe('Docker 25+ archives (docker-save that is also an OCI layout)', () => {
  it('uses manifest.json, with gzip layers addressed by blobs/sha256 path', async () => {
    const files = new Map<string, Buffer>();
    const desc = addImageBlobs(files, amd64);
    files.set('oci-layout', OCI_LAYOUT);
    files.set(
      'index.json',
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [{ ...desc, mediaType: 'application/vnd.oci.image.manifest.v1+json' }],
        }),
      ),
    );
    files.set(
      'manifest.json',
      Buffer.from(
        JSON.stringify([
          {
            Config: blobPath(amd64.configDigest),
            RepoTags: ['app:25'],
            Layers: [blobPath(sha256(amd64.layerGz))],
          },
        ]),
      ),
    );
    const path = join(root, 'docker25.tar');
    await writeFile(path, await makeTar(toEntries(files)));
    const src = await openImage(path);
    try {
      const layer = src.meta.layers[0]!;
      expect(src.meta.repoTags).toEqual(['app:25']);
      expect(src.meta.digest).toBe(desc.digest);
      expect(layer.digest).toBe(sha256(amd64.layerGz));
      expect(layer.diffId).toBe(amd64.diffId);
      expect(layer.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
      expect((await drain(await src.openLayer(layer))).digest).toBe(layer.digest);
    } finally {
      await src.close();
    }
  });

  it('falls back to index.json when manifest.json is absent', async () => {
    const files = new Map<string, Buffer>();
    const desc = addImageBlobs(files, amd64);
    files.set('oci-layout', OCI_LAYOUT);
    files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [desc] })));
    const path = join(root, 'docker25-noman.tar');
    await writeFile(path, await makeTar(toEntries(files)));
    const src = await openImage(`docker-archive:${path}`);
    await src.close();
    expect(src.meta.digest).toBe(desc.digest);
    expect(src.meta.configDigest).toBe(amd64.configDigest);
  });
});
