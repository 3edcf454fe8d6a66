import * as crypto from 'node:crypto';
import type {
  Analyzer,
  AnalysisResult,
  AnalyzerOptions,
  FileSink,
  ImageContext,
} from '../analyzers/analyzer.js';
import { INVENTORY_INCOMPLETE } from '../analyzers/pkg/record.js';
import { sha256Once } from '../analyzers/content-cache.js';
import { wrapError } from '../errors.js';
import type { FileConsumer, LayerLimits, MergedView } from '../layers/index.js';
import type { ImageFile } from '../types/file.js';
import type { Finding, Note } from '../types/finding.js';
import type { ImageMeta } from '../types/image.js';
import type { OsInfo, Package } from '../types/package.js';
import type { HiddenStatus, LayerTracker } from './history.js';

/** What the analyzers found, gathered from every call. */
export interface Collected {
  /** Every OS release file read, with its path (precedence is decided later). */
  osCandidates: { path: string; os: OsInfo }[];
  packages: Package[];
  findings: Finding[];
  notes: Note[];
  /** Raw secret values, for the final redaction only. */
  secrets: Set<string>;
}

export function createCollected(): Collected {
  return { osCandidates: [], packages: [], findings: [], notes: [], secrets: new Set() };
}

function collect(into: Collected, result: AnalysisResult | undefined, path = ''): void {
  if (!result) return;
  if (result.os) into.osCandidates.push({ path, os: result.os });
  // loops, not push(...list): an analyzer may return more items than a call takes arguments
  if (result.packages) for (const p of result.packages) into.packages.push(p);
  if (result.findings) for (const f of result.findings) into.findings.push(f);
  if (result.notes) for (const n of result.notes) into.notes.push(n);
  if (result.secrets) for (const v of result.secrets) into.secrets.add(v);
}

// one unreadable file never fails the scan: it becomes a note the user sees
function toFailure(err: unknown, analyzer: Analyzer, file: ImageFile): AnalysisResult {
  const e = wrapError(err, `${analyzer.name} analyzer on ${file.path}`, 'ANALYZER_PARSE_FAILED');
  return { notes: [{ code: e.code, message: e.message, path: file.path, layerDigest: file.layerDigest }] };
}

async function runOne(
  analyzer: Analyzer,
  file: ImageFile,
  options: AnalyzerOptions,
): Promise<AnalysisResult | undefined> {
  try {
    return await analyzer.analyze?.(file, options);
  } catch (err) {
    return toFailure(err, analyzer, file);
  }
}

/**
 * How analyzers take part in the per-file step. Files are analysed while their layer streams, except
 * for history analyzers that read buffered content: they must know whether a later layer hides the
 * file, so their files wait for the merge (`deferred`).
 */
export interface AnalysisPlan {
  analyzers: readonly Analyzer[];
  /** History analyzers that read buffered content (also streaming ones when a file is not streamed). */
  deferred: readonly Analyzer[];
}

export function createAnalysisPlan(analyzers: readonly Analyzer[]): AnalysisPlan {
  return { analyzers, deferred: analyzers.filter((a) => a.analyze && a.history) };
}

/** Per-file results found while layers stream, before anyone knows which files stay visible. */
export class FileResults {
  private readonly byFile = new Map<ImageFile, Map<Analyzer, AnalysisResult | undefined>>();
  /** The `hidden` status history analyzers were given for a file analysed before the merge. */
  readonly statusGiven = new Map<ImageFile, HiddenStatus>();
  /** History analysis started when a layer completed; awaited before the merge. */
  readonly work: Promise<void>[] = [];

  /** True when some analyzer handled `file`. */
  hasFile(file: ImageFile): boolean {
    return this.byFile.has(file);
  }

  add(file: ImageFile, analyzer: Analyzer, result: AnalysisResult | undefined): void {
    let m = this.byFile.get(file);
    if (!m) this.byFile.set(file, (m = new Map()));
    m.set(analyzer, result);
  }

  /** True when `analyzer` already handled `file` (even with no result). */
  has(file: ImageFile, analyzer: Analyzer): boolean {
    return this.byFile.get(file)?.has(analyzer) ?? false;
  }

  get(file: ImageFile, analyzer: Analyzer): AnalysisResult | undefined {
    return this.byFile.get(file)?.get(analyzer);
  }
}

