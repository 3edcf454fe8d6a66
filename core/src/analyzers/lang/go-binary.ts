import type { Analyzer } from '../analyzer.js';
import {
  createParsedPackage,
  limitError,
  locatePackages,
  parseError,
  toNote,
  toPurl,
  type ParsedPackage,
} from './common.js';
import { GoBuildInfoSink } from './go-binary-stream.js';
import {
  isElf,
  isExecutableCandidate,
  parseElf,
  readElfAddress,
  readElfSection,
  writableSegments,
  type ElfFile,
} from './elf.js';

/** `\xff Go buildinf:`, the start of the 32-byte build-info header the Go linker writes. */
export const GO_BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER_SIZE = 32;
const ALIGN = 16;
// Go's reader looks at the first 64 KiB of the data start; so do we.
const SEARCH_WINDOW = 64 * 1024;
const MAX_STRING_BYTES = 4 * 1024 * 1024;
// Whole-file fallback: stop after this many magic hits that are not a valid header.
const MAX_MAGIC_HITS = 1000;
const FLAG_BIG_ENDIAN = 1;
const FLAG_INLINE = 2;

/** A module recorded in a Go binary (`mod`, `dep`, with an optional `=>` replacement). */
export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

/** Build information embedded by the Go toolchain (`go version -m`). */
export interface GoBuildInfo {
  /** Toolchain, as written (`go1.19.8`). */
  goVersion: string;
  /** Main package path (`path` line). */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines (go1.18+): `-ldflags`, `vcs.revision`, `GOOS`, … */
  settings: Record<string, string>;
}

function uvarint(buf: Buffer, off: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && off + i < buf.length; i++) {
    const b = buf[off + i]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) return value > Number.MAX_SAFE_INTEGER ? undefined : { value, next: off + i + 1 };
    mul *= 128;
  }
  return undefined;
}

function decodeInline(blob: Buffer): { vers: string; mod: string } | undefined {
  const strings: string[] = [];
  let off = HEADER_SIZE;
  for (let k = 0; k < 2; k++) {
    const v = uvarint(blob, off);
    if (!v || v.value > MAX_STRING_BYTES || v.next + v.value > blob.length) return undefined;
    strings.push(blob.toString('utf8', v.next, v.next + v.value));
    off = v.next + v.value;
  }
  return { vers: strings[0] ?? '', mod: strings[1] ?? '' };
}

// Older (pre-1.18) layout: two pointers to Go string headers {data, len}, read through the ELF mapping.
function decodePointers(blob: Buffer, elf: ElfFile, buf: Buffer): { vers: string; mod: string } | undefined {
  const ptrSize = blob[14]!;
  const be = (blob[15]! & FLAG_BIG_ENDIAN) !== 0;
  const readPtr = (b: Buffer, o: number): number => {
    if (ptrSize === 4) return be ? b.readUInt32BE(o) : b.readUInt32LE(o);
    const v = be ? b.readBigUInt64BE(o) : b.readBigUInt64LE(o);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
  };
  const readString = (addr: number): string | undefined => {
    if (addr < 0) return undefined;
    const hdr = readElfAddress(elf, buf, addr, 2 * ptrSize);
    if (!hdr) return undefined;
    const dataAddr = readPtr(hdr, 0);
    const len = readPtr(hdr, ptrSize);
    if (dataAddr < 0 || len < 0 || len > MAX_STRING_BYTES) return undefined;
    if (len === 0) return '';
    return readElfAddress(elf, buf, dataAddr, len)?.toString('utf8');
  };
  const vers = readString(readPtr(blob, 16));
  const mod = readString(readPtr(blob, 16 + ptrSize));
  return vers === undefined ? undefined : { vers, mod: mod ?? '' };
}

function validHeader(blob: Buffer): boolean {
  return blob.length >= HEADER_SIZE && (blob[14] === 4 || blob[14] === 8);
}

