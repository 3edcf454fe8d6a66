// GzipMembers (core/src/layers/gzip-members.ts): gzip read as zlib's gunzip reads it — same bytes out for
// every member layout and every way the input is cut into chunks, same error codes — but with the deflate
// data inflated raw (no CRC-32; the layer's digest covers the bytes). The reference is zlib.gunzipSync.
import { randomBytes } from 'node:crypto';
import { crc32, deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecompressor, toDecompressError } from '../../core/src/layers/decompress.js';
import { GzipMembers } from '../../core/src/layers/gzip-members.js';

interface Outcome {
  out: Buffer;
  error?: { code: string; message: string };
  /** Write callbacks that ran, and how many ran twice. */
  released: number;
  releasedTwice: number;
}

/**
 * Feeds `input` in chunks of `size` (or the given cut points), each chunk a buffer that is overwritten
 * with garbage as soon as its `done` callback runs — as the chunk pool reuses a released read buffer — so
 * a chunk given back while something still reads it corrupts the output. `pauseEvery` pauses the inflater
 * after every n-th output chunk and resumes it a tick later (the walker does that while a sink is busy).
 */
async function run(input: Buffer, size: number | number[], pauseEvery = 0, spaced = false): Promise<Outcome> {
  const g = new GzipMembers(64 * 1024);
  const parts: Buffer[] = [];
  const cuts = Array.isArray(size) ? size : [];
  const step = Array.isArray(size) ? 0 : size;
  const bounds: number[] = [0];
  if (step > 0) for (let at = step; at < input.length; at += step) bounds.push(at);
  else for (const c of cuts) if (c > 0 && c < input.length) bounds.push(c);
  bounds.push(input.length);
  let released = 0;
  let releasedTwice = 0;
  let outputs = 0;
  return await new Promise<Outcome>((resolve) => {
    const settle = (error?: Error): void =>
      resolve({
        out: Buffer.concat(parts),
        ...(error ? { error: { code: toDecompressError(error, 'gzip').code, message: error.message } } : {}),
        released,
        releasedTwice,
      });
    g.on('data', (chunk: Buffer, from) => {
      parts.push(Buffer.from(chunk));
      if (pauseEvery > 0 && ++outputs % pauseEvery === 0 && from) {
        from.pause();
        setImmediate(() => from.resume());
      }
    });
    g.on('end', () => settle());
    g.on('error', (err) => settle(err));
    let k = 0;
    const next = (): void => {
      while (k < bounds.length - 1) {
        const part = input.subarray(bounds[k] as number, bounds[k + 1] as number);
        k++;
        const own = Buffer.from(part);
        let done = false;
        const ok = g.write(own, () => {
          if (done) releasedTwice++;
          done = true;
          released++;
          own.fill(0xa5); // reused at once
        });
        if (!ok) {
          g.once('drain', next);
          return;
        }
        // spaced: one chunk per turn of the event loop, as a file stream delivers them (a member's end is
        // then seen between two writes, not after all of them)
        if (spaced && k < bounds.length - 1) {
          setTimeout(next, 1);
          return;
        }
      }
      g.end();
    };
    next();
  });
}