/**
 * History analyzers' files waiting for the layers above theirs, per layer index. When those are read, the
 * files' `hidden` status is known and they are analysed (see `settleHistory`).
 */
export interface HistoryQueue {
  tracker: LayerTracker;
  pending: Map<number, { file: ImageFile; analyzers: Analyzer[]; keep: boolean }[]>;
}

async function analyzeHistory(
  file: ImageFile,
  analyzers: readonly Analyzer[],
  keep: boolean,
  ctx: { history: HistoryQueue; results: FileResults; options: AnalyzerOptions },
): Promise<void> {
  const status = ctx.history.tracker.hiddenStatus(file.path, file.layerIndex);
  ctx.results.statusGiven.set(file, status);
  const view = status ? { ...file, hidden: status } : file;
  for (const a of analyzers) ctx.results.add(file, a, await runOne(a, view, ctx.options));
  if (!keep) delete file.content;
}

/** Analyses the waiting files of every layer whose upper layers are all read now. */
export function settleHistory(history: HistoryQueue, results: FileResults, options: AnalyzerOptions): void {
  // only the layers settled by this completion: a walk over every pending layer each time was quadratic
  for (const index of history.tracker.takeSettled()) {
    const files = history.pending.get(index);
    if (!files) continue;
    history.pending.delete(index);
    results.work.push(
      (async () => {
        for (const f of files)
          await analyzeHistory(f.file, f.analyzers, f.keep, { history, results, options });
      })(),
    );
  }
}

interface RouterContext {
  plan: AnalysisPlan;
  /** When set, history analyzers run before the merge, as soon as the layers above a file are read. */
  history?: HistoryQueue;
  options: AnalyzerOptions;
  limits: Pick<LayerLimits, 'maxFileBuffer' | 'maxBufferedPerLayer'>;
  results: FileResults;
  /** Notes about this layer (files over the buffer limit). */
  notes: Note[];
}

/**
 * Decides, per regular file of one layer, who reads it: streaming sinks get chunks as they pass, eager
 * analyzers get the buffered file once it ends, and the content is dropped right after unless a deferred
 * or whole-image analyzer still needs it. So at most the files still needed are held, not every one.
 */
