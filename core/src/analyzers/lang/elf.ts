import type { FileHeader } from '../../types/file.js';
import { parseError } from './common.js';

/** Executables smaller than this hold no build info worth reading. */
export const MIN_BINARY_BYTES = 1024;
/** Largest executable buffered for build-info extraction. */
export const MAX_BINARY_BYTES = 200 * 1024 * 1024;

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const PT_LOAD = 1;
const SHT_NOBITS = 8;
export const PF_X = 1;
export const PF_W = 2;
// Bounds on header tables, so a hostile header cannot make us loop for long.
const MAX_SEGMENTS = 4096;
const MAX_SECTIONS = 65535;

export interface ElfSection {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  vaddr: number;
  offset: number;
  filesz: number;
}

/** The parts of an ELF file build-info readers need. */
export interface ElfFile {
  is64: boolean;
  littleEndian: boolean;
  sections: ElfSection[];
  segments: ElfSegment[];
}

/** Cheap `required` test for binaries: a regular file with an exec bit, of plausible size. */
export function isExecutableCandidate(header: FileHeader): boolean {
  return (
    header.kind === 'file' &&
    (header.mode & 0o111) !== 0 &&
    header.size >= MIN_BINARY_BYTES &&
    header.size <= MAX_BINARY_BYTES
  );
}

export function isElf(buf: Buffer): boolean {
  return buf.length >= 16 && buf.subarray(0, 4).equals(ELF_MAGIC);
}

/** Reads the ELF header, program headers and section headers; throws ANALYZER_PARSE_FAILED when malformed. */
export function parseElf(buf: Buffer, path: string): ElfFile {
  if (!isElf(buf)) throw parseError(path, 'not an ELF file');
  const cls = buf[4];
  const data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2))
    throw parseError(path, 'bad ELF class or byte order');
  const is64 = cls === 2;
  const le = data === 1;
  const need = is64 ? 64 : 52;
  if (buf.length < need) throw parseError(path, 'truncated ELF header');
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number): number => {
    if (!is64) return u32(o);
    const v = le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  };
  const phoff = word(is64 ? 32 : 28);
  const shoff = word(is64 ? 40 : 32);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const shentsize = u16(is64 ? 58 : 46);
  const shnum = u16(is64 ? 60 : 48);
  const shstrndx = u16(is64 ? 62 : 50);

  const segments: ElfSegment[] = [];
  const phMin = is64 ? 56 : 32;
  if (phnum > 0 && phoff > 0) {
    if (phnum > MAX_SEGMENTS || phentsize < phMin || phoff + phnum * phentsize > buf.length) {
      throw parseError(path, 'program header table out of bounds');
    }
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      segments.push(
        is64
          ? {
              type: u32(o),
              flags: u32(o + 4),
              offset: word(o + 8),
              vaddr: word(o + 16),
              filesz: word(o + 32),
            }
          : { type: u32(o), offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16), flags: u32(o + 24) },
      );
    }
  }

  const sections: ElfSection[] = [];
  const shMin = is64 ? 64 : 40;
  // Stripped or truncated section tables are common (sstrip); segments still work, so we tolerate them.
  if (
    shnum > 0 &&
    shnum <= MAX_SECTIONS &&
    shentsize >= shMin &&
    shoff > 0 &&
    shoff + shnum * shentsize <= buf.length
  ) {
    const raw: (Omit<ElfSection, 'name'> & { nameOff: number })[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      raw.push(
        is64
          ? {
              nameOff: u32(o),
              type: u32(o + 4),
              addr: word(o + 16),
              offset: word(o + 24),
              size: word(o + 32),
            }
          : { nameOff: u32(o), type: u32(o + 4), addr: u32(o + 12), offset: u32(o + 16), size: u32(o + 20) },
      );
    }
    const strtab = raw[shstrndx];
    const names =
      strtab && strtab.offset + strtab.size <= buf.length
        ? buf.subarray(strtab.offset, strtab.offset + strtab.size)
        : undefined;
    for (const s of raw) {
      let name = '';
      if (names && s.nameOff < names.length) {
        const end = names.indexOf(0, s.nameOff);
        name = names.toString('latin1', s.nameOff, end < 0 ? names.length : end);
      }
      sections.push({ name, type: s.type, addr: s.addr, offset: s.offset, size: s.size });
    }
  }
  return { is64, littleEndian: le, sections, segments };
}

/** Content of a named section, or undefined when absent, empty (NOBITS) or out of the file. */
export function readElfSection(elf: ElfFile, buf: Buffer, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.type === SHT_NOBITS || s.offset + s.size > buf.length) return undefined;
  return buf.subarray(s.offset, s.offset + s.size);
}

/**
 * Bytes at a virtual address, read through the loadable segments (or, for files without program
 * headers, the sections). Undefined when the range is not backed by file content.
 */
export function readElfAddress(elf: ElfFile, buf: Buffer, addr: number, size: number): Buffer | undefined {
  const ranges = [
    ...elf.segments
      .filter((p) => p.type === PT_LOAD)
      .map((p) => ({ addr: p.vaddr, offset: p.offset, size: p.filesz })),
    ...elf.sections.filter((s) => s.type !== SHT_NOBITS && s.addr !== 0),
  ];
  for (const r of ranges) {
    if (addr >= r.addr && addr + size <= r.addr + r.size) {
      const off = r.offset + (addr - r.addr);
      if (off + size > buf.length) return undefined;
      return buf.subarray(off, off + size);
    }
  }
  return undefined;
}

/** File ranges of writable, non-executable loadable segments (where Go's linker puts build info). */
export function writableSegments(elf: ElfFile, buf: Buffer): { addr: number; data: Buffer }[] {
  return elf.segments
    .filter((p) => p.type === PT_LOAD && (p.flags & (PF_X | PF_W)) === PF_W && p.offset < buf.length)
    .map((p) => ({ addr: p.vaddr, data: buf.subarray(p.offset, Math.min(buf.length, p.offset + p.filesz)) }));
}
