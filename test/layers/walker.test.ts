import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { mergeLayers, readLayer, type LayerContents } from '../../core/src/layers/index.js';
import { FIXTURES, TEST_IMAGES, haveTestImages, skipReason, NO_IMAGES_REASON } from '../helpers/env.js';
import { makeTar } from '../helpers/tar.js';

const dir = join(FIXTURES, 'layers');
const all = (_path: string): boolean => true;

async function read(file: string, index: number, wants = all): Promise<LayerContents> {
  return readLayer(createReadStream(join(dir, file)), { digest: `sha256:${file}`, index }, { wants });
}

describe('readLayer', () => {
  describe.each(['tar', 'tar.gz', 'tar.zst'])('when the layer is %s', (ext) => {
    it('records every entry, buffers wanted files and reports the compression', async () => {
      const layer = await read(`l1.${ext}`, 0, (p) => p === '/etc/os-release');
      expect(layer.compression).toBe(ext === 'tar' ? 'none' : ext === 'tar.gz' ? 'gzip' : 'zstd');
      const paths = layer.entries.map((e) => e.path);
      expect(paths).toContain('/usr/bin/hello');
      expect(paths).toContain('/var/log/apt/history.log');
      const osRelease = layer.entries.find((e) => e.path === '/etc/os-release');
      expect(osRelease?.content?.toString()).toBe('ID=debian\n');
      expect(layer.entries.find((e) => e.path === '/etc/motd')?.content).toBeUndefined();
      expect(layer.uncompressedBytes).toBe(readFileSync(join(dir, 'l1.tar')).length);
    });
  });

  it('records whiteouts and opaque directories by file name', async () => {
    const layer = await read('l2.tar.gz', 1);
    expect(layer.whiteouts.sort()).toEqual(['/etc/motd', '/etc/secret.txt']);
    expect(layer.opaqueDirs).toEqual(['/var/log']);
    expect(layer.entries.some((e) => e.path.includes('.wh.'))).toBe(false);
  });

  it('does not treat a name merely containing ".wh" as a whiteout', async () => {
    const tar = await makeTar([
      { name: 'node_modules/which/package.json', data: '{}' },
      { name: 'a/x.wh.y', data: '' },
    ]);
    const layer = await readLayer(Readable.from([tar]), { digest: 'd', index: 0 }, { wants: all });
    expect(layer.whiteouts).toEqual([]);
    expect(layer.entries.map((e) => e.path)).toEqual(['/node_modules/which/package.json', '/a/x.wh.y']);
  });

  describe('when the input is hostile', () => {
    it('fails a truncated gzip stream with LAYER_TRUNCATED', async () => {
      const gz = readFileSync(join(dir, 'l1.tar.gz'));
      const cut = gz.subarray(0, Math.floor(gz.length / 2));
      await expect(
        readLayer(Readable.from([cut]), { digest: 'd', index: 0 }, { wants: all }),
      ).rejects.toMatchObject({
        code: 'LAYER_TRUNCATED',
      });
    });

    it('fails a truncated tar stream with LAYER_TRUNCATED', async () => {
      const tar = await makeTar([{ name: 'big', data: 'x'.repeat(5000) }]);
      await expect(
        readLayer(Readable.from([tar.subarray(0, 2048)]), { digest: 'd', index: 0 }, { wants: all }),
      ).rejects.toMatchObject({ code: 'LAYER_TRUNCATED' });
    });

    it('fails garbage with LAYER_TAR_INVALID', async () => {
      const junk = Buffer.alloc(4096, 0x41);
      await expect(
        readLayer(Readable.from([junk]), { digest: 'd', index: 0 }, { wants: all }),
      ).rejects.toMatchObject({
        code: 'LAYER_TAR_INVALID',
      });
    });

    it.each(['../etc/passwd', 'a/../../etc/passwd', '/etc/passwd'])(
      'refuses the entry path %s',
      async (name) => {
        const tar = await makeTar([{ name, data: 'root:x:0:0' }]);
        await expect(
          readLayer(Readable.from([tar]), { digest: 'd', index: 0 }, { wants: all }),
        ).rejects.toMatchObject({
          code: 'LAYER_PATH_UNSAFE',
        });
      },
    );

    it('refuses a hardlink whose target escapes the image', async () => {
      const tar = await makeTar([{ name: 'evil', type: 'link', linkname: '../../etc/shadow' }]);
      await expect(
        readLayer(Readable.from([tar]), { digest: 'd', index: 0 }, { wants: all }),
      ).rejects.toMatchObject({
        code: 'LAYER_PATH_UNSAFE',
      });
    });

    it('stops a gzip bomb (≥ 1000:1) with LAYER_LIMIT_EXCEEDED before expanding it', async () => {
      // 100 MiB of zeros in one tar entry, gzipped while streaming: about 100 KiB compressed
      const size = 100 * 1024 * 1024;
      const header = await makeTar([{ name: 'zeros', data: '' }]);
      const p = pack();
      const gz = createGzip({ level: 9 });
      const chunks: Buffer[] = [];
      gz.on('data', (c: Buffer) => chunks.push(c));
      const done = new Promise((r) => gz.on('end', r));
      p.pipe(gz);
      const entry = p.entry({ name: 'zeros', size });
      const zero = Buffer.alloc(1024 * 1024);
      for (let i = 0; i < 100; i++) entry.write(zero);
      entry.end(Buffer.alloc(0));
      p.finalize();
      await done;
      const bomb = Buffer.concat(chunks);
      expect(header.length).toBeGreaterThan(0);
      expect(size / bomb.length).toBeGreaterThan(1000);
      await expect(
        readLayer(Readable.from([bomb]), { digest: 'd', index: 0 }, { wants: all }),
      ).rejects.toMatchObject({
        code: 'LAYER_LIMIT_EXCEEDED',
      });
    });

    it('enforces the entry-count limit', async () => {
      const tar = await makeTar(Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
      await expect(
        readLayer(
          Readable.from([tar]),
          { digest: 'd', index: 0 },
          { wants: all, limits: { maxEntries: 10 } },
        ),
      ).rejects.toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED' });
      // whiteouts count too (they are kept as a list), and exactly the limit passes
      const whiteouts = await makeTar(
        Array.from({ length: 11 }, (_, i) => ({ name: `d/.wh.f${i}`, data: '' })),
      );
      await expect(
        readLayer(Readable.from([whiteouts]), { digest: 'd', index: 0 }, { limits: { maxEntries: 10 } }),
      ).rejects.toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED' });
      const ten = await readLayer(
        Readable.from([
          await makeTar(Array.from({ length: 10 }, (_, i) => ({ name: `d/.wh.f${i}`, data: '' }))),
        ]),
        { digest: 'd', index: 0 },
        { limits: { maxEntries: 10 } },
      );
      expect(ten.whiteouts).toHaveLength(10);
    });

    it('passes a wanted file over the buffer limit without content, with a note', async () => {
      const tar = await makeTar([{ name: 'etc/big', data: 'y'.repeat(4096) }]);
      const layer = await readLayer(
        Readable.from([tar]),
        { digest: 'd', index: 0 },
        { wants: all, limits: { maxFileBuffer: 1024 } },
      );
      expect(layer.entries[0]?.content).toBeUndefined();
      expect(layer.notes.map((n) => n.code)).toEqual(['LAYER_FILE_TOO_LARGE']);
    });

    it('propagates an error from the blob stream (e.g. a digest mismatch)', async () => {
      const failing = new Readable({
        read() {
          this.destroy(
            Object.assign(new Error('digest mismatch'), {
              code: 'SOURCE_DIGEST_MISMATCH',
              name: 'PortcullisError',
            }),
          );
        },
      });
      await expect(readLayer(failing, { digest: 'd', index: 0 }, { wants: all })).rejects.toMatchObject({
        code: 'SOURCE_DIGEST_MISMATCH',
      });
    });
  });

  it('reads a gzip layer made in memory', async () => {
    const tar = await makeTar([{ name: './etc/hostname', data: 'box\n' }]);
    const layer = await readLayer(Readable.from([gzipSync(tar)]), { digest: 'd', index: 0 }, { wants: all });
    expect(layer.entries[0]).toMatchObject({ path: '/etc/hostname', kind: 'file', size: 4 });
  });
});

describe('mergeLayers', () => {
  it('applies whiteouts and opaque dirs from later layers and keeps hidden files for history', async () => {
    const view = mergeLayers([await read('l2.tar.zst', 1), await read('l1.tar.gz', 0)]);
    expect(view.files.has('/etc/motd')).toBe(false);
    expect(view.files.has('/etc/secret.txt')).toBe(false);
    expect([...view.files.keys()].filter((p) => p.startsWith('/var/log/'))).toEqual(['/var/log/new.log']);
    expect(view.files.get('/etc/os-release')?.content?.toString()).toBe('ID=debian2\n');
    expect(view.files.get('/etc/os-release')?.layerIndex).toBe(1);
    const secret = view.hidden.find((f) => f.path === '/etc/secret.txt');
    expect(secret).toMatchObject({ hidden: 'deleted', layerDigest: 'sha256:l1.tar.gz' });
    expect(view.hidden.find((f) => f.path === '/etc/os-release')?.hidden).toBe('overwritten');
  });

  it('resolves symlinks inside the image and clamps .. at the root', async () => {
    const view = mergeLayers([await read('l1.tar', 0)]);
    expect(view.resolve('/usr/bin/hi')?.path).toBe('/usr/bin/hello');
    expect(view.resolve('/usr/bin/rel')?.path).toBe('/etc/os-release');
  });

  it('keeps symlink escapes inside the image root', async () => {
    const tar = await makeTar([
      { name: 'etc/passwd', data: 'image passwd' },
      { name: 'app/link', type: 'symlink', linkname: '../../../../../etc/passwd' },
      { name: 'app/abs', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    const view = mergeLayers([
      await readLayer(Readable.from([tar]), { digest: 'd', index: 0 }, { wants: all }),
    ]);
    expect(view.resolve('/app/link')?.content?.toString()).toBe('image passwd');
    expect(view.resolve('/app/abs')?.content?.toString()).toBe('image passwd');
  });

  it('fails a symlink loop with LAYER_SYMLINK_LOOP', async () => {
    const tar = await makeTar([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
    ]);
    const view = mergeLayers([
      await readLayer(Readable.from([tar]), { digest: 'd', index: 0 }, { wants: all }),
    ]);
    expect(() => view.resolve('/a')).toThrow(expect.objectContaining({ code: 'LAYER_SYMLINK_LOOP' }));
  });
});

describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('the Debian test image layers', () => {
  it('hide /etc/motd and every /var/log child of layer 1 in the merged view', async () => {
    const l1 = await readLayer(
      createReadStream(join(TEST_IMAGES, 'layer1.tar')),
      { digest: 'l1', index: 0 },
      { wants: () => false },
    );
    const l2 = await readLayer(
      createReadStream(join(TEST_IMAGES, 'layer2.tar')),
      { digest: 'l2', index: 1 },
      { wants: () => false },
    );
    expect(l1.entries.some((e) => e.path === '/etc/motd')).toBe(true);
    expect(l1.entries.some((e) => e.path.startsWith('/var/log/'))).toBe(true);
    const view = mergeLayers([l1, l2]);
    expect(view.files.has('/etc/motd')).toBe(false);
    expect([...view.files.keys()].filter((p) => p.startsWith('/var/log/'))).toEqual([]);
    expect(view.files.get('/usr/local/bin/suidbash')?.mode).toBe(0o4755);
  });
});
