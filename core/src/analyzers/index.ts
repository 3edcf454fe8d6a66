import type { Analyzer, ScannerName } from './analyzer.js';
import { LANG_ANALYZERS } from './lang/index.js';
import type { MalwareAnalyzerSettings } from './malware/index.js';
import { OS_ANALYZERS } from './os/index.js';
import { PKG_ANALYZERS } from './pkg/index.js';
import type { SecretAnalyzerSettings } from './secret/index.js';

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
 * inventory analyzers and those scanners' analyzers are created. The risk analyzers' modules (and their
 * rule files, with the YAML parser) load only when their scanner is wanted, so `sbom` never pays for them.
 */
export async function createAnalyzers(
  settings: AnalyzerSettings = {},
  scanners?: ReadonlySet<ScannerName>,
): Promise<Analyzer[]> {
  const wanted = (s: ScannerName): boolean => scanners === undefined || scanners.has(s);
  const [secret, malware, baseline, buildInstruction] = await Promise.all([
    wanted('secret') ? import('./secret/index.js') : undefined,
    wanted('malware') ? import('./malware/index.js') : undefined,
    wanted('baseline') ? import('./baseline/index.js') : undefined,
    wanted('buildinstruction') ? import('./buildinstruction/index.js') : undefined,
  ]);
  return [
    ...OS_ANALYZERS,
    ...PKG_ANALYZERS,
    ...LANG_ANALYZERS,
    ...(secret ? [secret.createSecretAnalyzer(settings.secret)] : []),
    ...(malware ? [malware.createMalwareAnalyzer(settings.malware)] : []),
    ...(baseline ? [baseline.baselineAnalyzer] : []),
    ...(buildInstruction ? [buildInstruction.buildInstructionAnalyzer] : []),
  ];
}

/** Only the inventory analyzers (for `portcullis sbom`). */
export function createInventoryAnalyzers(): Analyzer[] {
  return [...OS_ANALYZERS, ...PKG_ANALYZERS, ...LANG_ANALYZERS];
}
