import { EventEmitter } from 'node:events';
import * as zlib from 'node:zlib';

/**
 * gzip as `zlib.createGunzip` reads it — members one after another, zero padding after a member ignored,
 * anything else after one read as the next member's header — with the first member's deflate data (a layer
 * has one) inflated raw, so zlib computes no CRC-32 over the output; later members, if any, go to zlib's
 * gunzip itself. Layer blobs are checked against their SHA-256 digest as they are read
 * (`source/digest.ts`: every source verifies the compressed bytes, and a mismatch fails the scan), which
 * covers every output byte already; the CRC was a second, weaker check over the same data and cost 13% of
 * the inflate time. The trailer's length (ISIZE) is still compared with the output.
 *
 * Events as a stream's: `data` (chunk, and the inflater that produced it: pause or resume that one, and give
 * its buffers back through `releaseInflated`), `drain`, `end`, `error`. Errors read as zlib's
 * ("unexpected end of file" for a truncated stream), so `toDecompressError` gives them the same codes.
 */
export class GzipMembers extends EventEmitter {
  private readonly header = new GzipHeader();
  private inner: zlib.InflateRaw | undefined;
  /**
   * Where we are: the first member's header, its deflate data (`inner`), past its data (trailer, then what
   * follows), padding to the end, or the `rest` of the members (zlib's gunzip).
   */
  private state: 'header' | 'body' | 'after' | 'padding' | 'rest' = 'header';
  /** zlib's gunzip, for everything after the first member (`rest`). */
  private rest: zlib.Gunzip | undefined;
  /** Body bytes written to `inner`; a chunk is fully read once `inner.bytesWritten` passes its end. */
  private fed = 0;
  /** Chunks written to `inner` whose write callback has not run yet. */
  private inFlight = 0;
  /** Chunks `inner` may not have read to their end (the member ended in them), with where they end. */
  private readonly held: { chunk: Buffer; end: number; done: () => void }[] = [];
  /** Bytes after the member's deflate data, copied: the trailer, then padding or the next member. */
  private after: Buffer[] = [];
  private afterBytes = 0;
  private output = 0;
  private innerEnded = false;
  private innerEnding = false;
  private members = 0;
  private inputEnded = false;
  private finished = false;

  constructor(private readonly chunkSize: number) {
    super();
  }

  /** Members inflated raw: at most one (the rest go to zlib's gunzip). */
  get rawMembers(): number {
    return this.members;
  }

  /** Writes compressed bytes; `done` runs once nothing reads `chunk` any more. False: wait for `drain`. */
  write(chunk: Buffer, done: () => void = noop): boolean {
    if (this.finished || this.state === 'padding') {
      done();
      return true;
    }
    if (this.state === 'rest') return this.rest!.write(chunk, () => done());
    if (this.state === 'body') return this.feed(chunk, done);
    if (this.state === 'after') {
      this.keepAfter(chunk);
      done();
      this.advance();
      return true;
    }
    if (this.members > 0) {
      if (chunk.length === 0) {
        done();
        return true;
      }
      // a zero where a member's header would start: padding to the end, ignored (as zlib's gunzip does)
      if (chunk[0] === 0) {
        this.state = 'padding';
        done();
        this.advance();
        return true;
      }
      // more members (rare: concatenated gzip files): zlib's gunzip reads them, resetting one stream per
      // member; a raw inflater per member would cost ~0.2 ms each, and a hostile layer can hold millions
      return this.handOver(chunk, done);
    }
    let start: number;
    try {
      start = this.header.consume(chunk);
    } catch (err) {
      done();
      this.fail(err);
      return true;
    }
    if (start < 0) {
      done();
      this.advance();
      return true;
    }
    this.startMember();
    if (start === chunk.length) {
      done();
      this.endMemberIfInputEnded();
      return true;
    }
    return this.feed(start === 0 ? chunk : chunk.subarray(start), done);
  }

