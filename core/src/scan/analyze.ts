import type { Analyzer, AnalysisResult, AnalyzerOptions, ImageContext } from '../analyzers/analyzer.js';
import { wrapError } from '../errors.js';
import type { MergedView } from '../layers/index.js';
import type { ImageFile } from '../types/file.js';
import type { Finding, Note } from '../types/finding.js';
import type { ImageMeta } from '../types/image.js';
import type { OsInfo, Package } from '../types/package.js';

/** What the analyzers found, gathered from every call. */
export interface Collected {
  /** Every OS release file read, with its path (precedence is decided later). */
  osCandidates: { path: string; os: OsInfo }[];
  packages: Package[];
  findings: Finding[];
  notes: Note[];
}

function collect(into: Collected, result: AnalysisResult | undefined, path = ''): void {
  if (!result) return;
  if (result.os) into.osCandidates.push({ path, os: result.os });
  if (result.packages) into.packages.push(...result.packages);
  if (result.findings) into.findings.push(...result.findings);
  if (result.notes) into.notes.push(...result.notes);
}

async function runOne(
  analyzer: Analyzer,
  file: ImageFile,
  options: AnalyzerOptions,
  into: Collected,
): Promise<void> {
  try {
    collect(into, await analyzer.analyze?.(file, options), file.path);
  } catch (err) {
    // one unreadable file never fails the scan: it becomes a note the user sees
    const e = wrapError(err, `${analyzer.name} analyzer on ${file.path}`, 'ANALYZER_PARSE_FAILED');
    into.notes.push({ code: e.code, message: e.message, path: file.path, layerDigest: file.layerDigest });
  }
}

/** Hands every buffered file to the analyzers that required it; hidden files only to history analyzers. */
export async function analyzeFiles(
  analyzers: readonly Analyzer[],
  view: MergedView,
  options: AnalyzerOptions,
): Promise<Collected> {
  const into: Collected = { osCandidates: [], packages: [], findings: [], notes: [] };
  const perFile = analyzers.filter((a) => a.analyze);
  for (const file of view.files.values()) {
    if (file.kind !== 'file' || file.content === undefined) continue;
    for (const a of perFile) if (a.required(file.path, file)) await runOne(a, file, options, into);
  }
  const historic = perFile.filter((a) => a.history);
  for (const file of view.hidden) {
    if (file.content === undefined) continue;
    for (const a of historic) if (a.required(file.path, file)) await runOne(a, file, options, into);
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
  const ctx: ImageContext = { image, files: view.files, hidden: view.hidden, options, ...(os ? { os } : {}) };
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
