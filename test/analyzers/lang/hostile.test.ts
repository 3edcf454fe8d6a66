import { describe, expect, it } from 'vitest';
import { parseCargoAuditableBinary, parseCargoLock } from '../../../core/src/analyzers/lang/cargo.js';
import { parseComposerInstalled, parseComposerLock } from '../../../core/src/analyzers/lang/composer.js';
import { parseElf } from '../../../core/src/analyzers/lang/elf.js';
import { parseGoBinary } from '../../../core/src/analyzers/lang/go-binary.js';
import { parseJavaArchive } from '../../../core/src/analyzers/lang/java.js';
import { parseNpmLockfile, parseNpmPackageJson } from '../../../core/src/analyzers/lang/npm.js';
import { parsePythonMetadata } from '../../../core/src/analyzers/lang/python.js';
import { parseGemspec } from '../../../core/src/analyzers/lang/ruby.js';
import { buildAuditableElf, buildGoInlineElf, buildGoPointerElf } from './elf-builder.js';
import { readFixture } from './helpers.js';

/** Small deterministic PRNG (mulberry32), so every run mutates the same way. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* mutants(buf: Buffer, seed: number, count: number): Generator<Buffer> {
  const rnd = prng(seed);
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) {
      yield buf.subarray(0, Math.floor(rnd() * buf.length));
      continue;
    }
    const m = Buffer.from(buf);
    const flips = 1 + Math.floor(rnd() * 8);
    for (let k = 0; k < flips; k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
    yield m;
  }
}

const CASES: [string, (b: Buffer, p: string) => unknown, Buffer][] = [
  ['parseNpmLockfile', parseNpmLockfile, readFixture('npm/legacy-v1/package-lock.json')],
  ['parseNpmPackageJson', parseNpmPackageJson, readFixture('npm/app/node_modules/lodash/package.json')],
  ['parsePythonMetadata', parsePythonMetadata, readFixture('python/requests-2.28.1.egg-info.PKG-INFO')],
  ['parseCargoLock', parseCargoLock, readFixture('cargo/Cargo.lock')],
  [
    'parseComposerInstalled',
    parseComposerInstalled,
    readFixture('composer/v2/vendor/composer/installed.json'),
  ],
  ['parseComposerLock', parseComposerLock, readFixture('composer/v2/composer.lock')],
  ['parseGemspec', parseGemspec, readFixture('ruby/rack-2.2.3.gemspec')],
  ['parseJavaArchive', parseJavaArchive, readFixture('java/webapp-1.0.0.war')],
  ['parseGoBinary (inline)', parseGoBinary, buildGoInlineElf('go1.20.5', 'path\ta\nmod\ta\tv1.0.0\t\n')],
  [
    'parseGoBinary (pointer, 32-bit BE)',
    parseGoBinary,
    buildGoPointerElf('go1.16', 'mod\ta\tv1.0.0\t\n', { is64: false, littleEndian: false }),
  ],
  ['parseGoBinary (gcc ELF)', parseGoBinary, readFixture('go/pointer-format-x86_64.elf')],
  [
    'parseCargoAuditableBinary',
    parseCargoAuditableBinary,
    buildAuditableElf({ packages: [{ name: 'a', version: '1.0.0', source: 'crates.io' }] }),
  ],
];

describe('lang parsers on mutated and truncated input', () => {
  for (const [name, parse, seed] of CASES) {
    it(`${name} returns packages or throws an ANALYZER_* PortcullisError, never anything else`, () => {
      let threw = 0;
      for (const m of mutants(seed, name.length * 7919, 300)) {
        try {
          const out = parse(m, '/fuzz');
          expect(Array.isArray(out)).toBe(true);
        } catch (err) {
          threw++;
          expect(err).toMatchObject({ name: 'PortcullisError', code: expect.stringMatching(/^ANALYZER_/) });
        }
      }
      // Truncation to few bytes always breaks these formats: the mutants did reach the error paths.
      expect(threw).toBeGreaterThan(0);
    });
  }

  it('parseElf rejects truncated and out-of-bounds headers', () => {
    const elf = buildGoInlineElf('go1.20.5', '');
    expect(() => parseElf(elf.subarray(0, 20), 'x')).toThrow(
      expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }),
    );
    const bad = Buffer.from(elf);
    bad.writeUInt16LE(4000, 56); // e_phnum far past the end of the file
    expect(() => parseElf(bad, 'x')).toThrow(expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }));
    const badClass = Buffer.from(elf);
    badClass[4] = 9;
    expect(() => parseElf(badClass, 'x')).toThrow(expect.objectContaining({ code: 'ANALYZER_PARSE_FAILED' }));
  });
});
