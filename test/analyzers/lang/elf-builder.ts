// Fixture generator: writes small but well-formed ELF files (32/64-bit, either byte order) with chosen
// sections, each also mapped by its own PT_LOAD segment, the way a linker lays them out.
import { deflateSync } from 'node:zlib';

export interface SectionSpec {
  name: string;
  /** Virtual address (0 for non-allocated sections). */
  addr: number;
  data: Buffer;
  /** Segment flags for the PT_LOAD covering it (PF_R=4, PF_W=2, PF_X=1); omit for no segment. */
  segmentFlags?: number;
}

export interface ElfSpec {
  is64: boolean;
  littleEndian: boolean;
  sections: SectionSpec[];
  /** Leave out the section header table (as `sstrip` does). */
  stripSections?: boolean;
}

function writer(le: boolean, is64: boolean) {
  return {
    u16: (b: Buffer, o: number, v: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o)),
    u32: (b: Buffer, o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o)),
    word: (b: Buffer, o: number, v: number) => {
      if (is64) return le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o);
      return le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o);
    },
  };
}

/** Builds the ELF file. Section data is placed 16-aligned after the headers. */
export function buildElf(spec: ElfSpec): Buffer {
  const { is64, littleEndian: le } = spec;
  const w = writer(le, is64);
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const shentsize = is64 ? 64 : 40;
  const mapped = spec.sections.filter((s) => s.segmentFlags !== undefined);
  const names = Buffer.concat([
    Buffer.from([0]),
    ...spec.sections.map((s) => Buffer.from(`${s.name}\0`)),
    Buffer.from('.shstrtab\0'),
  ]);
  let off = ehsize + mapped.length * phentsize;
  const placed = spec.sections.map((s) => {
    off = (off + 15) & ~15;
    const at = off;
    off += s.data.length;
    return { ...s, offset: at };
  });
  const namesOff = off;
  off += names.length;
  off = (off + 7) & ~7;
  const shoff = off;
  const shnum = spec.stripSections ? 0 : spec.sections.length + 2; // null + sections + shstrtab
  const total = shoff + shnum * shentsize;
  const b = Buffer.alloc(total);
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w.u16(b, 16, 2); // ET_EXEC
  w.u16(b, 18, is64 ? 62 : 3);
  w.u32(b, 20, 1);
  w.word(b, is64 ? 32 : 28, ehsize); // phoff
  w.word(b, is64 ? 40 : 32, spec.stripSections ? 0 : shoff);
  w.u16(b, is64 ? 52 : 40, ehsize);
  w.u16(b, is64 ? 54 : 42, phentsize);
  w.u16(b, is64 ? 56 : 44, mapped.length);
  w.u16(b, is64 ? 58 : 46, shentsize);
  w.u16(b, is64 ? 60 : 48, shnum);
  w.u16(b, is64 ? 62 : 50, spec.stripSections ? 0 : shnum - 1);
  placed
    .filter((s) => s.segmentFlags !== undefined)
    .forEach((s, i) => {
      const o = ehsize + i * phentsize;
      w.u32(b, o, 1); // PT_LOAD
      if (is64) {
        w.u32(b, o + 4, s.segmentFlags!);
        w.word(b, o + 8, s.offset);
        w.word(b, o + 16, s.addr);
        w.word(b, o + 24, s.addr);
        w.word(b, o + 32, s.data.length);
        w.word(b, o + 40, s.data.length);
      } else {
        w.u32(b, o + 4, s.offset);
        w.u32(b, o + 8, s.addr);
        w.u32(b, o + 12, s.addr);
        w.u32(b, o + 16, s.data.length);
        w.u32(b, o + 20, s.data.length);
        w.u32(b, o + 24, s.segmentFlags!);
      }
    });
  for (const s of placed) s.data.copy(b, s.offset);
  names.copy(b, namesOff);
  if (!spec.stripSections) {
    let nameOff = 1;
    const entries = [
      ...placed.map((s) => ({ ...s, type: 1 })),
      { name: '.shstrtab', addr: 0, offset: namesOff, data: names, type: 3 },
    ];
    entries.forEach((s, i) => {
      const o = shoff + (i + 1) * shentsize;
      w.u32(b, o, nameOff);
      nameOff += s.name.length + 1;
      w.u32(b, o + 4, s.type);
      if (is64) {
        w.word(b, o + 16, s.addr);
        w.word(b, o + 24, s.offset);
        w.word(b, o + 32, s.data.length);
      } else {
        w.u32(b, o + 12, s.addr);
        w.u32(b, o + 16, s.offset);
        w.u32(b, o + 20, s.data.length);
      }
    });
  }
  return b;
}

