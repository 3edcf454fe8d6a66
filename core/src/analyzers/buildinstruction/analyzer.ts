import type { Analyzer, AnalysisResult, ImageContext } from '../analyzer.js';
import { analyzeHistory } from './history.js';

/**
 * Whole-image analyzer for build-instruction risks recorded in the image history (`created_by`).
 * It buffers no files; Dockerfiles are analyzed separately with `analyzeDockerfile`.
 */
export const buildInstructionAnalyzer: Analyzer = {
  name: 'buildinstruction',
  version: 1,
  scanner: 'buildinstruction',
  required(): boolean {
    return false;
  },
  analyzeImage(ctx: ImageContext): AnalysisResult {
    return { findings: analyzeHistory(ctx.image.config.history, ctx.image.layers) };
  },
};
