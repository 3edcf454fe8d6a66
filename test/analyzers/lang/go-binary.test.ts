import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  goBinaryAnalyzer,
  isGoReadableFormat,
  parseGoBinary,
  parseGoBuildInfo,
  toGoStdlibVersion,
} from '../../../core/src/analyzers/lang/go-binary.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../../helpers/env.js';
import { feedReused } from '../../helpers/reused-chunks.js';
import { buildElf, buildGoInlineElf, buildGoPointerElf } from './elf-builder.js';
import { LAYER, header, imageFile, readFixture } from './helpers.js';

const MOD = [
  'path\tgithub.com/example/server/cmd/server',
  'mod\tgithub.com/example/server\tv1.2.0\th1:abc=',
  'dep\tgithub.com/gorilla/mux\tv1.8.0\th1:def=',
  'dep\tgolang.org/x/net\tv0.0.0-20220722155237-a158d28d115b\th1:ghi=',
  'dep\tgithub.com/docker/docker\tv20.10.7+incompatible\th1:jkl=',
  'dep\tgithub.com/old/lib\tv1.0.0\th1:mno=',
  '=>\tgithub.com/new/lib\tv1.1.0\th1:pqr=',
  'build\t-ldflags=-s -w',
  'build\tvcs.revision=0123456789abcdef',
  '',
].join('\n');

const purls = (r: { packages?: { purl: string }[] } | undefined | void): string[] =>
  (r?.packages ?? []).map((p) => p.purl);

const EXPECTED_PURLS = [
  'pkg:golang/github.com/example/server@v1.2.0',
  'pkg:golang/github.com/gorilla/mux@v1.8.0',
  'pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b',
  'pkg:golang/github.com/docker/docker@v20.10.7%2Bincompatible',
  'pkg:golang/github.com/new/lib@v1.1.0',
  'pkg:golang/stdlib@1.20.5',
];

