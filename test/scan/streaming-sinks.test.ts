import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { feedReused } from '../helpers/reused-chunks.js';
import { describe, expect, it } from 'vitest';
import type { AnalysisResult, Analyzer } from '../../core/src/analyzers/analyzer.js';
import { cargoAnalyzer } from '../../core/src/analyzers/lang/cargo.js';
import { goBinaryAnalyzer } from '../../core/src/analyzers/lang/go-binary.js';
import type { ImageFile } from '../../core/src/types/file.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../helpers/env.js';
import {
  buildAuditableElf,
  buildElf,
  buildGoInlineElf,
  buildGoPointerElf,
  frameModInfo,
} from '../analyzers/lang/elf-builder.js';
import { LAYER, imageFile, readFixture } from '../analyzers/lang/helpers.js';

const MOD = [
  'path\tgithub.com/example/server',
  'mod\tgithub.com/example/server\tv1.2.0\th1:abc=',
  'dep\tgithub.com/gorilla/mux\tv1.8.0\th1:def=',
  '',
].join('\n');

const AUDIT = {
  packages: [
    { name: 'hello', version: '0.1.0', source: 'local', root: true },
    { name: 'smallvec', version: '1.6.0', source: 'crates.io' },
    { name: 'time', version: '0.1.43', source: 'crates.io', kind: 'runtime' },
  ],
};

const CHUNK_SIZES = [1, 13, 4096, 65536, Number.MAX_SAFE_INTEGER];

/**
 * Feeds `content` to the analyzer's sink in chunks of `size` (stopping when it says so), each chunk a view
 * of one buffer overwritten once `write` returns — as the walker's chunk pool reuses memory — so a sink
 * that keeps a view instead of a copy reads garbage.
 */
function streamThrough(analyzer: Analyzer, file: ImageFile, content: Buffer, size: number) {
  const sink = analyzer.stream?.({ ...file, content: undefined }, {});
  if (!sink) throw new Error(`${analyzer.name} does not stream ${file.path}`);
  const fed = feedReused(sink, content, size);
  return { result: sink.end(), fed };
}

function packagesOf(r: AnalysisResult | undefined): string[] {
  return (r?.packages ?? []).map((p) => `${p.purl} ${p.path} ${p.layerDigest}`);
}

/** A Go build-id note (`Go\0\0`, type 4), as the Go linker writes near the start of every ELF. */
function goNote(): Buffer {
  const b = Buffer.alloc(12 + 4 + 8);
  b.writeUInt32LE(4, 0);
  b.writeUInt32LE(8, 4);
  b.writeUInt32LE(4, 8);
  b.write('Go\0\0', 12, 'latin1');
  b.write('buildid!', 16, 'latin1');
  return b;
}

/** buildGoPointerElf's layout, plus the Go build-id note in front (what the real linker emits). */
function buildGoPointerElfWithNote(goVersion: string, modText: string): Buffer {
  const rodataAddr = 0x10000;
  const dataAddr = 0x20000;
  const vers = Buffer.from(goVersion);
  const mod = frameModInfo(modText);
  const data = Buffer.alloc(32);
  data.writeBigUInt64LE(BigInt(rodataAddr), 0);
  data.writeBigUInt64LE(BigInt(vers.length), 8);
  data.writeBigUInt64LE(BigInt(rodataAddr + vers.length), 16);
  data.writeBigUInt64LE(BigInt(mod.length), 24);
  const bi = Buffer.alloc(32);
  bi.write('\xff Go buildinf:', 0, 'latin1');
  bi[14] = 8;
  bi[15] = 0;
  bi.writeBigUInt64LE(BigInt(dataAddr), 16);
  bi.writeBigUInt64LE(BigInt(dataAddr + 16), 24);
  return buildElf({
    is64: true,
    littleEndian: true,
    sections: [
      { name: '.note.go.buildid', addr: 0x400f9c, data: goNote(), segmentFlags: 4 },
      { name: '.text', addr: 0x401000, data: Buffer.alloc(100_000, 0x90), segmentFlags: 5 },
      { name: '.rodata', addr: rodataAddr, data: Buffer.concat([vers, mod]), segmentFlags: 4 },
      { name: '.data', addr: dataAddr, data, segmentFlags: 6 },
      { name: '.go.buildinfo', addr: 0x30000, data: bi, segmentFlags: 6 },
    ],
  });
}

