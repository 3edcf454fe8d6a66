import type { Duplex, Readable } from 'node:stream';
import { PortcullisError, isPortcullisError } from '../errors.js';
import type { EntryKind, FileHeader, ImageFile } from '../types/file.js';
import type { Note } from '../types/finding.js';
import {
  createDecompressor,
  sniffCompression,
  toDecompressError,
  type Compression,
  type Decompressor,
} from './decompress.js';
import { resolveLayerLimits, type LayerLimits } from './limits.js';
import { TarParser, isThenable, type TarDataSink, type TarHeader } from './tar-parser.js';
import { ZstdWindowGuard } from './zstd-frames.js';
import { EntryTable } from './entry-table.js';
import { PathTable } from './path-table.js';
import { boundYoungGeneration } from './young-generation.js';
import { installChunkPool, releaseInflated, releaseRead } from '../chunk-pool.js';
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

/**
 * The entry kind of a typeflag. Unknown flags count as regular files (their data is analysed: scanning
 * more is the safe side); a V7 regular file whose name ends in `/` is a directory, as in Go's reader.
 */
function toKind(typeflag: string, name: string): EntryKind {
  switch (typeflag) {
    case '0':
    case '7':
      return 'file';
    case '\0':
      return name.endsWith('/') ? 'dir' : 'file';
    case '5':
      return 'dir';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
    case '4':
    case '6':
      return 'other';
    default:
      return 'file';
  }
}

/**
 * Streams one layer blob once (which its source verifies against the layer's digest: gzip's CRC-32 is not
 * checked again, see `gzip-members.ts`): sniffs and decompresses it, parses its tar entries as the chunks arrive
 * (`TarParser`: no stream object per entry), records every header, hands regular files to their consumers
 * or buffers wanted ones, and records whiteouts by file *name* (never by regex on the whole path).
 */
