import type { AnalysisResult, FileSink } from '../analyzer.js';
import type { ImageFile } from '../../types/file.js';
import { limitError, locatePackages, parseError, toNote } from './common.js';
import { isElf, parseElf, PF_W, PF_X } from './elf.js';
import {
  GO_BUILDINFO_MAGIC,
  decodeBuildInfoBlob,
  isGoReadableFormat,
  parseGoBinary,
  parseGoModInfo,
  stripModFraming,
  toGoPackages,
} from './go-binary.js';

/** Bytes kept from the start of every file: ELF, program headers and the Go build-id note live here. */
const HEAD_BYTES = 64 * 1024;
// Initial capture size; a blob larger than this grows the capture.
const SEARCH_WINDOW = 64 * 1024;
const ALIGN = 16;
const HEADER_SIZE = 32;
const FLAG_INLINE = 2;
// Header plus two uvarint-prefixed strings of at most 4 MiB each (the limits of the buffered reader).
const MAX_INLINE_BYTES = HEADER_SIZE + 2 * (10 + 4 * 1024 * 1024);
// Without an ELF mapping: stop after this many magic hits that are not a valid header (as buffered).
const MAX_MAGIC_HITS = 1000;
const PT_LOAD = 1;
const GO_NOTE_NAME = Buffer.from('Go\0\0', 'latin1');
const NT_GO_BUILDID = 4;

/** Ranges sorted by start, overlapping or touching ones joined. */
function mergeRanges(ranges: { start: number; end: number }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** True when the head of an ELF file holds the Go linker's build-id note (`Go\0\0`, type 4). */
export function hasGoBuildIdNote(head: Buffer, littleEndian: boolean): boolean {
  const u32 = (o: number): number => (littleEndian ? head.readUInt32LE(o) : head.readUInt32BE(o));
  for (let i = head.indexOf(GO_NOTE_NAME); i >= 0; i = head.indexOf(GO_NOTE_NAME, i + 1)) {
    if (i >= 12 && u32(i - 12) === 4 && u32(i - 4) === NT_GO_BUILDID) return true;
  }
  return false;
}

function uvarintEnd(buf: Buffer, off: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10 && off + i < buf.length; i++) {
    const b = buf[off + i]!;
    value += (b & 0x7f) * mul;
    if (b < 0x80) return { value, next: off + i + 1 };
    mul *= 128;
  }
  return undefined;
}

/** True once an inline blob holds both of its strings (or is malformed beyond repair by more bytes). */
function isInlineBlobComplete(blob: Buffer): boolean {
  let off = HEADER_SIZE;
  for (let k = 0; k < 2; k++) {
    const v = uvarintEnd(blob, off);
    if (!v) return blob.length - off >= 10; // a varint longer than 10 bytes never completes
    off = v.next + v.value;
    if (off > blob.length) return false;
  }
  return true;
}

function isInlineHeader(blob: Buffer): boolean {
  return blob.length >= HEADER_SIZE && (blob[14] === 4 || blob[14] === 8) && (blob[15]! & FLAG_INLINE) !== 0;
}

type Mode =
  /** Reading the first HEAD_BYTES. */
  | 'head'
  /** ELF with known data segments: looking for the aligned header inside their first 64 KiB. */
  | 'windows'
  /** No usable ELF mapping: the first magic hit starts a capture to the end (inline format only). */
  | 'anywhere'
  /** Pointer format in a Go binary: keep retaining, `end` parses the whole file. */
  | 'retain'
  | 'done';

/**
 * The parts of a Go binary kept for the pre-1.18 pointer format, as references to the chunks the layer
 * stream delivered (never written to again), not copies: copying ~10 MB of read-only data into a fresh
 * buffer for every Go binary cost its page faults (~60 ms per 20 MB on a VM), and the go1.18+ inline header,
 * found in most binaries, makes the parts unnecessary. Only the pointer format assembles them, zero-filled
 * where code was skipped.
 */
class Retained {
  private parts: { at: number; data: Buffer }[] = [];
  /** Bytes of the file seen so far. */
  length = 0;