describe('go-binary', () => {
  describe('parseGoBuildInfo', () => {
    it('reads the go1.18+ inline format from .go.buildinfo', () => {
      const info = parseGoBuildInfo(buildGoInlineElf('go1.20.5', MOD), 'x');
      expect(info?.goVersion).toBe('go1.20.5');
      expect(info?.path).toBe('github.com/example/server/cmd/server');
      expect(info?.main).toEqual({ path: 'github.com/example/server', version: 'v1.2.0', sum: 'h1:abc=' });
      expect(info?.deps).toHaveLength(4);
      expect(info?.deps[3]?.replace).toEqual({
        path: 'github.com/new/lib',
        version: 'v1.1.0',
        sum: 'h1:pqr=',
      });
      expect(info?.settings).toEqual({ '-ldflags': '-s -w', 'vcs.revision': '0123456789abcdef' });
    });

    it('reads the inline format from a binary without section headers', () => {
      const pkgs = parseGoBinary(buildGoInlineElf('go1.20.5', MOD, { stripSections: true }), 'x');
      expect(pkgs.map((p) => p.purl)).toEqual(EXPECTED_PURLS);
    });

    for (const is64 of [true, false]) {
      for (const littleEndian of [true, false]) {
        it(`reads the pre-1.18 pointer format (${is64 ? 64 : 32}-bit, ${littleEndian ? 'little' : 'big'} endian)`, () => {
          const pkgs = parseGoBinary(buildGoPointerElf('go1.20.5', MOD, { is64, littleEndian }), 'x');
          expect(pkgs.map((p) => p.purl)).toEqual(EXPECTED_PURLS);
        });
      }
    }

    it('reads the pointer format from a gcc-linked, stripped x86-64 executable', () => {
      const pkgs = parseGoBinary(readFixture('go/pointer-format-x86_64.elf'), 'x');
      expect(pkgs.map((p) => `${p.name}@${p.version}`)).toEqual([
        'github.com/example/hello@1.4.0',
        'github.com/gorilla/mux@1.7.3',
        'golang.org/x/text@0.3.8',
        'stdlib@1.16.15',
      ]);
    });

    it('returns undefined for an ELF without Go build info', () => {
      const elf = buildElf({
        is64: true,
        littleEndian: true,
        sections: [{ name: '.text', addr: 0x1000, data: Buffer.alloc(64), segmentFlags: 5 }],
      });
      expect(parseGoBuildInfo(elf, 'x')).toBeUndefined();
    });

    it('throws ANALYZER_PARSE_FAILED for a truncated Go ELF', () => {
      const full = buildGoInlineElf('go1.20.5', MOD);
      const cut = full.subarray(0, full.indexOf(Buffer.from('\xff Go buildinf:', 'latin1')) + 40);
      expect(() => parseGoBuildInfo(cut, 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });

    it('throws ANALYZER_PARSE_FAILED for pointers into unmapped memory', () => {
      const elf = buildGoPointerElf('go1.20.5', MOD, { is64: true, littleEndian: true });
      const at = elf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
      elf.writeBigUInt64LE(0xdead0000n, at + 16);
      expect(() => parseGoBuildInfo(elf, 'x')).toThrow(
        expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
      );
    });

    it('skips a (devel) main module and local replacements', () => {
      const mod = 'path\tx/cmd\nmod\tx\t(devel)\t\ndep\ta/b\tv1.0.0\t\n=>\t../b\t\t\n';
      expect(parseGoBinary(buildGoInlineElf('go1.22.1', mod), 'x').map((p) => p.purl)).toEqual([
        'pkg:golang/stdlib@1.22.1',
      ]);
    });
  });

  describe('toGoStdlibVersion', () => {
    it.each([
      ['go1.19.8', '1.19.8'],
      ['go1.20', '1.20.0'],
      ['go1.21rc2', '1.21.0-rc.2'],
      ['go1.19.8 X:boringcrypto', '1.19.8'],
      ['devel go1.22-abcdef', undefined],
    ])('%s → %s', (input, expected) => {
      expect(toGoStdlibVersion(input)).toBe(expected);
    });
  });

  describe('goBinaryAnalyzer', () => {
    it('selects executables by header only, within size bounds', () => {
      expect(goBinaryAnalyzer.required('/usr/local/bin/registry', header('/x', 20_000_000, 0o755))).toBe(
        true,
      );
      expect(goBinaryAnalyzer.required('/usr/local/bin/tool', header('/x', 5000, 0o700))).toBe(true);
      expect(goBinaryAnalyzer.required('/etc/passwd', header('/x', 5000, 0o644))).toBe(false);
      expect(goBinaryAnalyzer.required('/bin/tiny', header('/x', 100, 0o755))).toBe(false);
      expect(goBinaryAnalyzer.required('/bin/huge', header('/x', 300 * 1024 * 1024, 0o755))).toBe(false);
    });

    it('stays silent for non-Go executables, notes broken Go build info', async () => {
      expect(
        await goBinaryAnalyzer.analyze!(imageFile('/bin/sh', Buffer.alloc(4096, 1), 0o755), {}),
      ).toBeUndefined();
      const full = buildGoInlineElf('go1.20.5', MOD);
      const cut = full.subarray(0, full.indexOf(Buffer.from('\xff Go buildinf:', 'latin1')) + 40);
      const r = await goBinaryAnalyzer.analyze!(imageFile('/bin/cut', cut, 0o755), {});
      expect(r?.notes?.[0]).toMatchObject({ code: 'ANALYZER_PARSE_FAILED', path: '/bin/cut' });
    });
  });

  describe('which files are read at all: the formats Go’s debug/buildinfo reads, by their first bytes', () => {
    const elf = buildGoInlineElf('go1.20.5', MOD);
    // the inline build info (magic, header, both strings) behind a header of another format
    const blob = elf.subarray(elf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1')));
    const withHead = (head: number[]): Buffer => {
      const start = Buffer.alloc(4096, 0x41);
      Buffer.from(head).copy(start);
      return Buffer.concat([start, blob, Buffer.alloc(512)]);
    };
    const streamedPurls = (content: Buffer, size: number): string[] => {
      const sink = goBinaryAnalyzer.stream!(imageFile('/bin/x', undefined, 0o755, content.length), {});
      for (let at = 0; at < content.length; at += size)
        if (!sink?.write(content.subarray(at, at + size))) break;
      const r = sink?.end();
      return ((r as { packages?: { purl: string }[] } | undefined)?.packages ?? []).map((p) => p.purl);
    };
    const readable: [string, number[]][] = [
      ['PE', [0x4d, 0x5a]],
      ['Mach-O 64-bit big-endian', [0xfe, 0xed, 0xfa, 0xcf]],
      ['Mach-O 32-bit big-endian', [0xfe, 0xed, 0xfa, 0xce]],
      ['Mach-O 64-bit little-endian', [0xcf, 0xfa, 0xed, 0xfe]],
      ['Mach-O 32-bit little-endian', [0xce, 0xfa, 0xed, 0xfe]],
      ['XCOFF 32-bit', [0x01, 0xdf]],
      ['XCOFF 64-bit', [0x01, 0xf7]],
      ['Plan 9 amd64', [0x00, 0x00, 0x8a, 0x97]],
      ['Plan 9 386', [0x00, 0x00, 0x01, 0xeb]],
      ['Plan 9 arm', [0x00, 0x00, 0x06, 0x47]],
    ];
    for (const [name, head] of readable) {
      it(`${name}: the build info is read, buffered and streamed`, async () => {
        const content = withHead(head);
        expect(isGoReadableFormat(content)).toBe(true);
        expect(purls(await goBinaryAnalyzer.analyze!(imageFile('/bin/x', content, 0o755), {}))).toEqual(
          EXPECTED_PURLS,
        );
        for (const size of [7, 4096, content.length])
          expect(streamedPurls(content, size)).toEqual(EXPECTED_PURLS);
      });
    }
    const unreadable: [string, number[]][] = [
      ['random bytes', [0x13, 0x37, 0xca, 0xfe]],
      ['a script', [...Buffer.from('#!/bin/sh\n')]],
      ['a fat Mach-O / Java class', [0xca, 0xfe, 0xba, 0xbe]],
      ['almost ELF', [0x7f, 0x45, 0x4c, 0x47]],
      ['almost PE', [0x4d, 0x59]],
      ['almost Mach-O', [0xfe, 0xed, 0xfb, 0xcf]],
      ['almost XCOFF', [0x01, 0xde]],
      ['almost Plan 9', [0x00, 0x00, 0x8a, 0x98]],
    ];
    for (const [name, head] of unreadable) {
      it(`${name}: not searched, nothing reported (as Go reports nothing)`, async () => {
        const content = withHead(head);
        expect(isGoReadableFormat(content)).toBe(false);
        expect(await goBinaryAnalyzer.analyze!(imageFile('/bin/x', content, 0o755), {})).toBeUndefined();
        for (const size of [7, 4096, content.length]) expect(streamedPurls(content, size)).toEqual([]);
      });
    }
    it('needs the 16 bytes Go reads first', () => {
      expect(isGoReadableFormat(Buffer.from([0x4d, 0x5a, 0, 0]))).toBe(false);
      expect(isGoReadableFormat(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(14)]))).toBe(true);
    });
  });

  describe('streaming (goBinaryAnalyzer.stream) finds what the buffered parser finds', () => {
    /**
     * Feeds `content` to the analyzer's streaming reader in chunks of `size` bytes: views of `content`, or
     * (`reused`) one buffer overwritten after each write, as the walker's chunk pool does.
     */
    async function streamed(path: string, content: Buffer, size: number, reused = false) {
      const sink = goBinaryAnalyzer.stream!(imageFile(path, undefined, 0o755, content.length), {});
      if (!sink) return undefined;
      if (reused) feedReused(sink, content, size);
      else
        for (let at = 0; at < content.length; at += size) {
          if (!sink.write(content.subarray(at, at + size))) break;
        }
      return sink.end();
    }

    const cases: [string, Buffer][] = [
      ['inline', buildGoInlineElf('go1.20.5', MOD)],
      ['inline, no section headers', buildGoInlineElf('go1.20.5', MOD, { stripSections: true })],
      ...[true, false].flatMap((is64) =>
        [true, false].map((littleEndian): [string, Buffer] => [
          `pointer format, Go-linked, ${is64 ? 64 : 32}-bit ${littleEndian ? 'LE' : 'BE'}`,
          buildGoPointerElf('go1.20.5', MOD, { is64, littleEndian, goLinked: { codeBytes: 200_000 } }),
        ]),
      ),
    ];
    for (const [name, elf] of cases) {
      it(`${name}: same packages for every chunk size`, async () => {
        const buffered = await goBinaryAnalyzer.analyze!(imageFile('/bin/app', elf, 0o755), {});
        expect(purls(buffered)).toEqual(EXPECTED_PURLS);
        for (const size of [1, 7, 4096, 65_536 + 13, elf.length]) {
          expect(purls(await streamed('/bin/app', elf, size))).toEqual(EXPECTED_PURLS);
          // nothing kept as a view of a chunk: the pointer format retains data for the buffered parser
          expect(purls(await streamed('/bin/app', elf, size, true)), `reused chunks of ${size}`).toEqual(
            EXPECTED_PURLS,
          );
        }
      });
    }

    it('a pointer-format binary without the Go build-id note gets a note, not a guess', async () => {
      const elf = buildGoPointerElf('go1.20.5', MOD, { is64: true, littleEndian: true });
      const r = await streamed('/bin/old', elf, 4096);
      expect(r?.packages).toBeUndefined();
      expect(r?.notes?.[0]).toMatchObject({ code: 'ANALYZER_PARSE_FAILED', path: '/bin/old' });
    });
  });

  const registry = join(TEST_IMAGES, 'l2', 'usr', 'local', 'bin', 'registry');
  describe.skipIf((!haveTestImages || !existsSync(registry)) && skipReason(NO_IMAGES_REASON))(
    "Debian's docker-registry (multi image)",
    () => {
      it('reports stdlib 1.19.8 (a GOPATH build: no module deps are recorded)', async () => {
        const content = readFileSync(registry);
        const st = statSync(registry);
        const path = '/usr/local/bin/registry';
        expect(goBinaryAnalyzer.required(path, header(path, st.size, st.mode & 0o7777))).toBe(true);
        const info = parseGoBuildInfo(content, path);
        expect(info?.path).toBe('github.com/docker/distribution/cmd/registry');
        const r = await goBinaryAnalyzer.analyze!(imageFile(path, content, 0o755), {});
        expect(r?.packages).toEqual([
          {
            name: 'stdlib',
            version: '1.19.8',
            type: 'go-binary',
            ecosystem: 'Go',
            purl: 'pkg:golang/stdlib@1.19.8',
            layerDigest: LAYER,
            path,
          },
        ]);
      });
    },
  );
});
