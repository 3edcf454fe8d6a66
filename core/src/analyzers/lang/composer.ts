import type { Analyzer, AnalysisResult, ImageContext } from '../analyzer.js';
import { filesWhere } from '../../layers/merge.js';
import type { ImageFile } from '../../types/file.js';
import type { Note } from '../../types/finding.js';
import type { Package } from '../../types/package.js';
import {
  MAX_MANIFEST_BYTES,
  MAX_PACKAGES_PER_FILE,
  analyzeWith,
  baseName,
  createParsedPackage,
  dirName,
  isRecord,
  isRegularWithin,
  limitError,
  parseError,
  parseJson,
  stringField,
  toNote,
  toPurl,
  type ParsedPackage,
} from './common.js';

/** A Packagist package (`pkg:composer/vendor/name@1.0.0`); a `v` before the number is dropped. */
export function toComposerPackage(name: string, version: string, licenses?: string[]): ParsedPackage {
  const v = version.replace(/^[vV](?=\d)/, '');
  const slash = name.indexOf('/');
  const purl =
    slash > 0
      ? toPurl('composer', name.slice(0, slash), name.slice(slash + 1), v)
      : toPurl('composer', undefined, name, v);
  return createParsedPackage('composer', 'Packagist', { name, version: v, purl, licenses });
}

function toPackages(list: unknown[], path: string): ParsedPackage[] {
  if (list.length > MAX_PACKAGES_PER_FILE)
    throw limitError(path, `more than ${MAX_PACKAGES_PER_FILE} packages`);
  const out: ParsedPackage[] = [];
  for (const p of list) {
    if (!isRecord(p)) continue;
    const name = stringField(p, 'name');
    const version = stringField(p, 'version');
    if (!name || !version) continue;
    const lic = Array.isArray(p.license)
      ? p.license.filter((l): l is string => typeof l === 'string')
      : undefined;
    out.push(toComposerPackage(name, version, lic));
  }
  return out;
}

/** Parses `vendor/composer/installed.json`: Composer 1 (a list) and Composer 2 (`{packages: […]}`). */
export function parseComposerInstalled(buf: Buffer, path: string): ParsedPackage[] {
  const doc = parseJson(buf, path);
  if (Array.isArray(doc)) return toPackages(doc, path);
  if (isRecord(doc) && Array.isArray(doc.packages)) return toPackages(doc.packages, path);
  throw parseError(path, 'installed.json is neither a list nor {packages: […]}');
}

/** Parses `composer.lock`: `packages` and `packages-dev`. */
export function parseComposerLock(buf: Buffer, path: string): ParsedPackage[] {
  const doc = parseJson(buf, path);
  if (!isRecord(doc) || (!Array.isArray(doc.packages) && !Array.isArray(doc['packages-dev']))) {
    throw parseError(path, 'composer.lock has no packages list');
  }
  const all = [
    ...(Array.isArray(doc.packages) ? doc.packages : []),
    ...(Array.isArray(doc['packages-dev']) ? doc['packages-dev'] : []),
  ];
  return toPackages(all, path);
}

export function isComposerInstalledPath(path: string): boolean {
  return path.endsWith('/vendor/composer/installed.json');
}

export function isComposerLockPath(path: string): boolean {
  return baseName(path) === 'composer.lock' && !path.includes('/vendor/');
}

function installedKeys(file: ImageFile | undefined): Set<string> {
  if (!file?.content) return new Set();
  try {
    return new Set(parseComposerInstalled(file.content, file.path).map((p) => `${p.name}@${p.version}`));
  } catch {
    return new Set();
  }
}

/**
 * Lock entries not already reported from the visible `<lock dir>/vendor/composer/installed.json` with the
 * same name and version (the installed list is the better evidence), as for npm.
 */
export function selectUninstalledComposer(
  lockPath: string,
  entries: readonly ParsedPackage[],
  files: ReadonlyMap<string, ImageFile>,
): ParsedPackage[] {
  const dir = dirName(lockPath);
  const installed = installedKeys(files.get(`${dir === '/' ? '' : dir}/vendor/composer/installed.json`));
  return entries.filter((e) => !installed.has(`${e.name}@${e.version}`));
}

/** Composer: installed.json per file; composer.lock once the image is known, deduplicated as for npm. */
export const composerAnalyzer: Analyzer = {
  name: 'composer',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return (
      (isComposerInstalledPath(path) || isComposerLockPath(path)) &&
      isRegularWithin(header, MAX_MANIFEST_BYTES)
    );
  },
  analyze(file) {
    if (!isComposerInstalledPath(file.path)) return undefined;
    return analyzeWith(file, 'composer', parseComposerInstalled);
  },
  analyzeImage(ctx: ImageContext): AnalysisResult {
    const packages: Package[] = [];
    const notes: Note[] = [];
    for (const file of filesWhere(ctx.files, isComposerLockPath, { names: ['composer.lock'] })) {
      if (file.kind !== 'file') continue;
      try {
        const r = analyzeWith(file, 'composer', (b, p) =>
          selectUninstalledComposer(p, parseComposerLock(b, p), ctx.files),
        );
        packages.push(...(r.packages ?? []));
        notes.push(...(r.notes ?? []));
      } catch (err) {
        notes.push(toNote(err, file, 'composer'));
      }
    }
    return { packages, notes };
  },
};