  /** No more input: the member in progress must end, with its trailer. */
  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (this.state === 'rest') this.rest!.end();
    else if (this.state === 'body') this.endMemberIfInputEnded();
    else this.advance();
  }

  destroy(): void {
    this.finished = true;
    this.inner?.destroy();
    this.rest?.destroy();
  }

  /** Zlib's gunzip takes the stream from the second member on, `first` its first bytes. */
  private handOver(first: Buffer, done: () => void): boolean {
    const rest = zlib.createGunzip({ chunkSize: this.chunkSize });
    this.rest = rest;
    this.state = 'rest';
    rest.on('data', (out: Buffer) => this.emit('data', out, rest));
    rest.on('drain', () => this.emit('drain'));
    rest.on('error', (err) => this.fail(err));
    rest.on('end', () => this.finish());
    const ok = rest.write(first, () => done());
    if (this.inputEnded) rest.end();
    return ok;
  }

  private startMember(): void {
    const inner = zlib.createInflateRaw({ chunkSize: this.chunkSize });
    this.inner = inner;
    this.members++;
    this.state = 'body';
    inner.on('data', (out: Buffer) => {
      this.output += out.length;
      this.emit('data', out, inner);
    });
    inner.on('drain', () => this.emit('drain'));
    inner.on('error', (err) => this.fail(err));
    inner.on('end', () => {
      this.innerEnded = true;
      this.advance();
    });
  }

  /** The input ended: the member's inflater gets no more bytes (zlib then reports a truncated stream). */
  private endMemberIfInputEnded(): void {
    if (!this.inputEnded || this.innerEnding || this.state !== 'body') return;
    this.innerEnding = true;
    this.inner?.end();
  }

  private feed(chunk: Buffer, done: () => void): boolean {
    const inner = this.inner!;
    this.fed += chunk.length;
    const entry = { chunk, end: this.fed, done };
    this.inFlight++;
    const ok = inner.write(chunk, () => {
      this.inFlight--;
      // read to its end: nothing after the member's data is in it
      if (inner.bytesWritten >= entry.end) done();
      else this.held.push(entry);
      this.advance();
    });
    this.endMemberIfInputEnded();
    return ok;
  }

  private keepAfter(bytes: Buffer): void {
    if (bytes.length === 0) return;
    // a copy: the caller's buffer goes back to its pool
    this.after.push(Buffer.from(bytes));
    this.afterBytes += bytes.length;
  }

  /** Moves on once the member's data has ended and every chunk written to it came back. */
  private advance(): void {
    if (this.finished) return;
    if (this.state === 'body') {
      if (!this.innerEnded || this.inFlight > 0) return;
      const inner = this.inner!;
      const read = inner.bytesWritten;
      for (const h of this.held.splice(0)) {
        const from = Math.max(0, read - (h.end - h.chunk.length));
        this.keepAfter(from === 0 ? h.chunk : h.chunk.subarray(from));
        h.done();
      }
      this.state = 'after';
    }
    if (this.state === 'after') {
      if (this.afterBytes < TRAILER_BYTES) {
        if (this.inputEnded) this.fail(truncated());
        return;
      }
      const rest = this.after.length === 1 ? this.after[0]! : Buffer.concat(this.after);
      this.after = [];
      this.afterBytes = 0;
      if (rest.readUInt32LE(4) !== this.output % 2 ** 32) {
        this.fail(new Error('incorrect length check'));
        return;
      }
      this.inner = undefined;
      this.state = 'header';
      const next = rest.subarray(TRAILER_BYTES);
      // padding or the next member's header (the copy is ours: nothing to give back)
      if (next.length > 0) this.write(next);
      else this.advance();
      return;
    }
    if (this.inputEnded && (this.state === 'header' || this.state === 'padding')) {
      // a first header cut short; after the first member, the end of the input is the end of the stream
      if (this.state === 'header' && this.members === 0 && this.header.started) this.fail(truncated());
      else this.finish();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.emit('end');
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.inner?.destroy();
    this.rest?.destroy();
    for (const h of this.held.splice(0)) h.done();
    this.emit('error', err);
  }
}

/** CRC-32 and ISIZE, 4 bytes each. */
const TRAILER_BYTES = 8;

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED = 0xe0;

function truncated(): Error {
  return Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' });
}

function noop(): void {}

/**
 * The first member's header (RFC 1952 §2.3) read incrementally: 10 fixed bytes, then the optional extra field,
 * name, comment and header CRC, skipped without being kept (a name has no length limit).
 */
class GzipHeader {
  private readonly fixed = Buffer.alloc(10);
  private got = 0;
  private flags = 0;
  private step: 'fixed' | 'xlen' | 'extra' | 'name' | 'comment' | 'hcrc' | 'done' = 'fixed';
  private remaining = 0;
  private xlen = 0;

  /** True once any byte of a header was read. */
  get started(): boolean {
    return this.got > 0;
  }

  /** Reads header bytes from `chunk`: the offset where the deflate data starts, or -1 if it needs more. */
  consume(chunk: Buffer): number {
    let i = 0;
    while (i < chunk.length) {
      switch (this.step) {
        case 'fixed': {
          const n = Math.min(10 - this.got, chunk.length - i);
          chunk.copy(this.fixed, this.got, i, i + n);
          this.got += n;
          i += n;
          // each byte checked as it arrives, as zlib does: garbage shorter than a header is not "truncated"
          const f = this.fixed;
          if (f[0] !== 0x1f || (this.got > 1 && f[1] !== 0x8b)) throw new Error('incorrect header check');
          if (this.got > 2 && f[2] !== 8) throw new Error('unknown compression method');
          if (this.got > 3 && (f[3] as number) & RESERVED) throw new Error('unknown header flags set');
          if (this.got < 10) return -1;
          this.flags = f[3] as number;
          this.step = this.next('fixed');
          break;
        }
        case 'xlen':
          this.xlen |= (chunk[i++] as number) << (8 * (2 - this.remaining));
          if (--this.remaining === 0) {
            this.remaining = this.xlen;
            this.step = this.remaining > 0 ? 'extra' : this.next('extra');
          }
          break;
        case 'extra': {
          const n = Math.min(this.remaining, chunk.length - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.step = this.next('extra');
          break;
        }
        case 'name':
        case 'comment': {
          const zero = chunk.indexOf(0, i);
          if (zero < 0) return -1;
          i = zero + 1;
          this.step = this.next(this.step);
          break;
        }
        case 'hcrc':
          i++;
          if (--this.remaining === 0) this.step = 'done';
          break;
        case 'done':
          return i;
      }
      if (this.step === 'done') return i;
    }
    return this.step === 'done' ? i : -1;
  }

  /** The step after `step`, by the flags (and the counters the next step starts with). */
  private next(step: 'fixed' | 'extra' | 'name' | 'comment'): GzipHeader['step'] {
    const order = ['fixed', 'extra', 'name', 'comment', 'hcrc'] as const;
    const flagOf = { extra: FEXTRA, name: FNAME, comment: FCOMMENT, hcrc: FHCRC } as const;
    for (let k = order.indexOf(step) + 1; k < order.length; k++) {
      const s = order[k]!;
      if (s === 'fixed' || !(this.flags & flagOf[s])) continue;
      if (s === 'extra') {
        this.remaining = 2;
        this.xlen = 0;
        return 'xlen';
      }
      if (s === 'hcrc') this.remaining = 2;
      return s;
    }
    return 'done';
  }
}
