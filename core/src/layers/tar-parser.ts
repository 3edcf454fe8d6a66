import { PortcullisError } from '../errors.js';
import {
  MAX_TAR_META_BYTES,
  TAR_BLOCK,
  isTarMetaType,
  isZeroBlock,
  parsePaxRecords,
  readTarName,
  readTarNumber,
  readTarString,
  tarChecksumMatches,
} from '../tar.js';

/** One tar entry's header, after GNU long names and pax records were applied. */
export interface TarHeader {
  name: string;
  /** The typeflag byte as a character (`'0'`, `'5'`, `'\0'`…). */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  /** The size the header (or its pax `size` record) gives. */
  size: number;
  /** Seconds since the epoch; NaN when the header has none. */
  mtime: number;
  /** Link target ('' when none). */
  linkname: string;
}

/** Receives one entry's data, in order, exactly `size` bytes in all. */
export interface TarDataSink {
  write(chunk: Buffer): void;
  /** The data has ended; a returned promise holds the parser until it settles (its rejection fails the parse). */
  end(): void | PromiseLike<void>;
}

/** Called for every entry (not for GNU long-name or pax records); a sink gets the entry's data. */
export type TarEntryHandler = (header: TarHeader) => TarDataSink | undefined;

/**
 * Typeflags whose entries carry no data whatever their size field says (hard and symbolic links,
 * devices, directories, FIFOs): Go's `archive/tar` skips nothing after them, so neither do we — a reader
 * that took their "data" would walk a different tar than the runtime unpacks.
 */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

const enum Phase {
  Header,
  Data,
  Meta,
  Padding,
  /** Two zero blocks seen: the archive has ended and the rest is ignored (as Go does). */
  Ended,
}

type Pending = PromiseLike<void> | undefined;

/** True for a promise (or any thenable): a sink that holds the parser until it settles. */
export function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function invalid(message: string): PortcullisError {
  return new PortcullisError('LAYER_TAR_INVALID', `invalid tar stream: ${message}`);
}

/**
 * A push parser for one tar stream: `write` each chunk as it arrives (no stream object per entry, no copy
 * of file data — a sink gets views of the chunk). When a sink's `end` returns a promise, `write` returns one
 * that settles once the rest of that chunk was parsed; the caller must not write more before it does.
 * Errors are thrown (or reject that promise) as LAYER_TAR_INVALID; `end` reports a stream that stops
 * mid-entry as LAYER_TRUNCATED.
 */
export class TarParser {
  private readonly block = Buffer.alloc(TAR_BLOCK);
  private blockFill = 0;
  private phase = Phase.Header;
  /** Data (or meta, or padding) bytes still to come for the current entry. */
  private remaining = 0;
  private padding = 0;
  private sink: TarDataSink | undefined;
  private zeroBlocks = 0;
  private meta: { type: string; data: Buffer; fill: number } | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Record<string, string> | undefined;
  /** Bytes parsed so far (for error messages). */
  private offset = 0;

  constructor(private readonly onEntry: TarEntryHandler) {}

  /** Parses one chunk. Returns a promise when an entry's sink holds the parser (see the class comment). */
  write(chunk: Buffer): Pending {
    return this.run(chunk, 0);
  }

  /** The stream has ended: throws LAYER_TRUNCATED when it stopped inside a header or an entry. */
  end(): void {
    if (this.phase === Phase.Ended || (this.phase === Phase.Header && this.blockFill === 0)) return;
    if (this.phase === Phase.Padding && this.padding === 0) return;
    throw new PortcullisError(
      'LAYER_TRUNCATED',
      `tar stream ends early (truncated layer) at byte ${this.offset}`,
    );
  }

  private run(chunk: Buffer, start: number): Pending {
    let pos = start;
    const length = chunk.length;
    while (pos < length) {
      switch (this.phase) {
        case Phase.Ended:
          this.offset += length - pos;
          return undefined;
        case Phase.Padding: {
          const n = Math.min(this.padding, length - pos);
          this.padding -= n;
          pos += n;
          this.offset += n;
          if (this.padding === 0) this.phase = Phase.Header;
          break;
        }
        case Phase.Data: {
          const n = Math.min(this.remaining, length - pos);
          this.sink?.write(pos === 0 && n === length ? chunk : chunk.subarray(pos, pos + n));
          this.remaining -= n;
          pos += n;
          this.offset += n;
          if (this.remaining === 0) {
            const pending = this.finishEntry();
            if (pending) return pending.then(() => this.run(chunk, pos));
          }
          break;
        }
        case Phase.Meta: {
          const meta = this.meta!;
          const n = Math.min(this.remaining, length - pos);
          chunk.copy(meta.data, meta.fill, pos, pos + n);
          meta.fill += n;
          this.remaining -= n;
          pos += n;
          this.offset += n;
          if (this.remaining === 0) this.applyMeta(meta);
          break;
        }
        case Phase.Header: {
          let header: Buffer;
          if (this.blockFill === 0 && length - pos >= TAR_BLOCK) {
            header = chunk.subarray(pos, pos + TAR_BLOCK);
            pos += TAR_BLOCK;
          } else {
            const n = Math.min(TAR_BLOCK - this.blockFill, length - pos);
            chunk.copy(this.block, this.blockFill, pos, pos + n);
            this.blockFill += n;
            pos += n;
            if (this.blockFill < TAR_BLOCK) {
              this.offset += n;
              return undefined;
            }
            this.blockFill = 0;
            header = this.block;
            this.offset -= TAR_BLOCK - n;
          }
          const pending = this.onHeader(header);
          this.offset += TAR_BLOCK;
          if (pending) return pending.then(() => this.run(chunk, pos));
          break;
        }
      }
    }
    return undefined;
  }

