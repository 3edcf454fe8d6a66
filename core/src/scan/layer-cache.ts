import type { Analyzer, AnalyzerOptions } from '../analyzers/analyzer.js';
import type { FileConsumer, LayerContents, LayerLimits } from '../layers/index.js';
import { EntryTable } from '../layers/entry-table.js';
import type { PathTable } from '../layers/path-table.js';
import { createLayerContents } from '../layers/walker.js';
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
export function captureReads(onFile: OnFile | undefined): {
  onFile: OnFile;
  toCached: (contents: LayerContents, walkerNotes: readonly Note[]) => CachedLayer | undefined;
} {
  // by entry ordinal: the layer keeps most entries as columns, not as the objects the router saw
  const read = new Map<number, Buffer[]>();
  let bytes = 0;
  let tooBig = false;
  return {
    onFile(file, ordinal) {
      const consumer = onFile?.(file, ordinal);
      if (!consumer) return undefined;
      const chunks: Buffer[] = [];
      read.set(ordinal, chunks);
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
        retain: () => consumer.retain?.() ?? false,
      };
    },
    toCached(contents, walkerNotes) {
      if (tooBig) return undefined;
      const byIndex = new Map<number, Buffer>();
      for (const [i, chunks] of read) byIndex.set(i, Buffer.concat(chunks));
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
  onFile: OnFile | undefined,
  paths: PathTable,
): Promise<LayerContents> {
  const rename = (s: string): string => s.split(cached.layerDigest).join(layer.digest);
  const table = new EntryTable(paths, layer.digest, layer.index);
  for (const header of cached.entries) {
    const file: ImageFile = { ...header, layerDigest: layer.digest, layerIndex: layer.index };
    const i = table.add(file);
    if (file.kind !== 'file' || !onFile) continue;
    const consumer = onFile(file, i);
    if (!consumer) continue;
    const bytes = cached.read.get(i);
    if (bytes && bytes.length > 0) consumer.write(bytes);
    await consumer.end();
    // as the walker does: the objects results refer to stay the entries
    if (file.content !== undefined || consumer.retain?.()) table.pin(i, file);
  }
  return createLayerContents(table, {
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
  });
}

type OnFile = (file: ImageFile, ordinal: number) => FileConsumer | undefined;
