import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLayer, type FileConsumer } from '../../core/src/layers/index.js';
import type { ImageFile } from '../../core/src/types/file.js';
import { makeTar } from '../helpers/tar.js';

/** The tar as a stream of 64 KiB chunks, the way a file or a decompressor delivers it. */
function chunked(tar: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < tar.length; i += 64 * 1024) parts.push(tar.subarray(i, i + 64 * 1024));
  return Readable.from(parts);
}

const big = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;

describe('readLayer', () => {
  describe('with onFile consumers', () => {
    it('hands every regular file its exact bytes and awaits end() before the next entry', async () => {
      const tar = await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/a.txt', data: Buffer.from('alpha') },
        { name: 'etc/link', type: 'symlink', linkname: 'x' },
        { name: 'bin/big', data: big },
        { name: 'empty' },
      ]);
      const events: string[] = [];
      const got = new Map<string, Buffer>();
      const onFile = (file: ImageFile): FileConsumer => {
        events.push(`open ${file.path}`);
        const parts: Buffer[] = [];
        return {
          write(chunk) {
            parts.push(Buffer.from(chunk));
          },
          async end() {
            await new Promise((r) => setTimeout(r, 5));
            got.set(file.path, Buffer.concat(parts));
            events.push(`end ${file.path}`);
          },
        };
      };
      const layer = await readLayer(chunked(tar), { digest: 'sha256:l', index: 0 }, { onFile });
      expect(events).toEqual([
        'open /etc/a.txt',
        'end /etc/a.txt',
        'open /bin/big',
        'end /bin/big',
        'open /empty',
        'end /empty',
      ]);
      expect(got.get('/etc/a.txt')?.toString()).toBe('alpha');
      expect(got.get('/bin/big')?.equals(big)).toBe(true);
      expect(got.get('/empty')?.length).toBe(0);
      // headers are still recorded for every entry, and no content is kept by the walker
      expect(layer.entries.map((e) => e.path)).toEqual([
        '/etc',
        '/etc/a.txt',
        '/etc/link',
        '/bin/big',
        '/empty',
      ]);
      expect(layer.entries.every((e) => e.content === undefined)).toBe(true);
    });

    it('stops feeding a consumer that returns false, and still reads the rest of the layer', async () => {
      const tar = await makeTar([
        { name: 'bin/big', data: big },
        { name: 'after', data: Buffer.from('z') },
      ]);
      let bytes = 0;
      let writes = 0;
      const seen: string[] = [];
      await readLayer(
        chunked(tar),
        { digest: 'sha256:l', index: 0 },
        {
          onFile: (file) => {
            seen.push(file.path);
            return {
              write(chunk) {
                writes++;
                bytes += chunk.length;
                return file.path !== '/bin/big';
              },
              end() {},
            };
          },
        },
      );
      expect(writes).toBe(2); // one chunk of /bin/big, one of /after
      expect(bytes).toBeLessThan(big.length);
      expect(seen).toEqual(['/bin/big', '/after']);
    });

    it('skips files whose consumer is undefined', async () => {
      const tar = await makeTar([
        { name: 'a', data: Buffer.from('1') },
        { name: 'b', data: Buffer.from('2') },
      ]);
      const got: string[] = [];
      await readLayer(
        chunked(tar),
        { digest: 'sha256:l', index: 0 },
        {
          onFile: (file) =>
            file.path === '/b'
              ? { write: (c) => void got.push(c.toString()), end: () => undefined }
              : undefined,
        },
      );
      expect(got).toEqual(['2']);
    });

    it('fails the layer with the error a consumer throws', async () => {
      const tar = await makeTar([{ name: 'a', data: Buffer.from('1') }]);
      const boom = new Error('consumer failed');
      await expect(
        readLayer(
          chunked(tar),
          { digest: 'sha256:l', index: 0 },
          {
            onFile: () => ({
              write() {
                throw boom;
              },
              end() {},
            }),
          },
        ),
      ).rejects.toThrow('consumer failed');
    });
  });
});
