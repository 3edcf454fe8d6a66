// Issue 11 items 15 and 16: decompression bombs end with their limit error in bounded memory. Each scan runs
// in a child process with a 64 MB V8 heap and reports its peak RSS, which must stay under 200 MB (a 145 KB
// zstd layer used to reach 4.3 GB; a 12.5 MB gzipped docker-archive wrote 12.9 GB to the temp directory).
// The bombs are generated here, small, at run time.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInChild } from '../helpers/rss.js';
import {
  makeTar,
  makeTarHeader,
  makeZstdBombLayer,
  sha256,
  writeBlob,
  writeOciLayout,
} from './build-image.js';
import { createScratch } from './helpers.js';

const MB = 1024 * 1024;
const RSS_LIMIT = 200 * MB;

/** An OCI layout with one zstd layer `blob` (its diffId is not checked before the limit fires). */
async function writeZstdLayout(dir: string, blob: Buffer): Promise<void> {
  const written = await writeBlob(dir, blob);
  await writeOciLayout(dir, 'bomb', [
    {
      ...written,
      diffId: sha256('not reached'),
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
      createdBy: 'ADD bomb /',
    },
  ]);
}

/** Gzips buffers and runs of zeros (a number: that many zero bytes), streamed: the big side never sits in memory. */
async function gzipParts(parts: (Buffer | number)[]): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve, reject) => gz.on('end', resolve).on('error', reject));
  const zeros = Buffer.alloc(MB);
  const write = async (b: Buffer): Promise<void> => {
    if (!gz.write(b)) await new Promise((r) => gz.once('drain', r));
  };
  for (const part of parts) {
    if (typeof part !== 'number') await write(part);
    else
      for (let left = part; left > 0; left -= zeros.length)
        await write(zeros.subarray(0, Math.min(left, zeros.length)));
  }
  gz.end();
  await ended;
  return Buffer.concat(out);
}

describe('decompression bombs, scanned in a child process with a small heap', () => {
  let scratch: Awaited<ReturnType<typeof createScratch>>;
  beforeAll(async () => {
    scratch = await createScratch('bombs');
  });
  afterAll(async () => scratch?.cleanup());

  it('a 32 KB zstd layer of RLE blocks (1 GiB of zeros) stops at the ratio limit under 200 MB RSS', async () => {
    const layout = join(scratch.dir, 'zstd-rle');
    const bomb = makeZstdBombLayer(1024 * MB);
    expect(bomb.length).toBeLessThan(40 * 1024);
    await writeZstdLayout(layout, bomb);
    const run = await runCliInChild(['sbom', `oci:${layout}:bomb`]);
    expect(run.stderr).toMatch(/LAYER_LIMIT_EXCEEDED: .*decompression ratio above 200:1/);
    expect(run.code).toBe(2);
    expect(run.maxRssBytes).toBeLessThan(RSS_LIMIT);
  }, 120_000);

  it('a zstd frame asking for a 2 GiB window is refused before the decoder allocates it', async () => {
    const layout = join(scratch.dir, 'zstd-window');
    await writeZstdLayout(layout, makeZstdBombLayer(MB, 31));
    const run = await runCliInChild(['sbom', `oci:${layout}:bomb`]);
    expect(run.stderr).toMatch(/LAYER_LIMIT_EXCEEDED: .*zstd frame asks for a 2147483648-byte window/);
    expect(run.code).toBe(2);
    expect(run.maxRssBytes).toBeLessThan(RSS_LIMIT);
  }, 120_000);

  it('a --long=27 frame (128 MiB window) is refused under the default 32 MiB window limit', async () => {
    const layout = join(scratch.dir, 'zstd-long');
    await writeZstdLayout(layout, makeZstdBombLayer(MB, 27));
    const run = await runCliInChild(['sbom', `oci:${layout}:bomb`]);
    expect(run.stderr).toMatch(/LAYER_LIMIT_EXCEEDED: .*134217728-byte window, over the 33554432-byte limit/);
    expect(run.code).toBe(2);
  }, 120_000);

  it('the same frame with a 1 MiB window is read (the window check does not refuse sound layers)', async () => {
    const layout = join(scratch.dir, 'zstd-small');
    await writeZstdLayout(layout, makeZstdBombLayer(MB, 20));
    const run = await runCliInChild(['sbom', `oci:${layout}:bomb`]);
    // the tar is cut after the file (no end-of-archive blocks): a truncated layer, but decoded to its end
    expect(run.stderr).not.toMatch(/LAYER_LIMIT_EXCEEDED/);
    expect(run.stderr).toMatch(/LAYER_TRUNCATED|LAYER_TAR_INVALID|^$/);
  }, 120_000);

  it('a gzipped docker-archive (an outer .tar.gz that expands 1000:1) stops at the ratio limit, writing little to temp', async () => {
    // the outer archive: a docker-save tarball whose one layer member is 256 MiB of zeros, gzipped whole
    const layerBytes = 256 * MB;
    const config = JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    const configName = `${sha256(config).slice('sha256:'.length)}.json`;
    const head = await makeTar([
      {
        name: 'manifest.json',
        data: JSON.stringify([{ Config: configName, RepoTags: ['bomb:1'], Layers: ['big/layer.tar'] }]),
      },
      { name: configName, data: config },
    ]);
    const gz = await gzipParts([
      head.subarray(0, head.length - 1024), // without its end-of-archive blocks
      makeTarHeader('big/layer.tar', layerBytes),
      layerBytes,
      1024,
    ]);
    expect((head.length + layerBytes) / gz.length).toBeGreaterThan(500);
    const archive = join(scratch.dir, 'outer.tar.gz');
    await writeFile(archive, gz);
    const tmp = join(scratch.dir, 'tmp');
    await mkdir(tmp);
    const run = await runCliInChild(['sbom', `docker-archive:${archive}`], { env: { TMPDIR: tmp } });
    expect(run.stderr).toMatch(/SOURCE_LIMIT_EXCEEDED: .*decompression ratio above 200:1/);
    expect(run.code).toBe(2);
    expect(run.maxRssBytes).toBeLessThan(RSS_LIMIT);
    // the temp file is removed when the limit fires (tsx keeps its own cache there)
    expect((await readdir(tmp)).filter((n) => n.startsWith('portcullis-'))).toEqual([]);
  }, 180_000);
});
