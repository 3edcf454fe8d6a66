import type { Analyzer } from '../analyzer.js';
import { osReleaseAnalyzer } from './os-analyzer.js';

export { osReleaseAnalyzer } from './os-analyzer.js';
export { detectOs, type OsDetection } from './detect.js';
export {
  MAX_RELEASE_FILE_BYTES,
  OS_RELEASE_FILES,
  isOsReleasePath,
  parseAlpineRelease,
  parseDebianVersion,
  parseKeyValueRelease,
  parseLsbRelease,
  parseOsFile,
  parseOsRelease,
  parseRedhatRelease,
  toVersionId,
} from './os-release.js';

/** Every OS-detection analyzer, in registration order. */
export const OS_ANALYZERS: readonly Analyzer[] = [osReleaseAnalyzer];
