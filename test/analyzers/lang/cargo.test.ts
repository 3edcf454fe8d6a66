import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  cargoAnalyzer,
  parseCargoAuditableBinary,
  parseCargoLock,
} from '../../../core/src/analyzers/lang/cargo.js';
import { feedReused } from '../../helpers/reused-chunks.js';
import { buildAuditableElf, buildElf, buildGoInlineElf } from './elf-builder.js';
import { LAYER, header, imageFile, readFixture } from './helpers.js';

const AUDIT = {
  packages: [
    { name: 'hello', version: '0.1.0', source: 'local', dependencies: [1, 2, 3], root: true },
    { name: 'smallvec', version: '1.6.0', source: 'crates.io' },
    { name: 'time', version: '0.1.43', source: 'crates.io', kind: 'runtime' },
    { name: 'cc', version: '1.0.79', source: 'crates.io', kind: 'build' },
    { name: 'forked', version: '0.2.0', source: 'git' },
  ],
};

describe('cargo', () => {
  describe('parseCargoLock', () => {
    it('reads smallvec 1.6.0 and time 0.1.43 from the multi image, skipping the workspace crate', () => {
      expect(parseCargoLock(readFixture('cargo/Cargo.lock'), 'x')).toEqual([
        {
          name: 'smallvec',
          version: '1.6.0',
          type: 'cargo',
          ecosystem: 'crates.io',
          purl: 'pkg:cargo/smallvec@1.6.0',
        },
        {
          name: 'time',
          version: '0.1.43',
          type: 'cargo',
          ecosystem: 'crates.io',
          purl: 'pkg:cargo/time@0.1.43',
        },
      ]);
    });

    it('reads v1 lock files with a [metadata] table, sparse sources, and skips git crates', () => {
      const text = [
        '[[package]]',
        'name = "libc"',
        'version = "0.2.139"',
        'source = "sparse+https://index.crates.io/"',
        '',
        '[[package]]',
        'name = "fork"',
        'version = "0.1.0"',
        'source = "git+https://github.com/example/fork#0123abc"',
        'dependencies = [',
        ' "libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)",',
        ']',
        '',
        '[metadata]',
        '"checksum libc 0.2.139 (registry+https://github.com/rust-lang/crates.io-index)" = "201de327520df007757c1f0adce6e827fe8562fbc28bfd9c15571c66ca1f5f79"',
      ].join('\n');
      expect(parseCargoLock(Buffer.from(text), 'x').map((p) => p.purl)).toEqual(['pkg:cargo/libc@0.2.139']);
    });

    it('throws ANALYZER_PARSE_FAILED on 50 MB of garbage', () => {
      const garbage = Buffer.alloc(50 * 1024 * 1024, 'not toml at all; ');
      expect(() => parseCargoLock(garbage, 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });
  });

  describe('parseCargoAuditableBinary', () => {
    it('reads runtime crates.io dependencies from the .dep-v0 section', () => {
      expect(parseCargoAuditableBinary(buildAuditableElf(AUDIT), 'x').map((p) => p.purl)).toEqual([
        'pkg:cargo/smallvec@1.6.0',
        'pkg:cargo/time@0.1.43',
      ]);
    });

    it('returns nothing for an ELF without the section', () => {
      expect(parseCargoAuditableBinary(buildGoInlineElf('go1.21.0', ''), 'x')).toEqual([]);
    });

    it('refuses a section that inflates past its limit', () => {
      const bomb = deflateSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
      expect(() => parseCargoAuditableBinary(buildAuditableElf(null, bomb), 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_LIMIT_EXCEEDED' }),
      );
    });
  });

  describe('cargoAnalyzer', () => {
    it('selects Cargo.lock files and executables', () => {
      expect(cargoAnalyzer.required('/app/rust/Cargo.lock', header('/x', 400))).toBe(true);
      expect(cargoAnalyzer.required('/usr/local/bin/tool', header('/x', 4096, 0o755))).toBe(true);
      expect(cargoAnalyzer.required('/usr/share/doc/tool.txt', header('/x', 4096, 0o644))).toBe(false);
    });

    it('reports crates with layer and path', async () => {
      const r = await cargoAnalyzer.analyze!(
        imageFile('/app/rust/Cargo.lock', readFixture('cargo/Cargo.lock')),
        {},
      );
      expect(r?.packages?.map((p) => [p.name, p.path, p.layerDigest])).toEqual([
        ['smallvec', '/app/rust/Cargo.lock', LAYER],
        ['time', '/app/rust/Cargo.lock', LAYER],
      ]);
      const bin = await cargoAnalyzer.analyze!(
        imageFile('/usr/bin/hello', buildAuditableElf(AUDIT), 0o755),
        {},
      );
      expect(bin?.packages).toHaveLength(2);
    });

    it('streams: finds the .dep-v0 data at every compression level and chunk size, amid zlib-like code', async () => {
      // machine code sprinkled with every zlib header pattern (0x78 0x01/0x5e/0x9c/0xda) that is no zlib stream
      const code = Buffer.alloc(300_000, 0x90);
      for (let i = 0; i < code.length - 4; i += 97)
        code.set([0x78, [0x01, 0x5e, 0x9c, 0xda][i % 4]!, i & 0xff], i);
      for (const level of [1, 3, 6, 9]) {
        const elf = buildElf({
          is64: true,
          littleEndian: true,
          sections: [
            { name: '.text', addr: 0x401000, data: code, segmentFlags: 5 },
            {
              name: '.dep-v0',
              addr: 0,
              data: deflateSync(Buffer.from(JSON.stringify(AUDIT)), { level }),
            },
          ],
        });
        const expected = parseCargoAuditableBinary(elf, '/usr/bin/hello').map((p) => p.purl);
        expect(expected).toHaveLength(2);
        for (const size of [1, 7, 300, 4096, 65_536 + 5, elf.length]) {
          const sink = cargoAnalyzer.stream!(imageFile('/usr/bin/hello', undefined, 0o755, elf.length), {});
          for (let at = 0; sink && at < elf.length; at += size) {
            if (!sink.write(elf.subarray(at, at + size))) break;
          }
          const r = sink?.end();
          expect(
            r?.packages?.map((p) => p.purl),
            `level ${level}, chunks of ${size}`,
          ).toEqual(expected);
          // the walker reuses a chunk's memory once write returns (chunk-pool.ts): nothing may keep a view
          const again = cargoAnalyzer.stream!(imageFile('/usr/bin/hello', undefined, 0o755, elf.length), {});
          if (again) feedReused(again, elf, size);
          expect(
            again?.end()?.packages?.map((p) => p.purl),
            `level ${level}, reused chunks of ${size}`,
          ).toEqual(expected);
        }
      }
    });

    it('stays silent for other executables and notes a broken .dep-v0', async () => {
      expect(
        await cargoAnalyzer.analyze!(imageFile('/bin/x', buildGoInlineElf('go1.21.0', ''), 0o755), {}),
      ).toBeUndefined();
      expect(
        await cargoAnalyzer.analyze!(imageFile('/bin/sh', Buffer.alloc(4096, 7), 0o755), {}),
      ).toBeUndefined();
      const broken = buildAuditableElf(null, Buffer.from('not zlib data'));
      const r = await cargoAnalyzer.analyze!(imageFile('/bin/y', broken, 0o755), {});
      expect(r?.notes?.[0]).toMatchObject({ code: 'ANALYZER_PARSE_FAILED', path: '/bin/y' });
    });
  });
});
