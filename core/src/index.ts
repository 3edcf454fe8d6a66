/**
 * The public entry of Portcullis core. `webhook/` and `github-action/` import only from here.
 */
export { PortcullisError, isPortcullisError, wrapError } from './errors.js';
export type { ErrorCode, Problem } from './errors.js';
export * from './types/index.js';
export type {
  Analyzer,
  AnalysisResult,
  AnalyzerOptions,
  ImageContext,
  ScannerName,
} from './analyzers/analyzer.js';
export { readLayer, mergeLayers, DEFAULT_LAYER_LIMITS } from './layers/index.js';
export type { LayerContents, LayerLimits, MergedView } from './layers/index.js';
