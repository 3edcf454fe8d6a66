// Issue 11 item 15: every zstd frame's window is checked before the decoder allocates it, across chunk
// boundaries, multiple frames and skippable frames; and fzstd's output is pulled, never piled up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLayer } from '../../core/src/layers/index.js';
import { toZstdWindowSize, ZstdWindowGuard } from '../../core/src/layers/zstd-frames.js';
import { makeZstdBombLayer } from '../e2e/build-image.js';
import { FIXTURES } from '../helpers/env.js';

const ZST = readFileSync(join(FIXTURES, 'layers', 'l1.tar.zst'));

/** Feeds `data` to a guard in `size`-byte chunks; resolves with what came out. */
async function throughGuard(data: Buffer, max: number, size = 1): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks).pipe(new ZstdWindowGuard(max))) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** A skippable frame (magic 0x184D2A5?, 4-byte length, payload). */
function skippable(payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a53, 0);
  h.writeUInt32LE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe('ZstdWindowGuard', () => {
  it('passes a real zstd layer through unchanged, fed one byte at a time', async () => {
    expect(await throughGuard(ZST, 32 * 1024 * 1024)).toEqual(ZST);
  });

  it('refuses the same layer under a window limit smaller than its frame asks for', async () => {
    await expect(throughGuard(ZST, 1024)).rejects.toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED' });
  });

  it('checks every frame: a sound frame, a skippable frame, then one with a 2 GiB window', async () => {
    const small = makeZstdBombLayer(256 * 1024, 20);
    const data = Buffer.concat([small, skippable(Buffer.alloc(1000, 7)), makeZstdBombLayer(1024, 31)]);
    await expect(throughGuard(data, 32 * 1024 * 1024, 7)).rejects.toThrow(/2147483648-byte window/);
    const sound = Buffer.concat([small, skippable(Buffer.alloc(1000, 7)), small]);
    expect(await throughGuard(sound, 32 * 1024 * 1024, 7)).toEqual(sound);
  });

  it('reads the window from Window_Descriptor (exponent and mantissa) or the single-segment content size', () => {
    expect(toZstdWindowSize(0x00, Buffer.from([(20 - 10) << 3]))).toBe(1024 * 1024);
    expect(toZstdWindowSize(0x00, Buffer.from([((20 - 10) << 3) | 4]))).toBe(1024 * 1024 * 1.5);
    // single segment (bit 5), 2-byte content size (flag 1: value + 256)
    expect(toZstdWindowSize(0x60, Buffer.from([0x00, 0x01]))).toBe(256 + 256);
    // single segment, 4-byte content size
    expect(toZstdWindowSize(0xa0, Buffer.from([0, 0, 0, 0x40]))).toBe(0x40000000);
  });
});

describe('readLayer with zstd', () => {
  it('applies the ratio limit as bytes come out: a 1 GiB RLE bomb stops just past the floor', async () => {
    const bomb = makeZstdBombLayer(1024 * 1024 * 1024);
    let out = 0;
    const err = await readLayer(
      Readable.from([bomb]),
      { digest: 'd', index: 0 },
      {
        onFile: () => ({
          write: (c) => {
            out += c.length;
          },
          end: () => undefined,
        }),
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED', message: expect.stringMatching(/ratio/) });
    // the floor is 64 MiB; the pull stream lets at most a few MiB more through before the check fires
    expect(out).toBeGreaterThan(60 * 1024 * 1024);
    expect(out).toBeLessThan(80 * 1024 * 1024);
  });

  it('honours a configured maxZstdWindowBytes', async () => {
    await expect(
      readLayer(Readable.from([ZST]), { digest: 'd', index: 0 }, { limits: { maxZstdWindowBytes: 1024 } }),
    ).rejects.toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED' });
    await expect(readLayer(Readable.from([ZST]), { digest: 'd', index: 0 }, {})).resolves.toBeDefined();
  });
});