/** A gzip member by hand: header fields as given, raw deflate data, then CRC-32 and ISIZE. */
function member(
  data: Buffer,
  opts: {
    extra?: Buffer;
    name?: string;
    comment?: string;
    hcrc?: boolean;
    crc?: number;
    isize?: number;
  } = {},
): Buffer {
  let flags = 0;
  const fields: Buffer[] = [];
  if (opts.extra) {
    flags |= 0x04;
    const len = Buffer.alloc(2);
    len.writeUInt16LE(opts.extra.length);
    fields.push(len, opts.extra);
  }
  if (opts.name !== undefined) {
    flags |= 0x08;
    fields.push(Buffer.from(opts.name, 'latin1'), Buffer.from([0]));
  }
  if (opts.comment !== undefined) {
    flags |= 0x10;
    fields.push(Buffer.from(opts.comment, 'latin1'), Buffer.from([0]));
  }
  const fixed = Buffer.from([0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3]);
  let header = Buffer.concat([fixed, ...fields]);
  if (opts.hcrc) {
    header[3] = (header[3] as number) | 0x02;
    const h = Buffer.alloc(2);
    h.writeUInt16LE(crc32(header) & 0xffff);
    header = Buffer.concat([header, h]);
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(opts.crc ?? crc32(data), 0);
  trailer.writeUInt32LE(opts.isize ?? data.length % 2 ** 32, 4);
  return Buffer.concat([header, deflateRawSync(data), trailer]);
}

const text = Buffer.from('portcullis '.repeat(40_000));
const noise = randomBytes(300_000);

describe('GzipMembers: the same bytes as gunzip', () => {
  const layouts: [string, Buffer][] = [
    ['one member (gzipSync)', gzipSync(text)],
    ['an incompressible member', gzipSync(noise)],
    ['three members', Buffer.concat([gzipSync(text), gzipSync(noise), gzipSync(Buffer.from('tail'))])],
    [
      'header fields: extra, name, comment, header CRC',
      member(text, { extra: randomBytes(300), name: 'layer.tar', comment: 'made by hand', hcrc: true }),
    ],
    [
      'an empty member between two',
      Buffer.concat([gzipSync(text), gzipSync(Buffer.alloc(0)), gzipSync(noise)]),
    ],
    ['zero padding after the last member', Buffer.concat([gzipSync(text), Buffer.alloc(4096)])],
    // zlib stops at padding: a member after it is not read (nor by us)
    ['a member after zero padding', Buffer.concat([gzipSync(text), Buffer.alloc(3), gzipSync(noise)])],
  ];
  for (const [name, input] of layouts) {
    it(`${name}: whole, in 64 KiB chunks and in 1,000-byte chunks`, async () => {
      const want = gunzipSync(input);
      for (const size of [input.length, 64 * 1024, 1000])
        for (const spaced of [false, true]) {
          const r = await run(input, size, 0, spaced);
          expect(r.error, `${size} ${spaced}`).toBeUndefined();
          expect(r.out.equals(want), `${size} ${spaced}`).toBe(true);
          expect(r.releasedTwice).toBe(0);
        }
    });
  }

  it('every cut of a small two-member stream with header fields (header, data and trailer split anywhere)', async () => {
    const input = Buffer.concat([
      member(Buffer.from('first member '.repeat(20)), { name: 'a', extra: Buffer.from('xy') }),
      member(Buffer.from('second'), { comment: 'c', hcrc: true }),
    ]);
    const want = gunzipSync(input);
    for (let a = 1; a < input.length; a++) {
      const r = await run(input, [a]);
      expect(r.error, `cut at ${a}`).toBeUndefined();
      expect(r.out.equals(want), `cut at ${a}`).toBe(true);
    }
    // byte by byte
    const r = await run(input, 1);
    expect(r.out.equals(want)).toBe(true);
    expect(r.released).toBe(input.length);
  });

  it('while the reader pauses the inflater (back-pressure), every chunk given back once', async () => {
    const input = Buffer.concat([gzipSync(noise), gzipSync(text), gzipSync(noise)]);
    const chunks = Math.ceil(input.length / 8192);
    const r = await run(input, 8192, 1);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(gunzipSync(input))).toBe(true);
    expect(r.released).toBe(chunks);
    expect(r.releasedTwice).toBe(0);
  });

  it('does not compute the CRC-32: a wrong one is not an error (the digest covers the bytes)', async () => {
    const input = member(text, { crc: (crc32(text) ^ 1) >>> 0 });
    expect(() => gunzipSync(input)).toThrow(/incorrect data check/);
    const r = await run(input, 4096);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(text)).toBe(true);
  });

  it('inflates only the first member raw: a stream of many members goes on through zlib (bounded work each)', async () => {
    const one = gzipSync(Buffer.from('x'));
    const many = Buffer.concat([gzipSync(text), ...Array.from({ length: 20_000 }, () => one)]);
    const g = new GzipMembers(64 * 1024);
    const out: Buffer[] = [];
    g.on('data', (c: Buffer) => out.push(Buffer.from(c)));
    const ended = new Promise<void>((resolve, reject) => {
      g.on('end', resolve);
      g.on('error', reject);
    });
    for (let at = 0; at < many.length; at += 65_536) g.write(many.subarray(at, at + 65_536));
    g.end();
    await ended;
    expect(Buffer.concat(out).equals(gunzipSync(many))).toBe(true);
    expect(g.rawMembers).toBe(1);
  });

  it('after destroy: no event, and every later chunk given back at once', async () => {
    const g = new GzipMembers(64 * 1024);
    const events: string[] = [];
    g.on('data', () => events.push('data'));
    g.on('end', () => events.push('end'));
    g.on('error', () => events.push('error'));
    const input = gzipSync(noise);
    g.write(input.subarray(0, 20));
    g.destroy();
    let released = 0;
    expect(g.write(input.subarray(20), () => released++)).toBe(true);
    expect(released).toBe(1);
    g.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e !== 'data')).toEqual([]);
  });

  it('ends once, however often end() is called, and gives back chunks written after the end', async () => {
    const g = new GzipMembers(64 * 1024);
    let ends = 0;
    const out: Buffer[] = [];
    g.on('data', (c: Buffer) => out.push(Buffer.from(c)));
    const ended = new Promise<void>((resolve) =>
      g.on('end', () => {
        ends++;
        resolve();
      }),
    );
    g.write(gzipSync(text));
    g.end();
    g.end();
    await ended;
    let released = 0;
    g.write(Buffer.from('late'), () => released++);
    await new Promise((r) => setTimeout(r, 20));
    expect(ends).toBe(1);
    expect(released).toBe(1);
    expect(Buffer.concat(out).equals(text)).toBe(true);
  });

  it('is what createDecompressor gives for gzip', () => {
    expect(createDecompressor('gzip')).toBeInstanceOf(GzipMembers);
  });
});

