import type { Analyzer, AnalyzerOptions, ScannerName } from '../analyzers/analyzer.js';
import { PortcullisError, wrapError } from '../errors.js';
import {
  mergeLayers,
  readLayer,
  resolveLayerLimits,
  type LayerContents,
  type LayerLimits,
  type ReadLayerOptions,
} from '../layers/index.js';
// open.js, not the index: the index re-exports the registry client, whose undici should load only for registries
import { openImage } from '../source/open.js';
import type { ImageSource, SourceOptions } from '../source/index.js';
import type { Finding, Note } from '../types/finding.js';
import type { ImageMeta } from '../types/image.js';
import type { OsInfo, Package } from '../types/package.js';
import type { ScanResult } from '../types/scan.js';
import {
  analyzeWholeImage,
  collectFileResults,
  createAnalysisPlan,
  createFileRouter,
  FileResults,
  settleHistory,
  type AnalysisPlan,
  type HistoryQueue,
} from './analyze.js';
import { LayerTracker } from './history.js';
import { PathTable } from '../layers/path-table.js';
import { redactScanResult } from './redact.js';
import { createRedactor } from '../analyzers/secret/redactor.js';
import { captureReads, replayLayer, toLayerCacheKey, type LayerCache } from './layer-cache.js';

/** Post-processing steps the scan needs from the inventory and vulnerability stages. */
export interface ScanHooks {
  /** Picks one OS from every candidate the analyzers reported. */
  detectOs(candidates: { path: string; os: OsInfo }[]): OsInfo | undefined;
  /** Completes OS packages (ecosystem, purl) once the OS is known. */
  applyOs(packages: Package[], os: OsInfo | undefined): Package[];
  /** Matches packages against the vulnerability DB. */
  matchVulnerabilities?(
    packages: Package[],
    os: OsInfo | undefined,
  ): Promise<{ findings: Finding[]; notes: Note[]; dbBuiltAt?: string; dbPath?: string }>;
}

