import { constants, inflateSync } from 'node:zlib';
import type { AnalysisResult, FileSink } from '../analyzer.js';
import type { ImageFile } from '../../types/file.js';
import type { Package } from '../../types/package.js';
import { limitError, toNote } from './common.js';

// The first bytes of a zlib stream (CMF 0x78 = deflate, 32 KiB window) at each compression level.
const ZLIB_FLG = new Set([0x01, 0x5e, 0x9c, 0xda]);
const ZLIB_CMF = 0x78;
/** Compressed bytes inflated to recognise cargo-auditable's JSON (`{"packages":[…`). */
const PROBE_BYTES = 256;
const JSON_START = /^\{\s*"(?:packages|format)"\s*:/;
const MAX_AUDIT_JSON_BYTES = 8 * 1024 * 1024;
// A zlib stream that inflates to at most 8 MiB of JSON is far smaller than this.
const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** The two header bytes of a zlib stream (CMF, FLG), one pattern per compression level. */
const ZLIB_HEADERS = [...ZLIB_FLG].map((flg) => Buffer.from([ZLIB_CMF, flg]));

/**
 * Offsets below `limit` where a zlib header starts, in order. Machine code is full of 0x78 bytes; looking
 * for the two-byte headers with the native `indexOf` instead of visiting every 0x78 in JavaScript makes
 * the search over an image's executables several times cheaper.
 */
function zlibHeaderOffsets(buf: Buffer, limit: number): number[] {
  const out: number[] = [];
  for (const h of ZLIB_HEADERS) {
    for (let i = buf.indexOf(h); i >= 0 && i < limit; i = buf.indexOf(h, i + 1)) out.push(i);
  }
  return out.length > 1 ? out.sort((a, b) => a - b) : out;
}

function isCandidate(buf: Buffer, i: number): boolean {
  if (buf[i] !== ZLIB_CMF || i + 2 >= buf.length || !ZLIB_FLG.has(buf[i + 1]!)) return false;
  // the first deflate block of compressed JSON is fixed (1) or dynamic (2) Huffman; 0 would be stored
  // text and 3 is invalid: half of the chance hits in machine code end here
  const btype = (buf[i + 2]! >> 1) & 3;
  return btype === 1 || btype === 2;
}

function inflatesToAuditJson(probe: Buffer): boolean {
  // Most candidates are chance bytes in machine code, so most probes fail: building a stack trace for each
  // of those errors cost more than the inflating itself.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // deflate expands at most ~1032:1, so this bound never cuts a real probe short
    const head = inflateSync(probe, {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: PROBE_BYTES * 1100,
    });
    return JSON_START.test(head.toString('latin1'));
  } catch {
    return false;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Streaming reader of cargo-auditable data. The `.dep-v0` section is only named in the section table at
 * the end of the file, so instead of buffering every executable until then, the stream is searched for
 * a zlib stream that inflates to cargo-auditable's JSON; only that stream is kept. Files that are not
 * ELF stop after the first chunk.
 */
export class CargoAuditSink implements FileSink {
  private checked = false;
  private done = false;
  /** Trailing bytes not yet probed (their probe needs bytes of the next chunk). */
  private pending: Buffer = Buffer.alloc(0);
  private capture: Buffer[] | undefined;
  private captureLength = 0;
  private result: AnalysisResult | undefined;

  constructor(
    private readonly file: ImageFile,
    private readonly parse: (json: Buffer, path: string) => Package[],
  ) {}

  write(chunk: Buffer): boolean {
    if (this.done) return false;
    if (!this.checked) {
      // the ELF magic may arrive split over tiny chunks (only its bytes are joined, not the chunk)
      const seen = Buffer.concat([this.pending, chunk.subarray(0, ELF_MAGIC.length)]).subarray(
        0,
        ELF_MAGIC.length,
      );
      if (!ELF_MAGIC.subarray(0, seen.length).equals(seen)) {
        this.done = true;
        return false;
      }
      this.checked = seen.length === ELF_MAGIC.length;
    }
    if (this.capture) return this.append(chunk);
    // candidates in the bytes held back from earlier chunks, now that more bytes follow them
    let keepFrom = this.pending.length;
    if (this.pending.length > 0) {
      const joined = Buffer.concat([this.pending, chunk.subarray(0, PROBE_BYTES)]);
      for (let i = 0; i < this.pending.length; i++) {
        if (joined.length - i < PROBE_BYTES) {
          keepFrom = i;
          break;
        }
        if (isCandidate(joined, i) && inflatesToAuditJson(joined.subarray(i, i + PROBE_BYTES))) {
          this.capture = [];
          this.append(this.pending.subarray(i));
          this.pending = Buffer.alloc(0);
          return this.append(chunk);
        }
      }
    }
    const limit = chunk.length - PROBE_BYTES;
    for (const i of zlibHeaderOffsets(chunk, limit)) {
      if (isCandidate(chunk, i) && inflatesToAuditJson(chunk.subarray(i, i + PROBE_BYTES))) {
        this.capture = [];
        this.pending = Buffer.alloc(0);
        return this.append(chunk.subarray(i));
      }
    }
    // bytes whose probe still lacks lookahead wait for the next chunk (at most 2 × PROBE_BYTES)
    this.pending = Buffer.concat([this.pending.subarray(keepFrom), chunk.subarray(Math.max(0, limit))]);
    return true;
  }

  end(): AnalysisResult | undefined {
    if (!this.capture && !this.done) {
      // a stream near the very end of the file: probe with the bytes there are
      for (let i = 0; i < this.pending.length; i++) {
        if (isCandidate(this.pending, i) && inflatesToAuditJson(this.pending.subarray(i))) {
          this.capture = [Buffer.from(this.pending.subarray(i))];
          this.captureLength = this.pending.length - i;
          break;
        }
      }
    }
    if (this.capture && !this.done) this.decode(true);
    return this.result;
  }

  private append(chunk: Buffer): boolean {
    if (this.done || !this.capture) return false;
    const room = MAX_CAPTURE_BYTES - this.captureLength;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    (this.capture as Buffer[]).push(Buffer.from(part));
    this.captureLength += part.length;
    this.decode(this.captureLength >= MAX_CAPTURE_BYTES);
    return !this.done;
  }

  // Inflates what has been captured; an unfinished stream waits for more bytes unless this is the end.
  private decode(final: boolean): void {
    const data = Buffer.concat(this.capture as Buffer[]);
    this.capture = [data];
    let json: Buffer;
    try {
      json = inflateSync(data, { maxOutputLength: MAX_AUDIT_JSON_BYTES });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'Z_BUF_ERROR' && !final) return;
      this.done = true;
      this.capture = undefined;
      const e =
        code === 'ERR_BUFFER_TOO_LARGE'
          ? limitError(this.file.path, `.dep-v0 inflates past ${MAX_AUDIT_JSON_BYTES} bytes`)
          : err;
      this.result = { notes: [toNote(e, this.file, 'cargo')] };
      return;
    }
    this.done = true;
    this.capture = undefined;
    try {
      const packages = this.parse(json, this.file.path);
      this.result = packages.length > 0 ? { packages } : undefined;
    } catch (err) {
      this.result = { notes: [toNote(err, this.file, 'cargo')] };
    }
  }
}
