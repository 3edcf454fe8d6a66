import { Transform, type TransformCallback } from 'node:stream';
import { PortcullisError } from '../errors.js';

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: magic 0x184D2A50 … 0x184D2A5F, then a 4-byte length. */
const isSkippableMagic = (m: number): boolean => m >>> 4 === 0x184d2a5;

type State =
  | { kind: 'magic' }
  | { kind: 'descriptor' }
  | { kind: 'header'; fhd: number; length: number }
  | { kind: 'skippable-size' }
  | { kind: 'block'; checksum: boolean }
  | { kind: 'skip'; left: number; then: State }
  | { kind: 'off' };

/** Little-endian unsigned integer of up to 8 bytes (as a float: only compared against limits). */
function readLE(buf: Buffer, at: number, bytes: number): number {
  let v = 0;
  for (let i = bytes - 1; i >= 0; i--) v = v * 256 + (buf[at + i] ?? 0);
  return v;
}

/**
 * The window a zstd frame asks its decoder to keep (RFC 8878 §3.1.1.1), from the frame header descriptor
 * and the rest of the header: Window_Descriptor, or the content size for single-segment frames.
 */
export function toZstdWindowSize(fhd: number, rest: Buffer): number {
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsFlag = fhd >> 6;
  if (!singleSegment) {
    const wd = rest[0] ?? 0;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  const fcsBytes = [1, 2, 4, 8][fcsFlag] as number;
  const fcs = readLE(rest, dictIdBytes, fcsBytes);
  return fcsFlag === 1 ? fcs + 256 : fcs;
}

/** Bytes of the frame header after the descriptor byte. */
function headerLength(fhd: number): number {
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsFlag = fhd >> 6;
  const fcsBytes = fcsFlag === 0 ? singleSegment : ([0, 2, 4, 8][fcsFlag] as number);
  return (singleSegment ? 0 : 1) + dictIdBytes + fcsBytes;
}

/**
 * Passes a zstd stream through unchanged while walking its frame and block headers (never decoding), and
 * fails with LAYER_LIMIT_EXCEEDED before the decoder sees a frame whose window exceeds `maxWindow`: the
 * decoder allocates the whole window up front (a header byte can ask for 2 GiB), and the pure-JS fallback
 * also moves the whole window once per block, so a huge window costs memory and minutes. Anything it does
 * not understand (a reserved block type, an unknown magic) it leaves to the decoder, which rejects it.
 */
export class ZstdWindowGuard extends Transform {
  private state: State = { kind: 'magic' };
  private pending = Buffer.alloc(0);

  constructor(private readonly maxWindow: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.walk(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }

  /** Collects `n` header bytes across chunk boundaries; returns them once complete. */
  private need(chunk: Buffer, pos: number, n: number): { bytes?: Buffer; pos: number } {
    const take = Math.min(n - this.pending.length, chunk.length - pos);
    this.pending = Buffer.concat([this.pending, chunk.subarray(pos, pos + take)]);
    if (this.pending.length < n) return { pos: pos + take };
    const bytes = this.pending;
    this.pending = Buffer.alloc(0);
    return { bytes, pos: pos + take };
  }

  private walk(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && this.state.kind !== 'off') {
      const s = this.state;
      if (s.kind === 'skip') {
        const step = Math.min(s.left, chunk.length - pos);
        pos += step;
        s.left -= step;
        if (s.left === 0) this.state = s.then;
        continue;
      }
      const want =
        s.kind === 'magic' || s.kind === 'skippable-size'
          ? 4
          : s.kind === 'descriptor'
            ? 1
            : s.kind === 'header'
              ? s.length
              : 3;
      const got = this.need(chunk, pos, want);
      pos = got.pos;
      if (!got.bytes) return;
      this.advance(got.bytes);
    }
  }

  private advance(bytes: Buffer): void {
    const s = this.state;
    switch (s.kind) {
      case 'magic': {
        const magic = bytes.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) this.state = { kind: 'descriptor' };
        else if (isSkippableMagic(magic)) this.state = { kind: 'skippable-size' };
        else this.state = { kind: 'off' };
        return;
      }
      case 'skippable-size':
        this.state = { kind: 'skip', left: bytes.readUInt32LE(0), then: { kind: 'magic' } };
        return;
      case 'descriptor': {
        const fhd = bytes[0] as number;
        // never 0 bytes: a frame has a Window_Descriptor or (single segment) a content size
        this.state = { kind: 'header', fhd, length: headerLength(fhd) };
        return;
      }
      case 'header': {
        const window = toZstdWindowSize(s.fhd, bytes);
        if (window > this.maxWindow) {
          throw new PortcullisError(
            'LAYER_LIMIT_EXCEEDED',
            `zstd frame asks for a ${window}-byte window, over the ${this.maxWindow}-byte limit (maxZstdWindowBytes)`,
          );
        }
        this.state = { kind: 'block', checksum: ((s.fhd >> 2) & 1) === 1 };
        return;
      }
      case 'block': {
        const header = bytes.readUIntLE(0, 3);
        const last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >> 3;
        if (type === 3) {
          this.state = { kind: 'off' };
          return;
        }
        const after: State = last
          ? s.checksum
            ? { kind: 'skip', left: 4, then: { kind: 'magic' } }
            : { kind: 'magic' }
          : s;
        const body = type === 1 ? 1 : size;
        this.state = body > 0 ? { kind: 'skip', left: body, then: after } : after;
        return;
      }
      default:
        return;
    }
  }
}