export interface ScanOptions {
  /** Scanner groups to run; `inventory` always runs. */
  scanners: ReadonlySet<ScannerName>;
  analyzers: readonly Analyzer[];
  hooks: ScanHooks;
  analyzerOptions?: AnalyzerOptions;
  source?: SourceOptions;
  layerLimits?: Partial<LayerLimits>;
  /** Layers read at once (decompression runs on libuv's pool, so this uses several cores). */
  concurrency?: number;
  onLayerProgress?: (e: {
    index: number;
    digest: string;
    bytes: number;
    total?: number;
    done: boolean;
  }) => void;
  /** Injected clock for byte-stable outputs. */
  now?: () => Date;
  /** Per-layer reads shared across scans, keyed by diffID and the analyzers (see `layer-cache.ts`). */
  layerCache?: LayerCache;
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Reads every layer once (several at a time), buffering the files some analyzer requires, without
 * analysing them.
 */
export async function readImageLayers(
  source: ImageSource,
  analyzers: readonly Analyzer[],
  options: Pick<ScanOptions, 'layerLimits' | 'concurrency' | 'onLayerProgress'>,
): Promise<LayerContents[]> {
  const wants = (path: string, header: Parameters<Analyzer['required']>[1]): boolean =>
    analyzers.some((a) => a.required(path, header));
  return readLayers(source, options, new PathTable(), () => ({ wants }));
}

/**
 * Reads every layer once and analyses each file while it streams (see `createFileRouter`): per-file
 * results wait in `results` until the merge says which files stay visible.
 */
export async function readAndAnalyzeLayers(
  source: ImageSource,
  plan: AnalysisPlan,
  results: FileResults,
  options: Pick<
    ScanOptions,
    'layerLimits' | 'concurrency' | 'onLayerProgress' | 'analyzerOptions' | 'layerCache'
  >,
): Promise<LayerContents[]> {
  const limits = resolveLayerLimits(options.layerLimits);
  const analyzerOptions = options.analyzerOptions ?? {};
  // every path of the image interned once, shared by the layers' entry tables and the history tracker
  const paths = new PathTable();
  const history: HistoryQueue = {
    tracker: new LayerTracker(source.meta.layers.length, paths),
    pending: new Map(),
  };
  const cache = options.layerCache;
  const layers = await readLayers(
    source,
    options,
    paths,
    (notes) => ({
      onFile: createFileRouter({ plan, options: analyzerOptions, limits, results, notes, history }),
    }),
    (contents) => {
      history.tracker.complete(contents);
      settleHistory(history, results, analyzerOptions);
    },
    cache && {
      cache,
      keyOf: (diffId) => toLayerCacheKey(diffId, plan.analyzers, analyzerOptions, limits),
    },
  );
  await Promise.all(results.work);
  return layers;
}

// Two layers at once keep both cores busy (one inflating, one walking tar and analysing); more only
// adds buffers in flight.
const DEFAULT_CONCURRENCY = 2;

async function readLayers(
  source: ImageSource,
  options: Pick<ScanOptions, 'layerLimits' | 'concurrency' | 'onLayerProgress'>,
  paths: PathTable,
  consumers: (notes: Note[]) => Pick<ReadLayerOptions, 'wants' | 'onFile'>,
  onDone?: (contents: LayerContents) => void,
  cached?: { cache: LayerCache; keyOf: (diffId: string) => string },
): Promise<LayerContents[]> {
  assertLayerCount(source.meta.layers.length, options.layerLimits);
  return mapLimit(source.meta.layers, options.concurrency ?? DEFAULT_CONCURRENCY, async (layer, index) => {
    try {
      const notes: Note[] = [];
      const key = cached && layer.diffId ? cached.keyOf(layer.diffId) : undefined;
      const hit = key !== undefined ? cached?.cache.get(key) : undefined;
      if (hit) {
        const contents = await replayLayer(
          hit,
          { digest: layer.digest, index },
          consumers(notes).onFile,
          paths,
        );
        contents.notes.push(...notes);
        onDone?.(contents);
        options.onLayerProgress?.({
          index,
          digest: layer.digest,
          bytes: contents.compressedBytes,
          done: true,
        });
        return contents;
      }
      const capture = key !== undefined ? captureReads(consumers(notes).onFile) : undefined;
      const blob = await source.openLayer(layer);
      const contents = await readLayer(
        blob,
        { digest: layer.digest, index },
        {
          ...(capture ? { onFile: capture.onFile } : consumers(notes)),
          ...(options.layerLimits ? { limits: options.layerLimits } : {}),
          paths,
          onProgress: (bytes) =>
            options.onLayerProgress?.({
              index,
              digest: layer.digest,
              bytes,
              ...(layer.size !== undefined ? { total: layer.size } : {}),
              done: false,
            }),
        },
      );
      if (capture && key !== undefined && cached) {
        const entry = capture.toCached(contents, contents.notes);
        if (entry) cached.cache.set(key, entry);
      }
      contents.notes.push(...notes);
      onDone?.(contents);
      options.onLayerProgress?.({ index, digest: layer.digest, bytes: contents.compressedBytes, done: true });
      return contents;
    } catch (err) {
      throw wrapError(err, `reading layer ${index + 1} (${layer.digest})`, 'LAYER_TAR_INVALID');
    }
  });
}

/** Refuses an image with more layers than `maxLayers` before a single layer is read. */
function assertLayerCount(count: number, limits: Partial<LayerLimits> | undefined): void {
  const { maxLayers } = resolveLayerLimits(limits);
  if (count > maxLayers) {
    throw new PortcullisError(
      'LAYER_LIMIT_EXCEEDED',
      `the image has ${count} layers, more than the ${maxLayers}-layer limit (maxLayers)`,
    );
  }
}

function imageSummary(meta: ImageMeta, os: OsInfo | undefined): ScanResult['image'] {
  return {
    ref: meta.ref,
    ...(meta.digest ? { digest: meta.digest } : {}),
    configDigest: meta.configDigest,
    ...(os ? { os: { family: os.family, version: os.version } } : {}),
    ...(meta.platform ? { platform: meta.platform } : {}),
    layers: meta.layers.map((l) => ({
      digest: l.digest,
      ...(l.diffId ? { diffId: l.diffId } : {}),
      ...(l.createdBy ? { createdBy: l.createdBy } : {}),
    })),
  };
}

/**
 * One scan: source → layers → analyzers → matchers. Returns plain data with every finding unsuppressed;
 * the policy decides later (and again at admission time).
 */
export async function scanImage(input: string, options: ScanOptions): Promise<ScanResult> {
  const analyzers = options.analyzers.filter(
    (a) => a.scanner === 'inventory' || options.scanners.has(a.scanner),
  );
  const analyzerOptions = options.analyzerOptions ?? {};
  const source = await openImage(input, options.source);
  try {
    const plan = createAnalysisPlan(analyzers);
    const results = new FileResults();
    const layers = await readAndAnalyzeLayers(source, plan, results, options);
    const view = mergeLayers(layers, options.layerLimits);
    const collected = await collectFileResults(plan, view, results, analyzerOptions);
    for (const l of layers) collected.notes.push(...l.notes);
    const os = options.hooks.detectOs(collected.osCandidates);
    await analyzeWholeImage(analyzers, source.meta, view, os, analyzerOptions, collected);
    const packages = options.hooks.applyOs(collected.packages, os);
    if (!os)
      collected.notes.push({
        code: 'OS_UNKNOWN',
        message: 'no OS release file found: OS packages are not matched',
      });
    let db: ScanResult['db'];
    if (options.scanners.has('vuln') && options.hooks.matchVulnerabilities) {
      const vulns = await options.hooks.matchVulnerabilities(packages, os);
      // a loop, not push(...): an image can have hundreds of thousands of vulnerability findings
      for (const f of vulns.findings) collected.findings.push(f);
      for (const n of vulns.notes) collected.notes.push(n);
      db = {
        ...(vulns.dbBuiltAt ? { builtAt: vulns.dbBuiltAt } : {}),
        ...(vulns.dbPath ? { path: vulns.dbPath } : {}),
      };
    }
    const result: ScanResult = {
      schemaVersion: 1,
      image: imageSummary(source.meta, os),
      packages,
      findings: collected.findings,
      notes: collected.notes,
      ...(db ? { db } : {}),
      analyzers: Object.fromEntries(analyzers.map((a) => [a.name, a.version])),
      scannedAt: (options.now?.() ?? new Date()).toISOString(),
    };
    // the one redaction step: nothing downstream (reports, store, push, logs) sees a raw secret
    return redactScanResult(result, createRedactor({ values: collected.secrets }));
  } finally {
    await source.close();
  }
}