describe('GzipMembers: damaged streams get the codes gunzip gets', () => {
  const whole = gzipSync(text);
  const cases: [string, Buffer, string, RegExp][] = [
    ['deflate data cut short', whole.subarray(0, whole.length - 100), 'LAYER_TRUNCATED', /unexpected end/],
    ['trailer cut short', whole.subarray(0, whole.length - 3), 'LAYER_TRUNCATED', /unexpected end/],
    ['no trailer at all', whole.subarray(0, whole.length - 8), 'LAYER_TRUNCATED', /unexpected end/],
    ['header cut short', whole.subarray(0, 6), 'LAYER_TRUNCATED', /unexpected end/],
    ['a header and nothing after it', whole.subarray(0, 10), 'LAYER_TRUNCATED', /unexpected end/],
    [
      'a second header and nothing after it',
      Buffer.concat([whole, whole.subarray(0, 10)]),
      'LAYER_TRUNCATED',
      /unexpected end/,
    ],
    [
      'a name that never ends',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]), Buffer.alloc(5000, 0x41)]),
      'LAYER_TRUNCATED',
      /unexpected end/,
    ],
    [
      'a second member cut in its header',
      Buffer.concat([whole, gzipSync(noise).subarray(0, 5)]),
      'LAYER_TRUNCATED',
      /unexpected end/,
    ],
    [
      'garbage after a member',
      Buffer.concat([whole, Buffer.from('garbage')]),
      'LAYER_DECOMPRESS_FAILED',
      /header check/,
    ],
    [
      'a wrong length in the trailer',
      member(text, { isize: text.length + 1 }),
      'LAYER_DECOMPRESS_FAILED',
      /length/,
    ],
    [
      'not deflate (method 7)',
      Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]),
      'LAYER_DECOMPRESS_FAILED',
      /compression method/,
    ],
    [
      'reserved flag bits set',
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 3]), deflateRawSync(text)]),
      'LAYER_DECOMPRESS_FAILED',
      /header flags/,
    ],
    [
      'corrupt deflate data',
      Buffer.concat([whole.subarray(0, 10), Buffer.from([0xff, 0xff, 0xff, 0xff]), whole.subarray(14)]),
      'LAYER_DECOMPRESS_FAILED',
      /.+/,
    ],
  ];
  for (const [name, input, code, message] of cases) {
    it(`${name}: ${code}, as gunzip`, async () => {
      let gunzipCode: string | undefined;
      try {
        gunzipSync(input);
      } catch (err) {
        gunzipCode = toDecompressError(err, 'gzip').code;
      }
      expect(gunzipCode).toBe(code);
      for (const [size, spaced] of [
        [input.length, false],
        [1024, false],
        [7, false],
        [1024, true],
      ] as const) {
        const r = await run(input, size, 0, spaced);
        expect(r.error?.code, `chunks of ${size}`).toBe(code);
        expect(r.error?.message).toMatch(message);
        expect(r.releasedTwice).toBe(0);
      }
    });
  }
});