  constructor(readonly size: number) {}

  keep(at: number, data: Buffer): void {
    // a copy: the chunk's memory is reused once the walker has parsed it (see FileConsumer)
    if (data.length > 0) this.parts.push({ at, data: Buffer.from(data) });
  }

  assemble(): Buffer {
    const out = Buffer.alloc(this.length);
    for (const p of this.parts)
      p.data.copy(out, p.at, 0, Math.max(0, Math.min(p.data.length, this.length - p.at)));
    return out;
  }
}

/**
 * Streaming reader of Go build info. Executables that are not Go cost one `indexOf` per chunk and
 * 64 KiB of head; the header is looked for 16-aligned inside the writable data segments (where the Go
 * linker puts `.go.buildinfo`; the section table at the file's end comes too late to say exactly where).
 * Go ELF binaries (recognised by their build-id note) are retained, minus code, only until the go1.18+
 * inline header has been decoded; the older pointer format needs data from all over the file, so for it
 * the retained bytes go to the buffered parser. Without ELF mapping only the inline format is readable, as in
 * the buffered parser: each magic hit is checked for a valid inline header, and only that blob is kept.
 */
export class GoBuildInfoSink implements FileSink {
  private mode: Mode = 'head';
  /** The first `headSize` bytes, copied only when the first write holds fewer (most hold them all). */
  private head: Buffer | undefined;
  private readonly headSize: number;
  private headLength = 0;
  private offset = 0;
  private windows: { start: number; end: number }[] = [];
  /** Whole file so far (Go ELF binaries, until the inline header is decoded). */
  private retained: Retained | undefined;
  /** File ranges not copied into `retained` (code segments past the head). */
  private skip: { start: number; end: number }[] = [];
  /** Bytes from a candidate header on. */
  private capture: Buffer | undefined;
  private captureStart = 0;
  private captureLength = 0;
  private captureLimit = 0;
  private tail: Buffer = Buffer.alloc(0);
  /** Magic hits looked at without an ELF mapping (bounded, as in the buffered parser). */
  private hits = 0;
  private result: AnalysisResult | undefined;

  constructor(private readonly file: ImageFile) {
    this.headSize = Math.min(file.size, HEAD_BYTES);
  }

  write(chunk: Buffer): boolean {
    if (this.mode === 'head') {
      if (this.headLength === 0 && chunk.length >= this.headSize) {
        // the whole head in the first write: read in place (nothing refers to it once `decide` returns)
        this.decide(chunk.subarray(0, this.headSize));
        this.process(chunk, 0);
        return !this.isDone();
      }
      const head = (this.head ??= Buffer.allocUnsafe(this.headSize));
      const n = Math.min(chunk.length, head.length - this.headLength);
      chunk.copy(head, this.headLength, 0, n);
      this.headLength += n;
      if (this.headLength < head.length) return true;
      this.decide(head);
      this.process(head, 0);
      if (n < chunk.length) this.process(chunk.subarray(n), head.length);
      return !this.isDone();
    }
    this.process(chunk, this.offset);
    return !this.isDone();
  }

  // a method, so TypeScript does not keep a narrowed `mode` across the calls that change it
  private isDone(): boolean {
    return this.mode === 'done';
  }

  end(): AnalysisResult | undefined {
    if (this.mode === 'head') {
      // a file shorter than its announced size: judge what arrived
      const head = (this.head ?? Buffer.alloc(0)).subarray(0, this.headLength);
      this.decide(head);
      this.process(head, 0);
    }
    if (this.mode === 'done') return this.result;
    const mode = this.mode;
    this.mode = 'done';
    try {
      if (this.retained) {
        // pointer format, or no decodable inline header: the buffered parser sees the whole file
        return this.found(parseGoBinary(this.retained.assemble(), this.file.path));
      }
      if (this.capture) {
        const blob = this.capture.subarray(0, this.captureLength);
        // an `anywhere` hit too short for a header is no header (the buffered fallback skips it too)
        if (mode === 'anywhere' && !isInlineHeader(blob)) return undefined;
        return this.decoded(decodeBuildInfoBlob(blob, this.file.path));
      }
      return undefined;
    } catch (err) {
      return { notes: [toNote(err, this.file, 'go-binary')] };
    }
  }