  private onHeader(block: Buffer): Pending {
    if (isZeroBlock(block)) {
      // Go's reader: two zero blocks end the archive; one followed by anything else is an error
      if (++this.zeroBlocks === 2) this.phase = Phase.Ended;
      return undefined;
    }
    if (this.zeroBlocks > 0) throw invalid(`a header follows a single zero block at byte ${this.offset}`);
    if (!tarChecksumMatches(block)) {
      throw invalid(`bad header checksum at byte ${this.offset} (corrupt, or not a tar)`);
    }
    const typeflag = String.fromCharCode(block[156]!);
    const headerSize = readTarNumber(block, 124, 12);
    if (isTarMetaType(typeflag)) {
      if (!Number.isSafeInteger(headerSize) || headerSize < 0)
        throw invalid(`bad size at byte ${this.offset}`);
      if (headerSize > MAX_TAR_META_BYTES) {
        throw new PortcullisError(
          'LAYER_LIMIT_EXCEEDED',
          `tar extended header of ${headerSize} bytes (more than ${MAX_TAR_META_BYTES})`,
        );
      }
      this.meta = { type: typeflag, data: Buffer.alloc(headerSize), fill: 0 };
      this.remaining = headerSize;
      this.padding = padOf(headerSize);
      this.phase = Phase.Meta;
      if (headerSize === 0) this.applyMeta(this.meta);
      return undefined;
    }
    const pax = this.pax;
    const size = pax?.size !== undefined ? Number(pax.size) : headerSize;
    if (!Number.isSafeInteger(size) || size < 0) throw invalid(`bad entry size at byte ${this.offset}`);
    const header: TarHeader = {
      name: pax?.path ?? this.longName ?? readTarName(block),
      typeflag,
      mode: readTarNumber(block, 100, 8),
      uid: paxNumber(pax?.uid) ?? readTarNumber(block, 108, 8),
      gid: paxNumber(pax?.gid) ?? readTarNumber(block, 116, 8),
      size,
      mtime: paxNumber(pax?.mtime) ?? readTarNumber(block, 136, 12),
      linkname: pax?.linkpath ?? this.longLink ?? readTarString(block, 157, 100),
    };
    this.pax = this.longName = this.longLink = undefined;
    if (Number.isNaN(header.mode) || Number.isNaN(header.uid) || Number.isNaN(header.gid)) {
      throw invalid(`bad numeric field at byte ${this.offset}`);
    }
    const dataSize = HEADER_ONLY.has(typeflag) ? 0 : size;
    this.sink = this.onEntry(header);
    this.remaining = dataSize;
    this.padding = padOf(dataSize);
    if (dataSize > 0) {
      this.phase = Phase.Data;
      return undefined;
    }
    return this.finishEntry();
  }

  private finishEntry(): Pending {
    const sink = this.sink;
    this.sink = undefined;
    this.phase = this.padding > 0 ? Phase.Padding : Phase.Header;
    const done = sink?.end();
    return isThenable(done) ? done : undefined;
  }

  private applyMeta(meta: { type: string; data: Buffer }): void {
    this.meta = undefined;
    this.phase = this.padding > 0 ? Phase.Padding : Phase.Header;
    switch (meta.type) {
      case 'L':
        this.longName = readTarString(meta.data, 0, meta.data.length);
        break;
      case 'K':
        this.longLink = readTarString(meta.data, 0, meta.data.length);
        break;
      case 'x':
        this.pax = parsePaxRecords(meta.data);
        break;
      // 'g' (pax global): Go returns it as an entry of its own and applies nothing; containerd skips it
    }
  }
}

function padOf(size: number): number {
  const rest = size % TAR_BLOCK;
  return rest === 0 ? 0 : TAR_BLOCK - rest;
}

/** A pax numeric record (decimal, maybe fractional for times); undefined when absent or malformed. */
function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}
