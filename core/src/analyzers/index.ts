import type { Analyzer, ScannerName } from './analyzer.js';
import { baselineAnalyzer } from './baseline/index.js';
import { buildInstructionAnalyzer } from './buildinstruction/index.js';
import { LANG_ANALYZERS } from './lang/index.js';
import { createMalwareAnalyzer, type MalwareAnalyzerSettings } from './malware/index.js';
import { OS_ANALYZERS } from './os/index.js';
import { PKG_ANALYZERS } from './pkg/index.js';
import { createSecretAnalyzer, type SecretAnalyzerSettings } from './secret/index.js';

export type {
  Analyzer,
  AnalysisResult,
  AnalyzerOptions,
  FileSink,
  ImageContext,
  ScannerName,
} from './analyzer.js';
export { detectOs } from './os/index.js';
export { applyOsToPackages, toOsvEcosystem } from './pkg/index.js';

export interface AnalyzerSettings {
  malware?: MalwareAnalyzerSettings;
  secret?: SecretAnalyzerSettings;
}

/**
 * Every analyzer, in one list: the single place a new analyzer is registered. With `scanners`, only the
 * inventory analyzers and those scanners' analyzers are created (rule files are parsed only when needed).
 */
export function createAnalyzers(
  settings: AnalyzerSettings = {},
  scanners?: ReadonlySet<ScannerName>,
): Analyzer[] {
  const wanted = (s: ScannerName): boolean => scanners === undefined || scanners.has(s);
  return [
    ...OS_ANALYZERS,
    ...PKG_ANALYZERS,
    ...LANG_ANALYZERS,
    ...(wanted('secret') ? [createSecretAnalyzer(settings.secret)] : []),
    ...(wanted('malware') ? [createMalwareAnalyzer(settings.malware)] : []),
    ...(wanted('baseline') ? [baselineAnalyzer] : []),
    ...(wanted('buildinstruction') ? [buildInstructionAnalyzer] : []),
  ];
}

/** Only the inventory analyzers (for `portcullis sbom`). */
export function createInventoryAnalyzers(): Analyzer[] {
  return [...OS_ANALYZERS, ...PKG_ANALYZERS, ...LANG_ANALYZERS];
}