  private found(packages: ReturnType<typeof parseGoBinary>): AnalysisResult | undefined {
    const located = locatePackages(packages, this.file);
    return located.length > 0 ? { packages: located } : undefined;
  }

  private decoded(raw: { vers: string; mod: string }): AnalysisResult | undefined {
    return this.found(toGoPackages(parseGoModInfo(stripModFraming(raw.mod), raw.vers)));
  }

  private decide(head: Buffer): void {
    if (!isGoReadableFormat(head)) {
      // no format Go's reader knows: no build info, as in the buffered parser
      this.mode = 'done';
      return;
    }
    this.mode = 'anywhere';
    if (!isElf(head)) return;
    let elf;
    try {
      elf = parseElf(head, this.file.path);
    } catch {
      return; // program headers beyond the head or broken: no mapping, as in the buffered parser
    }
    this.windows = mergeRanges(
      elf.segments
        .filter((p) => p.type === PT_LOAD && (p.flags & (PF_X | PF_W)) === PF_W && p.filesz > 0)
        // the whole segment: with external linking (cgo) `.go.buildinfo` follows the RELRO data, past 64 KiB
        .map((p) => ({ start: p.offset, end: p.offset + p.filesz })),
    );
    if (this.windows.length === 0) return;
    this.mode = 'windows';
    if (hasGoBuildIdNote(head, elf.littleEndian)) {
      // Code segments are never read by the parser (build info and its strings are data), so they are
      // not copied: their pages of the allocation stay untouched and cost no memory.
      this.skip = elf.segments
        .filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0)
        .map((p) => ({ start: Math.max(p.offset, head.length), end: p.offset + p.filesz }))
        .filter((r) => r.end > r.start);
      this.retained = new Retained(this.file.size);
    }
  }

  /** Searches (or retains) the next bytes of the file, at file offset `at`; nothing once done. */
  private process(chunk: Buffer, at: number): void {
    if (this.isDone()) return;
    this.offset = at + chunk.length;
    if (this.retained) this.retain(chunk, at);
    if (this.mode === 'retain') return;
    if (this.capture) {
      this.append(chunk);
      return;
    }
    const magic = GO_BUILDINFO_MAGIC;
    // a header split across chunks: search the seam too
    const seam = Buffer.concat([this.tail, chunk.subarray(0, magic.length - 1)]);
    const seamStart = at - this.tail.length;
    for (let i = seam.indexOf(magic); i >= 0 && i < this.tail.length; i = seam.indexOf(magic, i + 1)) {
      if (this.accept(seamStart + i)) {
        this.startCapture(seamStart + i, seam.subarray(i), chunk.subarray(magic.length - 1));
        return;
      }
    }
    // an ELF's header starts inside its data segments: only those parts of the chunk are searched (in
    // file order: the windows are sorted and disjoint), not its code
    const ranges =
      this.mode === 'windows'
        ? this.windows.map((w) => [Math.max(w.start, at) - at, Math.min(w.end, at + chunk.length) - at])
        : [[0, chunk.length]];
    for (const [from, to] of ranges as [number, number][]) {
      for (
        let i = from < to ? chunk.indexOf(magic, from) : -1;
        i >= 0 && i < to;
        i = chunk.indexOf(magic, i + 1)
      ) {
        if (this.accept(at + i)) {
          this.startCapture(at + i, chunk.subarray(i), undefined);
          return;
        }
      }
    }
    // the last bytes seen, however small the chunks (a magic may span several)
    const keep = magic.length - 1;
    this.tail =
      chunk.length >= keep
        ? Buffer.from(chunk.subarray(chunk.length - keep))
        : Buffer.concat([this.tail, chunk]).subarray(-keep);
  }

  private retain(chunk: Buffer, at: number): void {
    const retained = this.retained as Retained;
    const end = Math.min(at + chunk.length, retained.size);
    let from = at;
    for (const r of this.skip) {
      if (r.end <= from || r.start >= end) continue;
      if (r.start > from) retained.keep(from, chunk.subarray(from - at, r.start - at));
      from = Math.min(end, r.end);
    }
    if (from < end) retained.keep(from, chunk.subarray(from - at, end - at));
    retained.length = end;
  }

  private accept(pos: number): boolean {
    if (this.mode === 'anywhere') {
      if (++this.hits > MAX_MAGIC_HITS) {
        this.finish(() => {
          throw limitError(this.file.path, 'too many Go build info candidates');
        });
        return false;
      }
      return true;
    }
    // `.go.buildinfo` is 16-aligned in memory, and file offsets are congruent to addresses modulo the page
    // size, so its file offset is 16-aligned too (a segment itself may start anywhere)
    return pos % ALIGN === 0 && this.windows.some((w) => pos >= w.start && pos < w.end);
  }

  private startCapture(pos: number, first: Buffer, rest: Buffer | undefined): void {
    this.captureStart = pos;
    this.captureLimit = Math.min(MAX_INLINE_BYTES, this.file.size - pos);
    this.capture = Buffer.allocUnsafe(Math.min(SEARCH_WINDOW, Math.max(0, this.captureLimit)));
    this.captureLength = 0;
    this.append(first);
    if (rest && this.mode !== 'done') this.append(rest);
  }

  private append(chunk: Buffer): void {
    let capture = this.capture as Buffer;
    const want = Math.min(this.captureLimit, this.captureLength + chunk.length);
    if (want > capture.length) {
      // grow geometrically: most inline blobs are a few KiB, a rare one is megabytes
      const grown = Buffer.allocUnsafe(Math.min(this.captureLimit, Math.max(want, capture.length * 2)));
      capture.copy(grown, 0, 0, this.captureLength);
      this.capture = capture = grown;
    }
    const n = Math.min(chunk.length, capture.length - this.captureLength);
    chunk.copy(capture, this.captureLength, 0, n);
    this.captureLength += n;
    if (this.captureLength < HEADER_SIZE) return;
    const blob = capture.subarray(0, this.captureLength);
    if (this.mode === 'anywhere' && !isInlineHeader(blob)) {
      // Without an ELF mapping only a valid inline header counts, as in the buffered parser's fallback:
      // drop this hit and search on from the byte after it.
      const rest = Buffer.from(blob.subarray(1));
      const at = this.captureStart + 1;
      this.capture = undefined;
      this.captureLength = 0;
      this.tail = Buffer.alloc(0);
      this.process(rest, at);
      return;
    }
    if (blob[14] !== 4 && blob[14] !== 8) {
      this.finish(() => {
        throw parseError(this.file.path, 'Go build info header has a bad pointer size');
      });
      return;
    }
    if ((blob[15]! & FLAG_INLINE) === 0) {
      // pointer format: strings live elsewhere in the file; only a retained Go binary can be decoded
      if (this.retained) {
        this.capture = undefined;
        this.captureLength = 0;
        this.mode = 'retain';
        return;
      }
      this.finish(() => {
        throw parseError(
          this.file.path,
          'Go build info in the pre-1.18 pointer format without a Go build-id note',
        );
      });
      return;
    }
    // wait until both length-prefixed strings are in, unless the blob cannot grow any further
    if (!isInlineBlobComplete(blob) && this.captureLength < this.captureLimit) return;
    this.finish(() => decodeBuildInfoBlob(blob, this.file.path));
  }

  private finish(decode: () => { vers: string; mod: string } | undefined): void {
    this.mode = 'done';
    this.retained = undefined;
    this.capture = undefined;
    try {
      const raw = decode();
      this.result = raw ? this.decoded(raw) : undefined;
    } catch (err) {
      this.result = { notes: [toNote(err, this.file, 'go-binary')] };
    }
  }
}