// Finds the 16-aligned header in the first 64 KiB of a region, as Go's debug/buildinfo does.
function findAligned(region: Buffer): Buffer | undefined {
  const window = region.subarray(0, SEARCH_WINDOW);
  for (let i = window.indexOf(GO_BUILDINFO_MAGIC); i >= 0; i = window.indexOf(GO_BUILDINFO_MAGIC, i + 1)) {
    if (i % ALIGN === 0 && region.length - i >= HEADER_SIZE) return region.subarray(i);
  }
  return undefined;
}

function decodeBlob(
  blob: Buffer,
  path: string,
  elf: ElfFile | undefined,
  buf: Buffer,
): { vers: string; mod: string } {
  if (!validHeader(blob)) throw parseError(path, 'Go build info header has a bad pointer size');
  const decoded =
    (blob[15]! & FLAG_INLINE) !== 0 ? decodeInline(blob) : elf ? decodePointers(blob, elf, buf) : undefined;
  if (!decoded || !decoded.vers) throw parseError(path, 'Go build info strings are truncated or unmapped');
  return decoded;
}

/** Plan 9 a.out magics Go's reader knows (386, amd64, arm), as the big-endian first word. */
const PLAN9_MAGICS = new Set([0x1eb, 0x8a97, 0x647]);

/**
 * Whether the first bytes name an executable format Go's `debug/buildinfo` reads — ELF, PE (`MZ`), Mach-O,
 * XCOFF, Plan 9 a.out — checked on its 16-byte ident exactly as Go does. Go (and the scanners built on it)
 * reports nothing for any other file, so neither do we: an executable of random bytes or a script is not
 * searched for the build-info magic.
 */
export function isGoReadableFormat(head: Buffer): boolean {
  if (head.length < 16) return false;
  const b0 = head[0] as number;
  const b1 = head[1] as number;
  if (isElf(head) || (b0 === 0x4d && b1 === 0x5a)) return true;
  // Mach-O: FE ED FA CE/CF (big-endian) or CE/CF FA ED FE (little-endian)
  if (b0 === 0xfe && b1 === 0xed && head[2] === 0xfa) return true;
  if (b1 === 0xfa && head[2] === 0xed && head[3] === 0xfe) return true;
  if (b0 === 0x01 && (b1 === 0xdf || b1 === 0xf7)) return true;
  return PLAN9_MAGICS.has(head.readUInt32BE(0));
}

/** Decodes a build-info blob that starts at the magic, without an ELF mapping (inline format only). */
export function decodeBuildInfoBlob(blob: Buffer, path: string): { vers: string; mod: string } {
  return decodeBlob(blob, path, undefined, blob);
}

/** Locates and decodes the raw `vers` and `mod` strings; undefined when the file is no Go binary. */
export function readGoBuildInfoStrings(buf: Buffer, path: string): { vers: string; mod: string } | undefined {
  if (!isGoReadableFormat(buf) || buf.indexOf(GO_BUILDINFO_MAGIC) < 0) return undefined;
  let elf: ElfFile | undefined;
  if (isElf(buf)) {
    try {
      elf = parseElf(buf, path);
    } catch {
      elf = undefined; // truncated headers: fall back to scanning the bytes
    }
  }
  if (elf) {
    const section = readElfSection(elf, buf, '.go.buildinfo');
    const regions = section ? [section] : writableSegments(elf, buf).map((s) => s.data);
    for (const region of regions) {
      const blob = findAligned(region);
      if (blob) return decodeBlob(blob, path, elf, buf);
    }
  }
  // No usable ELF mapping (Mach-O, PE, stripped or truncated headers): only the inline format is readable.
  let hits = 0;
  for (let i = buf.indexOf(GO_BUILDINFO_MAGIC); i >= 0; i = buf.indexOf(GO_BUILDINFO_MAGIC, i + 1)) {
    if (++hits > MAX_MAGIC_HITS) throw limitError(path, 'too many Go build info candidates');
    const blob = buf.subarray(i);
    if (validHeader(blob) && (blob[15]! & FLAG_INLINE) !== 0) return decodeBlob(blob, path, undefined, buf);
  }
  throw parseError(path, 'Go build info found but not decodable (pointer format without ELF mapping)');
}