const INFO_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const INFO_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

/** Frames module-info text the way cmd/go embeds it. */
export function frameModInfo(text: string): Buffer {
  return Buffer.concat([INFO_START, Buffer.from(text), INFO_END]);
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/** A go1.18+ ELF: `.go.buildinfo` with flags 2 and varint-prefixed strings. */
export function buildGoInlineElf(
  goVersion: string,
  modText: string,
  opts: { stripSections?: boolean } = {},
): Buffer {
  const mod = frameModInfo(modText);
  const header = Buffer.alloc(32);
  MAGIC.copy(header);
  header[14] = 8;
  header[15] = 2;
  const blob = Buffer.concat([
    header,
    uvarint(goVersion.length),
    Buffer.from(goVersion),
    uvarint(mod.length),
    mod,
  ]);
  return buildElf({
    is64: true,
    littleEndian: true,
    stripSections: opts.stripSections,
    sections: [
      { name: '.text', addr: 0x401000, data: Buffer.alloc(64, 0x90), segmentFlags: 5 },
      { name: '.go.buildinfo', addr: 0x500000, data: blob, segmentFlags: 6 },
    ],
  });
}

/**
 * A pre-1.18 ELF: `.go.buildinfo` holds two pointers to Go string headers in `.data`, whose data pointers
 * lead into `.rodata` — each in its own segment, so reading it needs the address mapping.
 */
export function buildGoPointerElf(
  goVersion: string,
  modText: string,
  opts: {
    is64: boolean;
    littleEndian: boolean;
    /** Add Go's build-id note and `codeBytes` of machine code before the data, as the Go linker lays out. */
    goLinked?: { codeBytes: number };
  },
): Buffer {
  const ptr = opts.is64 ? 8 : 4;
  const w = writer(opts.littleEndian, opts.is64);
  const rodataAddr = 0x10000;
  const dataAddr = 0x20000;
  const biAddr = 0x30000;
  const vers = Buffer.from(goVersion);
  const mod = frameModInfo(modText);
  const rodata = Buffer.concat([vers, mod]);
  const data = Buffer.alloc(4 * ptr);
  w.word(data, 0, rodataAddr);
  w.word(data, ptr, vers.length);
  w.word(data, 2 * ptr, rodataAddr + vers.length);
  w.word(data, 3 * ptr, mod.length);
  const bi = Buffer.alloc(32);
  MAGIC.copy(bi);
  bi[14] = ptr;
  bi[15] = opts.littleEndian ? 0 : 1;
  w.word(bi, 16, dataAddr);
  w.word(bi, 16 + ptr, dataAddr + 2 * ptr);
  const goLinked: SectionSpec[] = [];
  if (opts.goLinked) {
    // ELF note: namesz 4, descsz, type NT_GO_BUILDID (4), name "Go\0\0", then the build id
    const id = Buffer.from('abcdefghijklmnopqrstuvwxyz012345/0123456789');
    const note = Buffer.alloc(16 + id.length);
    const w32 = writer(opts.littleEndian, false);
    w32.u32(note, 0, 4);
    w32.u32(note, 4, id.length);
    w32.u32(note, 8, 4);
    note.write('Go\0\0', 12, 'latin1');
    id.copy(note, 16);
    goLinked.push(
      { name: '.note.go.buildid', addr: 0x1000, data: note, segmentFlags: 4 },
      // machine code full of bytes that look like the start of the build info magic
      { name: '.text', addr: 0x100000, data: Buffer.alloc(opts.goLinked.codeBytes, 0xff), segmentFlags: 5 },
    );
  }
  return buildElf({
    is64: opts.is64,
    littleEndian: opts.littleEndian,
    sections: [
      ...goLinked,
      { name: '.rodata', addr: rodataAddr, data: rodata, segmentFlags: 4 },
      { name: '.data', addr: dataAddr, data, segmentFlags: 6 },
      { name: '.go.buildinfo', addr: biAddr, data: bi, segmentFlags: 6 },
    ],
  });
}

/** An ELF with cargo-auditable's `.dep-v0` section holding zlib-compressed JSON. */
export function buildAuditableElf(json: unknown, raw?: Buffer): Buffer {
  return buildElf({
    is64: true,
    littleEndian: true,
    sections: [
      { name: '.text', addr: 0x401000, data: Buffer.alloc(2048, 0x90), segmentFlags: 5 },
      { name: '.dep-v0', addr: 0, data: raw ?? deflateSync(Buffer.from(JSON.stringify(json))) },
    ],
  });
}
