import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract as createExtract, type Header as Headers } from 'tar-stream';
import { PortcullisError, isPortcullisError } from '../errors.js';
import type { EntryKind, FileHeader, ImageFile } from '../types/file.js';
import type { Note } from '../types/finding.js';
import { createDecompressor, sniffCompression, toDecompressError, type Compression } from './decompress.js';
import { resolveLayerLimits, type LayerLimits } from './limits.js';
import { ZstdWindowGuard } from './zstd-frames.js';
import { EntryTable } from './entry-table.js';
import { PathTable } from './path-table.js';
import { boundYoungGeneration } from './young-generation.js';
import { baseName, parentOf, toImagePath } from './path.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** Everything read from one layer: every entry's header, content only where some analyzer asked. */
export interface LayerContents {
  digest: string;
  index: number;
  /**
   * Every entry as an `ImageFile`, in tar order. A layer read by `readLayer` keeps its entries in `table`
   * and builds this array on each access (the objects analyzers handled are the same ones): call it
   * sparingly on large layers.
   */
  readonly entries: readonly ImageFile[];
  /** The entries as compact columns (set by `readLayer`; hand-made contents may give `entries` only). */
  table?: EntryTable;
  /** Paths deleted from lower layers by `.wh.<name>` entries. */
  whiteouts: string[];
  /** Directories whose lower-layer children are hidden by `.wh..wh..opq`. */
  opaqueDirs: string[];
  compression: Compression;
  compressedBytes: number;
  uncompressedBytes: number;
  notes: Note[];
}

/** Receives one regular file's content as it streams past (returned by `ReadLayerOptions.onFile`). */
export interface FileConsumer {
  /** The next chunk, in order. Return `false` once no more bytes are needed: the rest streams past. */
  write(chunk: Buffer): boolean | void;
  /** The file has ended (or the consumer stopped early). Awaited before the next entry is read. */
  end(): void | Promise<void>;
  /**
   * Asked after `end`: true when results refer to this `ImageFile` object, so the layer keeps it as the
   * entry (a file with `content` is always kept). Every other entry is kept as compact columns only.
   */
  retain?(): boolean;
}

export interface ReadLayerOptions {
  /** True when some analyzer needs this entry's content buffered. Called for every regular file: keep it cheap. */
  wants?: (path: string, header: FileHeader) => boolean;
  /**
   * Called for every regular file once its header is known; a returned consumer gets the content as it
   * streams (no buffering by the walker). Takes precedence over `wants`; the consumer enforces its own
   * buffer limits.
   */
  onFile?: (file: ImageFile, ordinal: number) => FileConsumer | undefined;
  limits?: Partial<LayerLimits>;
  /** Paths interned for the whole image (one table shared by its layers); a new one when not given. */
  paths?: PathTable;
  /** Compressed bytes consumed so far for this layer. */
  onProgress?: (compressedBytes: number) => void;
}