export function stripModFraming(mod: string): string {
  // cmd/go wraps modinfo in 16-byte sentinels; the byte before the end sentinel is a newline.
  return mod.length >= 33 && mod[mod.length - 17] === '\n' ? mod.slice(16, -16) : '';
}

/** Parses the module-info text (`path`, `mod`, `dep`, `=>`, `build` lines, tab-separated). */
export function parseGoModInfo(text: string, goVersion: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: {} };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => {
      const m: GoModule = { path: f[1] ?? '', version: f[2] ?? '' };
      if (f[3]) m.sum = f[3];
      return m;
    };
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        last = info.main = mod();
        break;
      case 'dep':
        last = mod();
        info.deps.push(last);
        break;
      case '=>':
        if (last) last.replace = mod();
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) info.settings[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/**
 * Parses the build info of a Go executable (ELF: go1.18+ inline and older pointer formats, 32/64-bit,
 * either byte order; other formats: inline only). Undefined when the file carries no Go build info;
 * throws ANALYZER_PARSE_FAILED when it does but the data is broken.
 */
export function parseGoBuildInfo(buf: Buffer, path: string): GoBuildInfo | undefined {
  const raw = readGoBuildInfoStrings(buf, path);
  if (!raw) return undefined;
  return parseGoModInfo(stripModFraming(raw.mod), raw.vers);
}

/** `go1.19.8` → `1.19.8`, `go1.20` → `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`; undefined for devel builds. */
export function toGoStdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?(?:\s|$|-|\+)/.exec(goVersion.trim() + ' ');
  if (!m) return undefined;
  const core = `${m[1]}.${m[2]}.${m[3] ?? '0'}`;
  return m[4] ? `${core}-${m[4]}.${m[5]}` : core;
}

/** A Go module package: version without the `v` (as OSV writes Go versions), the purl keeps it. */
export function toGoPackage(modulePath: string, version: string): ParsedPackage {
  const slash = modulePath.lastIndexOf('/');
  const ns = slash > 0 ? modulePath.slice(0, slash) : undefined;
  const name = slash > 0 ? modulePath.slice(slash + 1) : modulePath;
  return createParsedPackage('go-binary', 'Go', {
    name: modulePath,
    version: version.replace(/^v(?=\d)/, ''),
    purl: toPurl('golang', ns, name, version),
  });
}

/** Packages of a Go binary: the main module (unless `(devel)`), every dep (replacements win) and `stdlib`. */
export function toGoPackages(info: GoBuildInfo): ParsedPackage[] {
  const out: ParsedPackage[] = [];
  const add = (m: GoModule | undefined): void => {
    const eff = m?.replace ?? m;
    // A local replacement (`=> ../fork`) has no version: nothing to match.
    if (!eff?.path || !eff.version || eff.version === '(devel)') return;
    out.push(toGoPackage(eff.path, eff.version));
  };
  add(info.main);
  for (const d of info.deps) add(d);
  const std = toGoStdlibVersion(info.goVersion);
  if (std)
    out.push(
      createParsedPackage('go-binary', 'Go', {
        name: 'stdlib',
        version: std,
        purl: `pkg:golang/stdlib@${std}`,
      }),
    );
  return out;
}

/** Packages of a Go executable; empty when the file is not one. */
export function parseGoBinary(buf: Buffer, path: string): ParsedPackage[] {
  const info = parseGoBuildInfo(buf, path);
  return info ? toGoPackages(info) : [];
}

/**
 * Go binaries. `required` only looks at the header (executable, 1 KiB–200 MiB); the content check is in
 * `analyze`, which stays silent for executables without Go build info.
 */
export const goBinaryAnalyzer: Analyzer = {
  name: 'go-binary',
  version: 1,
  scanner: 'inventory',
  required(_path, header) {
    return isExecutableCandidate(header);
  },
  stream(file) {
    return new GoBuildInfoSink(file);
  },
  analyze(file) {
    if (!file.content) return undefined; // over the buffer limit: cannot tell if it is Go at all
    try {
      const packages = locatePackages(parseGoBinary(file.content, file.path), file);
      return packages.length > 0 ? { packages } : undefined;
    } catch (err) {
      return { notes: [toNote(err, file, 'go-binary')] };
    }
  },
};
