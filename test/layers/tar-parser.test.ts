import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { readLayer } from '../../core/src/layers/walker.js';
import { MAX_TAR_META_BYTES, readTarNumber, tarChecksumMatches } from '../../core/src/tar.js';
import { TarParser, type TarHeader } from '../../core/src/layers/tar-parser.js';

interface Seen {
  name: string;
  typeflag: string;
  size: number;
  linkname: string;
  digest?: string;
}

/** Parses `tar` fed in chunks of the given sizes (cycled), awaiting any sink that holds the parser. */
async function parse(tar: Buffer, chunkSizes: readonly number[] = [tar.length || 1]): Promise<Seen[]> {
  const seen: Seen[] = [];
  const parser = new TarParser((h: TarHeader) => {
    const entry: Seen = { name: h.name, typeflag: h.typeflag, size: h.size, linkname: h.linkname };
    seen.push(entry);
    const hash = createHash('sha256');
    return {
      write: (chunk) => void hash.update(chunk),
      end: () => {
        entry.digest = hash.digest('hex');
      },
    };
  });
  let pos = 0;
  for (let i = 0; pos < tar.length; i++) {
    const n = chunkSizes[i % chunkSizes.length]!;
    const pending = parser.write(tar.subarray(pos, pos + n));
    if (pending) await pending;
    pos += n;
  }
  parser.end();
  return seen;
}

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** A 512-byte header written field by field (checksum computed unless given). */
function header(f: {
  name: string;
  typeflag?: string;
  size?: number | Buffer;
  linkname?: string;
  magic?: 'ustar' | 'gnu' | 'v7';
  prefix?: string;
  checksum?: (block: Buffer) => number;
}): Buffer {
  const b = Buffer.alloc(512);
  b.write(f.name, 0, 100, 'utf8');
  b.write('0000644\0', 100);
  b.write('0000000\0', 108);
  b.write('0000000\0', 116);
  if (Buffer.isBuffer(f.size)) f.size.copy(b, 124);
  else b.write((f.size ?? 0).toString(8).padStart(11, '0') + '\0', 124);
  b.write('00000000000\0', 136);
  b.write(f.typeflag ?? '0', 156, 'latin1');
  if (f.linkname) b.write(f.linkname, 157, 100);
  const magic = f.magic ?? 'ustar';
  if (magic === 'ustar') b.write('ustar\x0000', 257, 'latin1');
  if (magic === 'gnu') b.write('ustar  \x00', 257, 'latin1');
  if (f.prefix) b.write(f.prefix, 345, 155);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  const value = f.checksum ? f.checksum(b) : sum;
  b.write(value.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return b;
}

const pad = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
const file = (name: string, data: string, extra: Parameters<typeof header>[0] = { name }): Buffer =>
  Buffer.concat([header({ ...extra, name, size: Buffer.byteLength(data) }), pad(Buffer.from(data))]);
const EOF = Buffer.alloc(1024);

const work = mkdtempSync(join(tmpdir(), 'portcullis-tar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A tree with long names, every size class around the block size, a symlink, a hardlink and a directory. */
function makeTree(): { dir: string; files: Map<string, string> } {
  const dir = join(work, 'tree');
  const files = new Map<string, string>();
  const long = `${'d'.repeat(60)}/${'e'.repeat(70)}`;
  mkdirSync(join(dir, long), { recursive: true });
  for (const [i, size] of [0, 1, 511, 512, 513, 4096, 100_000].entries()) {
    const data = Buffer.alloc(size, 97 + i).toString();
    const name = i % 2 === 0 ? `f${size}.txt` : `${long}/${'n'.repeat(90)}${size}.txt`;
    writeFileSync(join(dir, name), data);
    files.set(name, sha(data));
  }
  symlinkSync('f0.txt', join(dir, 'link'));
  linkSync(join(dir, 'f511.txt'), join(dir, 'hard'));
  return { dir, files };
}
const tree = makeTree();

function gnuTar(format: string): Buffer {
  return execFileSync('tar', ['--format', format, '--sort=name', '-C', tree.dir, '-cf', '-', '.'], {
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('TarParser on archives written by GNU tar', () => {
  for (const format of ['gnu', 'pax', 'posix', 'oldgnu']) {
    it(`reads every entry of a ${format} archive, long names, links and contents included`, async () => {
      const tar = gnuTar(format);
      const seen = await parse(tar);
      const byName = new Map(seen.map((s) => [s.name.replace(/^\.\//, ''), s]));
      for (const [name, digest] of tree.files) {
        expect(byName.get(name)?.digest, name).toBe(digest);
      }
      expect(byName.get('link')).toMatchObject({ typeflag: '2', linkname: 'f0.txt' });
      expect(byName.get('hard')?.typeflag === '1' || byName.get('f511.txt')?.typeflag === '1').toBe(true);
      expect(seen.some((s) => s.typeflag === '5')).toBe(true);
    });
  }

  it('gives the same entries whatever the chunk boundaries (1 byte, odd sizes, whole)', async () => {
    const tar = gnuTar('pax');
    const whole = await parse(tar);
    expect(await parse(tar, [1, 7, 511, 513, 1024, 3, 4096, 100_003])).toEqual(whole);
    expect(await parse(tar, [1])).toEqual(whole);
  });
});

describe('TarParser rules (Go archive/tar semantics)', () => {
  it('skips no data after link, device, directory and FIFO headers, whatever their size field says', async () => {
    const tar = Buffer.concat([
      header({ name: 'sym', typeflag: '2', linkname: 'target', size: 1024 }),
      header({ name: 'dir/', typeflag: '5', size: 512 }),
      file('after', 'data right after'),
      EOF,
    ]);
    const seen = await parse(tar);
    expect(seen.map((s) => s.name)).toEqual(['sym', 'dir/', 'after']);
    expect(seen[2]!.digest).toBe(sha('data right after'));
  });

  it('ends the archive at two zero blocks and ignores what follows', async () => {
    const tar = Buffer.concat([file('a', 'x'), EOF, file('hidden', 'y'), EOF]);
    expect((await parse(tar)).map((s) => s.name)).toEqual(['a']);
  });

  it('refuses a header after a single zero block (LAYER_TAR_INVALID)', async () => {
    const tar = Buffer.concat([file('a', 'x'), Buffer.alloc(512), file('b', 'y'), EOF]);
    await expect(parse(tar)).rejects.toMatchObject({ code: 'LAYER_TAR_INVALID' });
  });

  it('refuses a bad checksum and accepts a signed-byte checksum (old tars)', async () => {
    const bad = header({ name: 'a', checksum: () => 1 });
    await expect(parse(Buffer.concat([bad, EOF]))).rejects.toMatchObject({ code: 'LAYER_TAR_INVALID' });
    const signedSum = (b: Buffer): number => {
      let s = 0;
      for (const x of b) s += x < 128 ? x : x - 256;
      return s;
    };
    const signed = header({ name: 'caf\u00e9', checksum: signedSum });
    expect(tarChecksumMatches(signed)).toBe(true);
    expect((await parse(Buffer.concat([signed, EOF])))[0]!.name).toBe('caf\u00e9');
  });

  it('applies the ustar prefix but not in GNU or V7 headers (their bytes 345+ are not a prefix)', async () => {
    const ustar = header({ name: 'name', prefix: 'some/dir' });
    const gnu = header({ name: 'name', prefix: '1234567', magic: 'gnu' });
    const v7 = header({ name: 'v7name', prefix: 'ignored', magic: 'v7' });
    expect((await parse(Buffer.concat([ustar, gnu, v7, EOF]))).map((s) => s.name)).toEqual([
      'some/dir/name',
      'name',
      'v7name',
    ]);
  });

  it('reads GNU long names and links and pax path, linkpath and size; ignores pax global records', async () => {
    const longName = `${'x'.repeat(150)}/file`;
    const paxRecord = (k: string, v: string): string => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      while (String(len).length + body.length !== len) len++;
      return `${len}${body}`;
    };
    const pax = Buffer.from(paxRecord('path', 'pax/name') + paxRecord('size', '3'));
    const global = Buffer.from(paxRecord('path', 'global/name'));
    const tar = Buffer.concat([
      header({ name: '././@LongLink', typeflag: 'L', size: longName.length + 1 }),
      pad(Buffer.from(longName + '\0')),
      header({ name: 'short', size: 0 }),
      header({ name: '././@LongLink', typeflag: 'K', size: 4 }),
      pad(Buffer.from('tgt\0')),
      header({ name: 'l', typeflag: '2', linkname: 'ignored' }),
      header({ name: 'PaxHeader', typeflag: 'x', size: pax.length }),
      pad(pax),
      header({ name: 'header-name', size: 0 }),
      pad(Buffer.from('abc')),
      header({ name: 'GlobalHead', typeflag: 'g', size: global.length }),
      pad(global),
      file('own-name', 'z'),
      EOF,
    ]);
    const seen = await parse(tar);
    expect(seen.map((s) => [s.name, s.linkname, s.size])).toEqual([
      [longName, '', 0],
      ['l', 'tgt', 0],
      ['pax/name', '', 3],
      ['own-name', '', 1],
    ]);
    expect(seen[2]!.digest).toBe(sha('abc'));
  });

  it('refuses an extended header over the 1 MiB bound (LAYER_LIMIT_EXCEEDED)', async () => {
    const tar = header({ name: 'PaxHeader', typeflag: 'x', size: MAX_TAR_META_BYTES + 1 });
    await expect(parse(tar)).rejects.toMatchObject({ code: 'LAYER_LIMIT_EXCEEDED' });
  });

  it('reads base-256 numbers and refuses a negative size', async () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size[11] = 5;
    const tar = Buffer.concat([header({ name: 'b256', size }), pad(Buffer.from('12345')), EOF]);
    expect((await parse(tar))[0]).toMatchObject({ size: 5, digest: sha('12345') });
    const negative = Buffer.alloc(12, 0xff);
    expect(readTarNumber(negative, 0, 12)).toBe(-1);
    await expect(parse(Buffer.concat([header({ name: 'neg', size: negative }), EOF]))).rejects.toMatchObject({
      code: 'LAYER_TAR_INVALID',
    });
  });

  it('reports a stream that stops inside a header or an entry as LAYER_TRUNCATED, not one that stops between entries', async () => {
    const tar = Buffer.concat([file('a', 'x'.repeat(600)), EOF]);
    await expect(parse(tar.subarray(0, 300))).rejects.toMatchObject({ code: 'LAYER_TRUNCATED' });
    await expect(parse(tar.subarray(0, 512 + 100))).rejects.toMatchObject({ code: 'LAYER_TRUNCATED' });
    expect((await parse(tar.subarray(0, 512 * 3))).map((s) => s.name)).toEqual(['a']);
  });

  it('holds the next entry until an asynchronous sink has ended', async () => {
    const tar = Buffer.concat([file('first', 'one'), file('second', 'two'), EOF]);
    const events: string[] = [];
    let release!: () => void;
    const parser = new TarParser((h) => {
      events.push(`header ${h.name}`);
      return {
        write: () => undefined,
        end: () =>
          h.name === 'first'
            ? new Promise<void>((resolve) => {
                release = () => {
                  events.push('first ended');
                  resolve();
                };
              })
            : undefined,
      };
    });
    const pending = parser.write(tar);
    expect(pending).toBeDefined();
    expect(events).toEqual(['header first']);
    release();
    await pending;
    parser.end();
    expect(events).toEqual(['header first', 'first ended', 'header second']);
  });
});

describe('readLayer kinds from typeflags', () => {
  it('treats a V7 regular entry whose name ends in / as a directory, and "0" with a slash as a file', async () => {
    const v7dir = header({ name: 'olddir/', typeflag: '\0', magic: 'v7' });
    const tar = Buffer.concat([v7dir, file('plain', 'p'), EOF]);
    const contents = await readLayer(
      Readable.from([tar]),
      { digest: 'sha256:' + 'a'.repeat(64), index: 0 },
      {},
    );
    expect(contents.entries.map((e) => [e.path, e.kind])).toEqual([
      ['/olddir', 'dir'],
      ['/plain', 'file'],
    ]);
  });
});

describe('readLayer on damaged archives', () => {
  it('ends every mutated or cut archive with a result or a stable error code, never another error', async () => {
    const tar = gnuTar('pax');
    let seed = 99;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const codes = new Set<string>();
    for (let round = 0; round < 300; round++) {
      const bytes = Buffer.from(tar.subarray(0, next(3) === 0 ? next(tar.length) : tar.length));
      // damage header blocks most (where the parser decides), sometimes anywhere
      for (let k = 0; k < 1 + next(6); k++) {
        const block = next(Math.max(1, bytes.length >> 9));
        const at = next(4) === 0 ? next(bytes.length || 1) : block * 512 + next(512);
        if (at < bytes.length) bytes[at] = next(256);
      }
      try {
        await readLayer(Readable.from([bytes]), { digest: 'sha256:' + 'b'.repeat(64), index: 0 }, {});
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        expect(typeof code === 'string' && /^LAYER_/.test(code), String(err)).toBe(true);
        codes.add(code as string);
      }
    }
    // the damage reached the parser's checks, not only harmless bytes
    expect(codes.has('LAYER_TAR_INVALID')).toBe(true);
    expect(codes.has('LAYER_TRUNCATED')).toBe(true);
  });
});