function toKind(type: Headers['type']): EntryKind {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Counts bytes on both sides of the decompressor and enforces the size and ratio limits. */
class ByteMeter extends Transform {
  bytes = 0;
  constructor(
    private readonly check: (bytes: number) => void,
    private readonly progress?: (bytes: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    try {
      this.check(this.bytes);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.progress?.(this.bytes);
    cb(null, chunk);
  }
}

/** Reads the first bytes of a stream without losing them, to sniff the compression. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  while (size < n) {
    const { value, done } = await iterator.next();
    if (done) break;
    const buf = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
    chunks.push(buf);
    size += buf.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new Transform({
    transform(chunk, _enc, cb) {
      cb(null, chunk);
    },
  });
  rest.write(head);
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) break;
        if (!rest.write(value)) await new Promise((r) => rest.once('drain', r));
      }
      rest.end();
    } catch (err) {
      rest.destroy(err as Error);
    }
  })();
  return { head, rest };
}

/**
 * Streams one layer blob once: sniffs and decompresses it, walks its tar entries, records every header,
 * buffers only wanted files, and records whiteouts by file *name* (never by regex on the whole path).
 */
export async function readLayer(
  blob: Readable,
  layer: { digest: string; index: number },
  options: ReadLayerOptions,
): Promise<LayerContents> {
  const limits = resolveLayerLimits(options.limits);
  boundYoungGeneration();
  const { head, rest } = await peek(blob, 4);
  const compression = sniffCompression(head);
  const table = new EntryTable(options.paths ?? new PathTable(), layer.digest, layer.index);
  const result = createLayerContents(table, {
    whiteouts: [],
    opaqueDirs: [],
    compression,
    compressedBytes: 0,
    uncompressedBytes: 0,
    notes: [],
  });

  const compressedMeter = new ByteMeter(() => undefined, options.onProgress);
  const uncompressedMeter = new ByteMeter((bytes) => {
    if (bytes > limits.maxLayerBytes) {
      throw new PortcullisError('LAYER_LIMIT_EXCEEDED', `layer expands past ${limits.maxLayerBytes} bytes`);
    }
    if (compression !== 'none' && bytes > limits.ratioFloorBytes) {
      const ratio = bytes / Math.max(1, compressedMeter.bytes);
      if (ratio > limits.maxRatio) {
        throw new PortcullisError(
          'LAYER_LIMIT_EXCEEDED',
          `decompression ratio above ${limits.maxRatio}:1 (possible decompression bomb)`,
        );
      }
    }
  });
  const decompressor = createDecompressor(compression);
  // zstd frames are checked before the decoder sees them: it allocates the window a header asks for
  const guard = compression === 'zstd' ? new ZstdWindowGuard(limits.maxZstdWindowBytes) : undefined;
  const extract = createExtract();
  let buffered = 0;

  const onEntry = (header: Headers, stream: Readable, next: (err?: Error | null) => void): void => {
    // the extract stream reports failures; the entry stream repeats them and must not crash the process
    stream.on('error', () => undefined);
    let path: string;
    try {
      if (table.length >= limits.maxEntries) {
        throw new PortcullisError(
          'LAYER_LIMIT_EXCEEDED',
          `more than ${limits.maxEntries} entries in one layer`,
        );
      }
      path = toImagePath(header.name, limits.maxPathLength);
    } catch (err) {
      stream.resume();
      next(err as Error);
      return;
    }
    const name = baseName(path);
    if (name === OPAQUE_WHITEOUT) {
      result.opaqueDirs.push(parentOf(path));
      stream.on('end', () => next()).resume();
      return;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const dir = parentOf(path);
      result.whiteouts.push((dir === '/' ? '' : dir) + '/' + name.slice(WHITEOUT_PREFIX.length));
      stream.on('end', () => next()).resume();
      return;
    }
    const kind = toKind(header.type);
    let linkname: string | undefined;
    if (kind === 'hardlink' && header.linkname) {
      try {
        linkname = toImagePath(header.linkname, limits.maxPathLength);
      } catch (err) {
        stream.resume();
        next(err as Error);
        return;
      }
    } else if (header.linkname) {
      linkname = header.linkname;
    }
    const file: ImageFile = {
      path,
      kind,
      mode: header.mode ?? 0,
      size: header.size ?? 0,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      ...(linkname !== undefined ? { linkname } : {}),
      ...(header.mtime ? { mtime: header.mtime } : {}),
      layerDigest: layer.digest,
      layerIndex: layer.index,
    };
    const ordinal = table.add(file);
    if (kind === 'file' && options.onFile) {
      consume(file, ordinal, stream, next);
      return;
    }
    if (kind !== 'file' || !options.wants?.(path, file)) {
      stream.on('end', () => next()).resume();
      return;
    }
    if (file.size > limits.maxFileBuffer || buffered + file.size > limits.maxBufferedPerLayer) {
      result.notes.push({
        code: 'LAYER_FILE_TOO_LARGE',
        message: `${path} (${file.size} bytes) exceeds the per-file buffer limit; not analysed`,
        path,
        layerDigest: layer.digest,
      });
      stream.on('end', () => next()).resume();
      return;
    }
    const chunks: Buffer[] = [];
    let got = 0;
    stream.on('data', (chunk: Buffer) => {
      got += chunk.length;
      // the header size bounds this, but a lying header must not make us buffer without limit
      if (got <= file.size) chunks.push(chunk);
    });
    stream.on('end', () => {
      file.content = Buffer.concat(chunks);
      buffered += file.content.length;
      table.pin(ordinal, file);
      next();
    });
  };
  const consume = (
    file: ImageFile,
    ordinal: number,
    stream: Readable,
    next: (err?: Error | null) => void,
  ): void => {
    let consumer: FileConsumer | undefined;
    try {
      consumer = options.onFile?.(file, ordinal);
    } catch (err) {
      stream.resume();
      next(err as Error);
      return;
    }
    if (!consumer) {
      stream.on('end', () => next()).resume();
      return;
    }
    const sink = consumer;
    let open = true;
    let got = 0;
    let failure: Error | undefined;
    stream.on('data', (chunk: Buffer) => {
      if (!open) return;
      // a lying header must not feed a consumer more than the size it was promised
      const room = file.size - got;
      got += chunk.length;
      const part = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      try {
        if (part.length > 0 && sink.write(part) === false) open = false;
      } catch (err) {
        failure = err as Error;
        open = false;
      }
      if (got >= file.size) open = false;
    });
    stream.on('end', () => {
      if (failure) {
        next(failure);
        return;
      }
      Promise.resolve()
        .then(() => sink.end())
        .then(
          () => {
            if (file.content !== undefined || sink.retain?.()) table.pin(ordinal, file);
            next();
          },
          (err: unknown) => next(err as Error),
        );
    });
  };
  extract.on('entry', (header, stream, next) => onEntry(header, stream as unknown as Readable, next));

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      for (const s of [rest, compressedMeter, guard, decompressor, uncompressedMeter, extract]) s?.destroy();
      reject(err);
    };
    rest.on('error', (err) => fail(err));
    compressedMeter.on('error', fail);
    guard?.on('error', fail);
    decompressor.on('error', (err) => fail(toDecompressError(err, compression)));
    uncompressedMeter.on('error', fail);
    extract.on('error', (err) => fail(toTarError(err)));
    extract.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    const compressed = guard ? compressedMeter.pipe(guard) : compressedMeter;
    rest.pipe(compressedMeter);
    compressed.pipe(decompressor).pipe(uncompressedMeter).pipe(extract);
  });
  result.compressedBytes = compressedMeter.bytes;
  result.uncompressedBytes = uncompressedMeter.bytes;
  return result;
}

/** Layer contents over `table`, with `entries` built from it on access. */
export function createLayerContents(
  table: EntryTable,
  rest: Omit<LayerContents, 'entries' | 'table' | 'digest' | 'index'>,
): LayerContents {
  const contents = { digest: table.layerDigest, index: table.layerIndex, table, ...rest };
  Object.defineProperty(contents, 'entries', { get: () => table.files(), enumerable: false });
  return contents as LayerContents;
}

function toTarError(err: unknown): PortcullisError {
  if (isPortcullisError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/unexpected end/i.test(message)) {
    return new PortcullisError('LAYER_TRUNCATED', `tar stream ends early (truncated layer)`, { cause: err });
  }
  return new PortcullisError('LAYER_TAR_INVALID', `invalid tar stream: ${message}`, { cause: err });
}