export function createFileRouter(ctx: RouterContext): (file: ImageFile) => FileConsumer | undefined {
  const { plan, options, limits, results, notes, history } = ctx;
  let buffered = 0;
  return (file) => {
    // `required` once per analyzer and file: this runs for every regular file of the image
    const eager: Analyzer[] = [];
    const historic: Analyzer[] = [];
    const sinks: { analyzer: Analyzer; sink: FileSink; open: boolean }[] = [];
    let keep = false;
    let forImage = false;
    for (const analyzer of plan.analyzers) {
      if (!analyzer.required(file.path, file)) continue;
      // its whole-image step may read the content (the secret analyzer's reads only the image config)
      if (analyzer.analyzeImage && readsAtImage(analyzer, file.path)) keep = forImage = true;
      let sink: FileSink | undefined;
      try {
        sink = analyzer.stream?.(file, options);
      } catch (err) {
        results.add(file, analyzer, toFailure(err, analyzer, file));
        continue;
      }
      if (sink) sinks.push({ analyzer, sink, open: true });
      // not streamed: buffered for `analyze`, right away or (history analyzers) after the merge
      else if (analyzer.analyze && !analyzer.history) eager.push(analyzer);
      else if (analyzer.analyze) {
        historic.push(analyzer);
        keep = true;
      }
    }
    let buffer = eager.length > 0 || keep;
    if (buffer && (file.size > limits.maxFileBuffer || buffered + file.size > limits.maxBufferedPerLayer)) {
      notes.push({
        code: 'LAYER_FILE_TOO_LARGE',
        message: `${file.path} (${file.size} bytes) exceeds the per-file buffer limit; not analysed`,
        path: file.path,
        layerDigest: file.layerDigest,
      });
      // a package database padded past the limit must not hide its packages (and their vulnerabilities)
      if ([...eager, ...historic].some((a) => a.scanner === 'inventory'))
        notes.push({
          code: INVENTORY_INCOMPLETE,
          message: `${file.path}: the package list (${file.size} bytes) is over the buffer limit and was not read: installed packages may be missing, so vulnerabilities were not fully checked`,
          path: file.path,
          layerDigest: file.layerDigest,
        });
      buffer = false;
    }
    if (!buffer && sinks.length === 0) return undefined;
    // one allocation of the announced size (the walker never delivers more): no chunk list, no concat
    const content = buffer ? Buffer.allocUnsafe(file.size) : undefined;
    if (content) buffered += file.size;
    let length = 0;
    let openSinks = sinks.length;
    // one SHA-256 for every sink that caches by content; dropped once none of them reads on
    let digestReaders = sinks.filter((s) => s.sink.wantsDigest).length;
    const digest = digestReaders > 0 ? new FileDigest(file.size) : undefined;
    const close = (s: (typeof sinks)[number]): void => {
      s.open = false;
      openSinks--;
      if (s.sink.wantsDigest && --digestReaders === 0) digest?.drop();
    };
    /** Drops the content once read, unless a whole-image step still reads it. */
    const release = (): void => {
      if (keep || !content) return;
      delete file.content;
      buffered -= file.size;
    };
    /** The analyzers that read the buffered content, awaited (the history ones maybe after the merge). */
    async function settle(): Promise<void> {
      for (const a of eager) results.add(file, a, await runOne(a, file, options));
      if (historic.length > 0 && history) {
        if (history.tracker.isSettled(file.layerIndex)) {
          await analyzeHistory(file, historic, forImage, { history, results, options });
          if (!forImage) buffered -= file.size;
        } else {
          // held (and counted against this layer's buffer limit) until the layers above are read
          const queue = history.pending.get(file.layerIndex) ?? [];
          queue.push({ file, analyzers: historic, keep: forImage });
          history.pending.set(file.layerIndex, queue);
        }
        return;
      }
      release();
    }
    return {
      write(chunk) {
        if (content) {
          chunk.copy(content, length);
          length += chunk.length;
        }
        digest?.update(chunk);
        for (const s of sinks) {
          if (!s.open) continue;
          try {
            if (s.sink.write(chunk) === false) close(s);
          } catch (err) {
            close(s);
            results.add(file, s.analyzer, toFailure(err, s.analyzer, file));
          }
        }
        return content !== undefined || openSinks > 0;
      },
      // synchronous unless an analyzer must be awaited: a promise and a microtask per file add up
      // over the hundreds of thousands of files of a large image
      end() {
        const sum = digest?.digest();
        for (const s of sinks) {
          if (results.has(file, s.analyzer)) continue;
          let result: AnalysisResult | undefined;
          try {
            result = s.sink.end(s.open && s.sink.wantsDigest ? sum : undefined);
          } catch (err) {
            result = toFailure(err, s.analyzer, file);
          }
          // most files yield nothing: remembering them would grow with the image for no result
          if (!isEmptyResult(result)) results.add(file, s.analyzer, result);
        }
        if (!content) return undefined;
        file.content = length === content.length ? content : content.subarray(0, length);
        if (eager.length === 0 && !(historic.length > 0 && history)) {
          release();
          return undefined;
        }
        return settle();
      },
      // the layer keeps this object (not just its header) only when some result refers to it
      retain: () => results.hasFile(file),
    };
  };
}

/**
 * One file's SHA-256 as it streams. A file that arrives in one chunk (most do) is hashed in a single call
 * when it ends — the end follows that write at once, before the chunk's memory can be reused — and a `Hash`
 * object is made only for files that come in several chunks.
 */
class FileDigest {
  private whole: Buffer | undefined;
  private hash: crypto.Hash | undefined;
  private dropped = false;

  constructor(private readonly size: number) {}

  update(chunk: Buffer): void {
    if (this.dropped) return;
    if (this.hash === undefined && this.whole === undefined && chunk.length === this.size) {
      this.whole = chunk;
      return;
    }
    this.hash ??= crypto.createHash('sha256');
    this.hash.update(chunk);
  }

  /** No reader wants the digest any more. */
  drop(): void {
    this.dropped = true;
    this.whole = this.hash = undefined;
  }

  digest(): Buffer | undefined {
    if (this.dropped) return undefined;
    if (this.whole) return sha256Once(this.whole);
    return (this.hash ?? crypto.createHash('sha256')).digest();
  }
}

