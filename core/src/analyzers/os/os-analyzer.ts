import type { Analyzer } from '../analyzer.js';
import { wrapError } from '../../errors.js';
import { isOsReleasePath, parseOsFile } from './os-release.js';

/**
 * Reads one release file per call and returns `{ os }` for it; the scan merges the answers of all release
 * files with `detectOs` (`{ path: file.path, os }` per file).
 */
export const osReleaseAnalyzer: Analyzer = {
  name: 'os-release',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return (header.kind === 'file' || header.kind === 'symlink') && isOsReleasePath(path);
  },
  analyze(file) {
    if (!file.content) return undefined;
    try {
      const os = parseOsFile(file.path, file.content);
      return os ? { os } : undefined;
    } catch (err) {
      // A broken release file must not abort the scan: the OS stays unknown and the user is told.
      const e = wrapError(err, `reading ${file.path} in layer ${file.layerDigest}`, 'ANALYZER_PARSE_FAILED');
      return {
        notes: [{ code: e.code, message: e.message, path: file.path, layerDigest: file.layerDigest }],
      };
    }
  },
};
