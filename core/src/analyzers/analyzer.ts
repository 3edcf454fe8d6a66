import type { FileHeader, ImageFile } from '../types/file.js';
import type { Finding, Note } from '../types/finding.js';
import type { ImageMeta } from '../types/image.js';
import type { OsInfo, Package } from '../types/package.js';

/** Scanner groups that users switch on and off (`--scanners`, policy `scanners`). */
export type ScannerName = 'inventory' | 'vuln' | 'secret' | 'malware' | 'baseline' | 'buildinstruction';

/** What one analyzer call adds to the scan. Every field is optional. */
export interface AnalysisResult {
  os?: OsInfo;
  packages?: Package[];
  findings?: Finding[];
  notes?: Note[];
  /**
   * Raw secret values found (never reported): the scan's one redaction step masks them wherever else they
   * show (history, labels, paths, evidence of other analyzers).
   */
  secrets?: string[];
}

/** Read-only view handed to whole-image analyzers once every layer has been read. */
export interface ImageContext {
  image: ImageMeta;
  os?: OsInfo;
  /** Visible files of the merged view (headers; content where some analyzer required it). */
  files: ReadonlyMap<string, ImageFile>;
  /** Files deleted or overwritten by a later layer (still stored in the image). */
  hidden: readonly ImageFile[];
  /** Analyzer options resolved from the policy (toggles, selected checks). */
  options: AnalyzerOptions;
}

/** Options resolved from the policy; every analyzer reads only its own part. */
export interface AnalyzerOptions {
  secret?: { accessKeyLeak?: boolean; passwordLeak?: boolean; items?: string[] };
  baseline?: { checks?: string[] };
  malware?: { hashDbFiles?: string[] };
  [key: string]: unknown;
}

/**
 * Consumes one file's content chunk by chunk as the layer streams past, so the file is never buffered
 * whole (returned by `Analyzer.stream`).
 */
export interface FileSink {
  /** The next chunk, in order. Return `false` once the sink has seen enough: it gets no more chunks. */
  write(chunk: Buffer): boolean | void;
  /**
   * Called once after the last chunk (also after `false`); returns what the file yielded. `digest` is the
   * SHA-256 of the whole content, given to a sink that asked for it (`wantsDigest`) and read every chunk.
   */
  end(digest?: Buffer): AnalysisResult | undefined;
  /** Ask the scan for the content's SHA-256 at `end` (computed once per file for every sink that asks). */
  readonly wantsDigest?: boolean;
}

export interface Analyzer {
  /** Stable name (`dpkg`, `secret`, …). */
  readonly name: string;
  /** Bumped whenever output for the same input may change; part of cache keys. */
  readonly version: number;
  readonly scanner: ScannerName;
  /** Also receive files hidden by later layers (secret and malware analyzers). */
  readonly history?: boolean;
  /** Whether this file's content must be buffered for `analyze`. Called for every tar entry: keep it cheap. */
  required(path: string, header: FileHeader): boolean;
  /** Called once per required file (content set unless it exceeded the buffer limit). */
  analyze?(
    file: ImageFile,
    options: AnalyzerOptions,
  ): AnalysisResult | undefined | Promise<AnalysisResult | undefined>;
  /**
   * Optional streaming form of `analyze`: when present, the scan calls it (instead of `analyze`) for each
   * required file, as soon as the file's header is read, and feeds it the content without buffering.
   * Undefined means "not streamed": the file is buffered and goes to `analyze` as usual. The scan may call it for files a later layer hides and
   * drops those results for non-history analyzers (history analyzers get `hidden` set on their findings).
   */
  stream?(file: ImageFile, options: AnalyzerOptions): FileSink | undefined;
  /** Called once per scan after every file, for analyzers that judge the image as a whole. */
  analyzeImage?(ctx: ImageContext): AnalysisResult | undefined | Promise<AnalysisResult | undefined>;
  /**
   * False when `analyzeImage` reads only headers and the image config, never a file's content: the scan
   * then drops the content of this analyzer's files as soon as they are analysed instead of keeping it
   * for the whole-image step (undefined means it may read content). A function names the paths whose
   * content the whole-image step reads (npm: lock files only), so the others are dropped.
   */
  readonly imageReadsContent?: boolean | ((path: string) => boolean);
  /**
   * History analyzers that stream: turns a finding computed while the file streamed (when nobody knew
   * yet whether a later layer hides it) into the finding for the file as the merge settled it
   * (`file.hidden` set). Without it the scan only sets `finding.hidden`.
   */
  toHiddenFinding?(finding: Finding, file: ImageFile): Finding;
}