export async function readLayer(
  blob: Readable,
  layer: { digest: string; index: number },
  options: ReadLayerOptions,
): Promise<LayerContents> {
  const limits = resolveLayerLimits(options.limits);
  boundYoungGeneration();
  installChunkPool();
  const table = new EntryTable(options.paths ?? new PathTable(), layer.digest, layer.index);
  const result = createLayerContents(table, {
    whiteouts: [],
    opaqueDirs: [],
    compression: 'none',
    compressedBytes: 0,
    uncompressedBytes: 0,
    notes: [],
  });
  let buffered = 0;

  // every entry counts, whiteouts too: a layer of millions of `.wh.` names must not grow memory unchecked
  let entries = 0;
  const onEntry = (header: TarHeader): TarDataSink | undefined => {
    if (++entries > limits.maxEntries) {
      throw new PortcullisError(
        'LAYER_LIMIT_EXCEEDED',
        `more than ${limits.maxEntries} entries in one layer`,
      );
    }
    const path = toImagePath(header.name, limits.maxPathLength);
    const name = baseName(path);
    if (name === OPAQUE_WHITEOUT) {
      result.opaqueDirs.push(parentOf(path));
      return undefined;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      const dir = parentOf(path);
      result.whiteouts.push((dir === '/' ? '' : dir) + '/' + name.slice(WHITEOUT_PREFIX.length));
      return undefined;
    }
    const kind = toKind(header.typeflag, header.name);
    let linkname: string | undefined;
    if (kind === 'hardlink' && header.linkname) linkname = toImagePath(header.linkname, limits.maxPathLength);
    else if (header.linkname) linkname = header.linkname;
    const file: ImageFile = {
      path,
      kind,
      mode: header.mode,
      size: header.size,
      uid: header.uid,
      gid: header.gid,
      ...(linkname !== undefined ? { linkname } : {}),
      ...(Number.isFinite(header.mtime) ? { mtime: new Date(header.mtime * 1000) } : {}),
      layerDigest: layer.digest,
      layerIndex: layer.index,
    };
    const ordinal = table.add(file);
    if (kind !== 'file') return undefined;
    if (options.onFile) return consume(file, ordinal);
    if (!options.wants?.(path, file)) return undefined;
    if (file.size > limits.maxFileBuffer || buffered + file.size > limits.maxBufferedPerLayer) {
      result.notes.push({
        code: 'LAYER_FILE_TOO_LARGE',
        message: `${path} (${file.size} bytes) exceeds the per-file buffer limit; not analysed`,
        path,
        layerDigest: layer.digest,
      });
      return undefined;
    }
    // one allocation of the announced size: the parser delivers exactly that many bytes
    const content = Buffer.allocUnsafe(file.size);
    let got = 0;
    return {
      write(chunk) {
        chunk.copy(content, got);
        got += chunk.length;
      },
      end() {
        file.content = content;
        buffered += content.length;
        table.pin(ordinal, file);
      },
    };
  };
  const consume = (file: ImageFile, ordinal: number): TarDataSink | undefined => {
    const consumer = options.onFile?.(file, ordinal);
    if (!consumer) return undefined;
    let open = true;
    let failure: unknown;
    return {
      write(chunk) {
        if (!open) return;
        try {
          if (consumer.write(chunk) === false) open = false;
        } catch (err) {
          failure = err;
          open = false;
        }
      },
      end() {
        if (failure !== undefined) return Promise.reject(failure);
        const done = consumer.end();
        const keep = (): void => {
          if (file.content !== undefined || consumer.retain?.()) table.pin(ordinal, file);
        };
        if (!isThenable(done)) {
          keep();
          return undefined;
        }
        return done.then(keep);
      },
    };
  };
  const parser = new TarParser(onEntry);

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    let compression: Compression | undefined;
    let head: Buffer[] = [];
    let headBytes = 0;
    let compressedBytes = 0;
    let uncompressedBytes = 0;
    let inflate: Decompressor | undefined;
    let guard: ZstdWindowGuard | undefined;
    /** The parse of the chunk a sink is holding, if any: the end waits for it. */
    let holding: PromiseLike<void> | undefined;

    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      blob.destroy();
      guard?.destroy();
      inflate?.destroy();
      reject(err);
    };
    const finish = (): void => {
      if (settled) return;
      if (holding) {
        holding.then(finish, () => undefined);
        return;
      }
      try {
        parser.end();
      } catch (err) {
        fail(err);
        return;
      }
      settled = true;
      result.compression = compression ?? 'none';
      result.compressedBytes = compressedBytes;
      result.uncompressedBytes = uncompressedBytes;
      resolve();
    };
    /** The tar parser is done with `chunk` (from `source`): its buffer can be reused (chunk-pool.ts). */
    const release = (chunk: Buffer, source: Readable): void => {
      if (source === blob) releaseRead(chunk);
      else if (compression === 'gzip') releaseInflated(chunk, source);
    };
    /** Uncompressed bytes: limits, then the tar parser; `source` pauses while a sink holds the parser. */
    const parse = (chunk: Buffer, source: Readable): void => {
      if (settled) return;
      uncompressedBytes += chunk.length;
      try {
        if (uncompressedBytes > limits.maxLayerBytes) {
          throw new PortcullisError(
            'LAYER_LIMIT_EXCEEDED',
            `layer expands past ${limits.maxLayerBytes} bytes`,
          );
        }
        if (compression !== 'none' && uncompressedBytes > limits.ratioFloorBytes) {
          if (uncompressedBytes / Math.max(1, compressedBytes) > limits.maxRatio) {
            throw new PortcullisError(
              'LAYER_LIMIT_EXCEEDED',
              `decompression ratio above ${limits.maxRatio}:1 (possible decompression bomb)`,
            );
          }
        }
        const pending = parser.write(chunk);
        if (!pending) {
          release(chunk, source);
          return;
        }
        source.pause();
        const current = pending.then(
          () => {
            if (holding === current) holding = undefined;
            release(chunk, source);
            if (!settled) source.resume();
          },
          (err: unknown) => fail(toTarError(err)),
        );
        holding = current;
      } catch (err) {
        fail(toTarError(err));
      }
    };
    /** Compressed bytes, once the compression is known. */
    const feed = (chunk: Buffer): void => {
      if (compression === 'none') {
        parse(chunk, blob);
        return;
      }
      const sink = guard ?? inflate!;
      // gunzip is done with its input when the write is (zstd's frame guard passes it on: not then)
      const done = compression === 'gzip' ? (err?: Error | null) => err || releaseRead(chunk) : undefined;
      if (!sink.write(chunk, done)) {
        blob.pause();
        sink.once('drain', () => {
          if (!settled) blob.resume();
        });
      }
    };
    const start = (): void => {
      const first = head.length === 1 ? head[0]! : Buffer.concat(head);
      head = [];
      compression = sniffCompression(first);
      if (compression !== 'none') {
        const decompressor = createDecompressor(compression);
        inflate = decompressor;
        decompressor.on('error', (err) => fail(toDecompressError(err, compression!)));
        // gzip names the member's inflater: that one pauses, and its buffers go back to the pool
        decompressor.on('data', (chunk: Buffer, from?: Duplex) =>
          parse(chunk, from ?? (decompressor as Duplex)),
        );
        decompressor.on('end', finish);
        if (compression === 'zstd') {
          // zstd frames are checked before the decoder sees them: it allocates the window a header asks for
          guard = new ZstdWindowGuard(limits.maxZstdWindowBytes);
          guard.on('error', fail);
          guard.pipe(decompressor as Duplex);
        }
      }
      if (first.length > 0) feed(first);
    };
    blob.on('error', (err) => fail(err));
    blob.on('data', (chunk: Buffer) => {
      if (settled) return;
      compressedBytes += chunk.length;
      options.onProgress?.(compressedBytes);
      if (compression !== undefined) {
        feed(chunk);
        return;
      }
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes >= 4) start();
    });
    blob.on('end', () => {
      if (settled) return;
      if (compression === undefined) start();
      if (compression === 'none') finish();
      else (guard ?? inflate!).end();
    });
  });
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
