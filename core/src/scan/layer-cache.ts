import type { Analyzer, AnalyzerOptions } from '../analyzers/analyzer.js';
import type { FileConsumer, LayerContents, LayerLimits } from '../layers/index.js';
import type { ImageFile } from '../types/file.js';
import type { Note } from '../types/finding.js';

/**
 * One layer as the analyzers saw it: every entry's header, and the bytes of each file some analyzer read
 * (buffered or streamed; a consumer that stopped early got a prefix, and gets the same prefix again).
 * Replaying it through the same per-file router gives the analyzers exactly what reading the blob gave them,
 * without pulling, decompressing or walking the tar again.
 */
export interface CachedLayer {
  /** Blob digest it was read as (locations in notes name it; rewritten to the replaying image's digest). */
  layerDigest: string;
  entries: readonly Omit<ImageFile, 'content' | 'hidden' | 'layerIndex' | 'layerDigest'>[];
  /** Entry index → the bytes its consumer received. */
  read: ReadonlyMap<number, Buffer>;
  whiteouts: readonly string[];
  opaqueDirs: readonly string[];
  compression: LayerContents['compression'];
  compressedBytes: number;
  uncompressedBytes: number;
  /** The walker's own notes (not the analyzers'). */
  notes: readonly Note[];
  bytes: number;
}

/** Per-layer read results shared across scans (images sharing base layers read them once). */
export interface LayerCache {
  get(key: string): CachedLayer | undefined;
  set(key: string, layer: CachedLayer): void;
  readonly stats: { hits: number; misses: number; bytes: number; layers: number };
}

const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** A layer whose analysed files exceed this is not kept (one huge layer must not evict everything else). */
export const MAX_CACHED_LAYER_BYTES = 128 * 1024 * 1024;

/** An in-memory LRU bounded by the bytes it holds. */
export function createLayerCache(opts: { maxBytes?: number } = {}): LayerCache {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const map = new Map<string, CachedLayer>();
  const stats = { hits: 0, misses: 0, bytes: 0, layers: 0 };
  return {
    stats,
    get(key) {
      const v = map.get(key);
      if (!v) {
        stats.misses++;
        return undefined;
      }
      stats.hits++;
      map.delete(key);
      map.set(key, v); // most recently used last
      return v;
    },
    set(key, layer) {
      if (layer.bytes > maxBytes || map.has(key)) return;
      map.set(key, layer);
      stats.bytes += layer.bytes;
      for (const [k, v] of map) {
        if (stats.bytes <= maxBytes) break;
        map.delete(k);
        stats.bytes -= v.bytes;
      }
      stats.layers = map.size;
    },
  };
}

/**
 * The cache key: the layer's diffID (its uncompressed content, whatever the compression) and everything that
 * decides what the analyzers read of it and find: each analyzer's name and version, their options (the
 * policy's secret items, baseline checks, extra hash DBs) and the layer limits. Analyzers built from other
 * settings than the options say (custom rule files) must not share a cache.
 */
export function toLayerCacheKey(
  diffId: string,
  analyzers: readonly Analyzer[],
  options: AnalyzerOptions,
  limits: LayerLimits,
): string {
  const ids = analyzers.map((a) => `${a.name}@${a.version}`);
  return `${diffId}|${ids.join(',')}|${JSON.stringify(options)}|${JSON.stringify(limits)}`;
}

/** Wraps the per-file router so every byte a consumer receives is kept for the cache (up to a bound). */
export function captureReads(onFile: ((file: ImageFile) => FileConsumer | undefined) | undefined): {
  onFile: (file: ImageFile) => FileConsumer | undefined;
  toCached: (contents: LayerContents, walkerNotes: readonly Note[]) => CachedLayer | undefined;
} {
  const read = new Map<ImageFile, Buffer[]>();
  let bytes = 0;
  let tooBig = false;
  return {
    onFile(file) {
      const consumer = onFile?.(file);
      if (!consumer) return undefined;
      const chunks: Buffer[] = [];
      read.set(file, chunks);
      return {
        write(chunk) {
          if (!tooBig) {
            bytes += chunk.length;
            if (bytes > MAX_CACHED_LAYER_BYTES) tooBig = true;
            else chunks.push(Buffer.from(chunk));
          }
          return consumer.write(chunk);
        },
        end: () => consumer.end(),
      };
    },
    toCached(contents, walkerNotes) {
      if (tooBig) return undefined;
      const byIndex = new Map<number, Buffer>();
      contents.entries.forEach((e, i) => {
        const chunks = read.get(e);
        if (chunks) byIndex.set(i, Buffer.concat(chunks));
      });
      return {
        layerDigest: contents.digest,
        entries: contents.entries.map(
          ({ content: _c, hidden: _h, layerIndex: _i, layerDigest: _d, ...header }) => header,
        ),
        read: byIndex,
        whiteouts: [...contents.whiteouts],
        opaqueDirs: [...contents.opaqueDirs],
        compression: contents.compression,
        compressedBytes: contents.compressedBytes,
        uncompressedBytes: contents.uncompressedBytes,
        notes: walkerNotes.map((n) => ({ ...n })),
        bytes,
      };
    },
  };
}

/** Feeds a cached layer through the router as if its blob were read again (same order, same bytes). */
export async function replayLayer(
  cached: CachedLayer,
  layer: { digest: string; index: number },
  onFile: ((file: ImageFile) => FileConsumer | undefined) | undefined,
): Promise<LayerContents> {
  const rename = (s: string): string => s.split(cached.layerDigest).join(layer.digest);
  const entries: ImageFile[] = cached.entries.map((h) => ({
    ...h,
    layerDigest: layer.digest,
    layerIndex: layer.index,
  }));
  for (const [i, file] of entries.entries()) {
    if (file.kind !== 'file' || !onFile) continue;
    const consumer = onFile(file);
    if (!consumer) continue;
    const bytes = cached.read.get(i);
    if (bytes && bytes.length > 0) consumer.write(bytes);
    await consumer.end();
  }
  return {
    digest: layer.digest,
    index: layer.index,
    entries,
    whiteouts: [...cached.whiteouts],
    opaqueDirs: [...cached.opaqueDirs],
    compression: cached.compression,
    compressedBytes: cached.compressedBytes,
    uncompressedBytes: cached.uncompressedBytes,
    notes: cached.notes.map((n) => ({
      ...n,
      message: rename(n.message),
      ...(n.layerDigest !== undefined ? { layerDigest: rename(n.layerDigest) } : {}),
    })),
  };
}