describe('streaming sinks', () => {
  describe('go-binary', () => {
    const cases: [string, Buffer][] = [
      ['go1.18+ inline ELF', buildGoInlineElf('go1.21.3', MOD)],
      ['inline ELF without section table', buildGoInlineElf('go1.20.5', MOD, { stripSections: true })],
      ['inline ELF with a large module list', buildGoInlineElf('go1.22.0', MOD.repeat(3000))],
      ['pre-1.18 pointer ELF with a Go build-id note', buildGoPointerElfWithNote('go1.16.15', MOD)],
      [
        'an ELF that is not Go',
        buildElf({
          is64: true,
          littleEndian: true,
          sections: [{ name: '.text', addr: 0x401000, data: Buffer.alloc(70_000, 0x90), segmentFlags: 5 }],
        }),
      ],
      ['a script', Buffer.from('#!/bin/sh\n' + 'echo hello\n'.repeat(200))],
    ];
    for (const [name, content] of cases) {
      it(`gives what the buffered parser gives for ${name}, in any chunking`, async () => {
        const file = imageFile('/usr/bin/app', content, 0o755);
        const expected = await goBinaryAnalyzer.analyze!(file, {});
        for (const size of CHUNK_SIZES) {
          const { result } = streamThrough(goBinaryAnalyzer, file, content, size);
          expect(packagesOf(result), `chunk size ${size}`).toEqual(packagesOf(expected));
          expect(result?.notes ?? [], `chunk size ${size}`).toEqual(expected?.notes ?? []);
        }
      });
    }

    it('finds go1.18+ build info in a non-ELF file, after the first magic hit', async () => {
      const elf = buildGoInlineElf('go1.21.3', MOD);
      const blob = elf.subarray(elf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1')));
      const content = Buffer.concat([Buffer.from('MZ not an ELF'), Buffer.alloc(5000, 1), blob]);
      const file = imageFile('/app/tool.exe', content, 0o755);
      const expected = await goBinaryAnalyzer.analyze!(file, {});
      expect(packagesOf(expected).length).toBeGreaterThan(0);
      for (const size of CHUNK_SIZES)
        expect(packagesOf(streamThrough(goBinaryAnalyzer, file, content, size).result)).toEqual(
          packagesOf(expected),
        );
    });

    it('skips magic hits without a valid inline header in a non-ELF (PE) file, keeping only the real blob', async () => {
      const elf = buildGoInlineElf('go1.21.3', MOD);
      const blob = elf.subarray(elf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1')));
      const decoy = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(40, 0x33)]);
      const content = Buffer.concat([
        Buffer.from('MZ, not an ELF\n'),
        decoy,
        Buffer.alloc(3 * 1024 * 1024),
        blob,
      ]);
      const file = imageFile('/app/tool', content, 0o755);
      const expected = await goBinaryAnalyzer.analyze!(file, {});
      expect(packagesOf(expected)).toHaveLength(3);
      for (const size of [7, 65536])
        expect(packagesOf(streamThrough(goBinaryAnalyzer, file, content, size).result)).toEqual(
          packagesOf(expected),
        );
    });

    it('gives up with ANALYZER_LIMIT_EXCEEDED after 1000 bogus magic hits, like the buffered parser', async () => {
      const decoy = Buffer.concat([Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.alloc(40, 0x33)]);
      const content = Buffer.concat([Buffer.from('MZ'), ...Array.from({ length: 1100 }, () => decoy)]);
      const file = imageFile('/app/bogus', content, 0o755);
      const expected = await goBinaryAnalyzer.analyze!(file, {});
      const { result } = streamThrough(goBinaryAnalyzer, file, content, 65536);
      expect(result?.notes?.[0]?.code).toBe('ANALYZER_LIMIT_EXCEEDED');
      expect(result?.notes?.[0]?.code).toBe(expected?.notes?.[0]?.code);
    });

    it('stops reading once the inline header is decoded', () => {
      const content = Buffer.concat([buildGoInlineElf('go1.21.3', MOD), Buffer.alloc(2 * 1024 * 1024)]);
      const file = imageFile('/usr/bin/app', content, 0o755);
      const { result, fed } = streamThrough(goBinaryAnalyzer, file, content, 4096);
      expect(packagesOf(result)).toHaveLength(3);
      expect(fed).toBeLessThan(128 * 1024);
    });

    it('notes, instead of guessing, a pre-1.18 binary without a Go build-id note', () => {
      const content = buildGoPointerElf('go1.16.15', MOD, { is64: true, littleEndian: true });
      const { result } = streamThrough(
        goBinaryAnalyzer,
        imageFile('/bin/old', content, 0o755),
        content,
        4096,
      );
      expect(result?.packages).toBeUndefined();
      expect(result?.notes?.[0]).toMatchObject({ code: 'ANALYZER_PARSE_FAILED', path: '/bin/old' });
      expect(result?.notes?.[0]?.message).toMatch(/pointer format/);
    });

    it('reads the toolchain-built pointer-format fixture like the buffered parser once it has a Go note', async () => {
      const real = readFixture('go/pointer-format-x86_64.elf');
      const file = imageFile('/bin/real', real, 0o755);
      const { result } = streamThrough(goBinaryAnalyzer, file, real, 4096);
      // gcc-built: no Go build-id note, so the stream can only say what it could not read
      expect(result?.notes?.[0]?.code).toBe('ANALYZER_PARSE_FAILED');
      expect((await goBinaryAnalyzer.analyze!(file, {}))?.packages?.length).toBeGreaterThan(0);
    });

    describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))('on the multi image', () => {
      it('reads the cgo-linked registry binary (build info past the first 64 KiB of data)', async () => {
        const path = join(TEST_IMAGES, 'l2', 'usr', 'local', 'bin', 'registry');
        if (!existsSync(path)) throw new Error(`${path} missing although the test images are built`);
        const content = readFileSync(path);
        const file = imageFile('/usr/local/bin/registry', content, 0o755);
        const expected = await goBinaryAnalyzer.analyze!(file, {});
        const { result } = streamThrough(goBinaryAnalyzer, file, content, 65536);
        expect(packagesOf(result)).toEqual(packagesOf(expected));
        expect(packagesOf(result)).toContain(`pkg:golang/stdlib@1.19.8 /usr/local/bin/registry ${LAYER}`);
      });
    });
  });

  describe('cargo', () => {
    it('finds cargo-auditable data like the buffered parser, in any chunking', async () => {
      const content = buildAuditableElf(AUDIT);
      const file = imageFile('/usr/bin/hello', content, 0o755);
      const expected = await cargoAnalyzer.analyze!(file, {});
      expect(packagesOf(expected)).toHaveLength(2);
      for (const size of CHUNK_SIZES)
        expect(packagesOf(streamThrough(cargoAnalyzer, file, content, size).result), `size ${size}`).toEqual(
          packagesOf(expected),
        );
    });

    it('stays silent for ELF files without cargo-auditable data, even with other zlib streams', () => {
      const other = deflateSync(Buffer.from('{"name":"not cargo","packages":[]}'.repeat(3)));
      const content = Buffer.concat([buildGoInlineElf('go1.21.0', ''), other, Buffer.alloc(300)]);
      const { result } = streamThrough(cargoAnalyzer, imageFile('/bin/x', content, 0o755), content, 4096);
      expect(result).toBeUndefined();
    });

    it('stops after the first chunk of a file that is not ELF', () => {
      const content = Buffer.alloc(100_000, 7);
      const { result, fed } = streamThrough(
        cargoAnalyzer,
        imageFile('/bin/sh', content, 0o755),
        content,
        4096,
      );
      expect(result).toBeUndefined();
      expect(fed).toBe(4096);
    });

    it('notes cargo-auditable data that inflates past its limit', () => {
      const bomb = deflateSync(Buffer.from(`{"packages":[${' '.repeat(20 * 1024 * 1024)}]}`));
      const content = buildAuditableElf(null, bomb);
      const { result } = streamThrough(cargoAnalyzer, imageFile('/bin/y', content, 0o755), content, 65536);
      expect(result?.notes?.[0]).toMatchObject({ code: 'ANALYZER_LIMIT_EXCEEDED', path: '/bin/y' });
    });

    it('leaves Cargo.lock to the buffered analyze', () => {
      expect(cargoAnalyzer.stream?.(imageFile('/app/Cargo.lock', undefined, 0o644, 100), {})).toBeUndefined();
    });
  });
});