/** Whether `analyzer`'s whole-image step reads the content of the file at `path`. */
function readsAtImage(analyzer: Analyzer, path: string): boolean {
  const reads = analyzer.imageReadsContent;
  return typeof reads === 'function' ? reads(path) : reads !== false;
}

function isEmptyResult(r: AnalysisResult | undefined): boolean {
  return !r || (!r.os && !r.packages?.length && !r.findings?.length && !r.notes?.length);
}

/**
 * A history analyzer's result for a file the merge says is hidden. Results computed while the file
 * streamed (no status was given) get the analyzer's own hidden wording now; results of a buffered file
 * analysed after the layers above it were read already have it and only get the flag.
 */
function toHiddenResult(
  analyzer: Analyzer,
  result: AnalysisResult | undefined,
  file: ImageFile,
  given: HiddenStatus,
): AnalysisResult | undefined {
  const hide = analyzer.toHiddenFinding;
  if (given || !hide || !result?.findings) return markHidden(result);
  return { ...result, findings: result.findings.map((f) => hide(f, file)) };
}

function markHidden(result: AnalysisResult | undefined, hidden = true): AnalysisResult | undefined {
  if (!result?.findings) return result;
  return {
    ...result,
    findings: result.findings.map((f) => {
      const { hidden: _old, ...rest } = f;
      return hidden ? { ...rest, hidden: true } : rest;
    }),
  };
}

/**
 * Gathers the per-file results in merged-view order: for visible files every analyzer's result, for
 * files hidden by a later layer only the history analyzers'. Deferred analyzers run here, now that
 * `hidden` is known. Results of non-history analyzers on hidden files are dropped: packages come only
 * from what a container would see.
 */
export async function collectFileResults(
  plan: AnalysisPlan,
  view: MergedView,
  results: FileResults,
  options: AnalyzerOptions,
): Promise<Collected> {
  const into = createCollected();
  const perFile = plan.analyzers.filter((a) => a.analyze || a.stream);
  // history analyzers read content after the merge, unless they streamed the file already
  const deferred = new Set(plan.deferred);
  // only files some analyzer handled (results or content) are kept as objects: the rest are skipped
  // without building them or asking each analyzer
  for (const file of view.handled()) {
    if (!results.hasFile(file) && file.content === undefined) continue;
    const given = results.statusGiven.get(file);
    for (const a of perFile) {
      // a history analyzer told "hidden" by the pre-merge check of a file that stays visible (a case the
      // check cannot see): its findings lose the flag
      if (results.has(file, a))
        collect(into, given ? markHidden(results.get(file, a), false) : results.get(file, a), file.path);
      else if (deferred.has(a) && file.content !== undefined && a.required(file.path, file))
        collect(into, await runOne(a, file, options), file.path);
    }
  }
  const historic = perFile.filter((a) => a.history);
  if (historic.length === 0) return into;
  for (const { original, how } of view.handledHidden()) {
    const file: ImageFile = { ...original, hidden: how };
    for (const a of historic) {
      if (results.has(original, a))
        collect(
          into,
          toHiddenResult(a, results.get(original, a), file, results.statusGiven.get(original)),
          file.path,
        );
      else if (deferred.has(a) && file.content !== undefined && a.required(file.path, file))
        collect(into, await runOne(a, file, options), file.path);
    }
  }
  return into;
}

/** Runs the whole-image step of every analyzer that has one. */
export async function analyzeWholeImage(
  analyzers: readonly Analyzer[],
  image: ImageMeta,
  view: MergedView,
  os: OsInfo | undefined,
  options: AnalyzerOptions,
  into: Collected,
): Promise<void> {
  const ctx = { image, files: view.files, options, ...(os ? { os } : {}) } as ImageContext;
  // the hidden files are built only if an analyzer asks for them
  Object.defineProperty(ctx, 'hidden', { get: () => view.hidden, enumerable: true });
  for (const a of analyzers) {
    if (!a.analyzeImage) continue;
    try {
      collect(into, await a.analyzeImage(ctx));
    } catch (err) {
      const e = wrapError(err, `${a.name} analyzer on the image`, 'ANALYZER_PARSE_FAILED');
      into.notes.push({ code: e.code, message: e.message });
    }
  }
}
