// Issue 11 item 18 through the CLI: an image of 10,000 layers (one tiny blob repeated, as a manifest may) is
// refused at once with LAYER_LIMIT_EXCEEDED instead of scanning for minutes; 3 layers of the same blob scan.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTar, sha256, writeBlob, writeOciLayout, type LayoutLayer } from './build-image.js';
import { createScratch, portcullis, toErrorCode } from './helpers.js';

describe('an image with too many layers', () => {
  let scratch: Awaited<ReturnType<typeof createScratch>>;
  let tar: Buffer;
  let layer: LayoutLayer;
  beforeAll(async () => {
    scratch = await createScratch('many-layers');
    tar = await makeTar([{ name: 'etc/hostname', data: 'many\n' }]);
    layer = {
      digest: sha256(tar),
      size: tar.length,
      diffId: sha256(tar),
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      createdBy: 'RUN x',
    };
  });
  afterAll(async () => scratch?.cleanup());

  async function layout(name: string, count: number): Promise<string> {
    const dir = join(scratch.dir, name);
    await writeBlob(dir, tar);
    await writeOciLayout(
      dir,
      'many',
      Array.from({ length: count }, () => layer),
    );
    return `oci:${dir}:many`;
  }

  it('refuses 10,000 layers with LAYER_LIMIT_EXCEEDED', async () => {
    const run = await portcullis(['sbom', await layout('ten-thousand', 10_000)]);
    expect(run.code).toBe(2);
    expect(toErrorCode(run.stderr)).toBe('LAYER_LIMIT_EXCEEDED');
    expect(run.stderr).toContain('the image has 10000 layers, more than the 1000-layer limit (maxLayers)');
  }, 60_000);

  it('reads an image of a few layers of the same blob', async () => {
    const run = await portcullis(['sbom', await layout('three', 3), '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { image: { layers: unknown[] } }).image.layers).toHaveLength(3);
  }, 60_000);
});
