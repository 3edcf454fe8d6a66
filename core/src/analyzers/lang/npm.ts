import type { Analyzer, AnalysisResult, ImageContext } from '../analyzer.js';
import { filesWhere } from '../../layers/merge.js';
import { ContentCache, sha256Once } from '../content-cache.js';
import type { ImageFile } from '../../types/file.js';
import type { Note } from '../../types/finding.js';
import type { Package } from '../../types/package.js';
import {
  MAX_MANIFEST_BYTES,
  MAX_PACKAGES_PER_FILE,
  analyzeWith,
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

/** One package of a lock file, with where npm installs it relative to the lock file's directory. */
export interface NpmLockPackage extends ParsedPackage {
  /** `node_modules/a/node_modules/@s/b`, relative to the directory holding the lock file. */
  installPath: string;
}

/** Deeper v1 trees than this are hostile (install paths would grow quadratically). */
export const MAX_NPM_NESTING = 128;

const LOCK_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);
// `node_modules/<name>/package.json` or `node_modules/@scope/<name>/package.json`, at any nesting.
const INSTALLED_RE = /\/node_modules\/(?:@[^/]+\/)?[^/.@][^/]*\/package\.json$/;

/** Builds an npm package (`pkg:npm/%40scope/name@1.0.0`). */
export function toNpmPackage(name: string, version: string, licenses?: string[]): ParsedPackage {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const purl =
    slash > 0
      ? toPurl('npm', name.slice(0, slash), name.slice(slash + 1), version)
      : toPurl('npm', undefined, name, version);
  return createParsedPackage('npm', 'npm', { name, version, purl, licenses });
}

// Versions that name no registry release (links, tarballs, git) cannot be matched: skip them.
function registryVersion(name: string, version: string): { name: string; version: string } | undefined {
  if (version.startsWith('npm:')) {
    // Alias `npm:real-name@1.2.3`: the installed code is real-name's.
    const spec = version.slice(4);
    const at = spec.lastIndexOf('@');
    if (at <= 0) return undefined;
    return registryVersion(spec.slice(0, at), spec.slice(at + 1));
  }
  if (!/^\d/.test(version) || /[:/]/.test(version)) return undefined;
  return { name, version };
}

function nameFromInstallPath(installPath: string): string {
  const i = installPath.lastIndexOf('node_modules/');
  return i < 0 ? '' : installPath.slice(i + 'node_modules/'.length);
}

function licensesOf(obj: Record<string, unknown>): string[] | undefined {
  const lic = obj.license;
  if (typeof lic === 'string' && lic.length > 0) return [lic];
  if (isRecord(lic) && typeof lic.type === 'string') return [lic.type];
  if (Array.isArray(obj.licenses)) {
    const out = obj.licenses.flatMap((l) => (isRecord(l) && typeof l.type === 'string' ? [l.type] : []));
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}

/**
 * Parses `package-lock.json` / `npm-shrinkwrap.json`: v2/v3 `packages` map (root, workspace folders and
 * `link: true` and dev-only entries skipped) or the v1 `dependencies` tree (walked iteratively, so nesting is bounded).
 */
export function parseNpmLockfile(buf: Buffer, path: string): NpmLockPackage[] {
  const doc = parseJson(buf, path);
  if (!isRecord(doc)) throw parseError(path, 'lock file is not a JSON object');
  const out: NpmLockPackage[] = [];
  const push = (
    name: string,
    version: string | undefined,
    installPath: string,
    obj: Record<string, unknown>,
  ): void => {
    // Dev-only packages (`"dev": true`) are not installed by `npm ci --omit=dev`: not inventory.
    if (!name || !version || obj.dev === true) return;
    const reg = registryVersion(name, version);
    if (!reg) return;
    if (out.length >= MAX_PACKAGES_PER_FILE)
      throw limitError(path, `more than ${MAX_PACKAGES_PER_FILE} packages`);
    out.push({ ...toNpmPackage(reg.name, reg.version, licensesOf(obj)), installPath });
  };
  if (isRecord(doc.packages)) {
    for (const [key, entry] of Object.entries(doc.packages)) {
      // "" is the project itself; keys without node_modules/ are workspace folders (local code).
      if (key === '' || !key.includes('node_modules/') || !isRecord(entry) || entry.link === true) continue;
      push(stringField(entry, 'name') ?? nameFromInstallPath(key), stringField(entry, 'version'), key, entry);
    }
    return out;
  }
  if (doc.dependencies === undefined) return out;
  if (!isRecord(doc.dependencies)) throw parseError(path, '"dependencies" is not an object');
  const stack: { deps: Record<string, unknown>; prefix: string; depth: number }[] = [
    { deps: doc.dependencies, prefix: '', depth: 1 },
  ];
  while (stack.length > 0) {
    const { deps, prefix, depth } = stack.pop()!;
    if (depth > MAX_NPM_NESTING) throw limitError(path, `dependencies nested deeper than ${MAX_NPM_NESTING}`);
    for (const [name, entry] of Object.entries(deps)) {
      if (!isRecord(entry)) continue;
      const installPath = `${prefix}node_modules/${name}`;
      push(name, stringField(entry, 'version'), installPath, entry);
      if (isRecord(entry.dependencies))
        stack.push({ deps: entry.dependencies, prefix: `${installPath}/`, depth: depth + 1 });
    }
  }
  return out;
}

/** Parses an installed `node_modules/…/package.json`: one package, or none when name or version is absent. */
export function parseNpmPackageJson(buf: Buffer, path: string): ParsedPackage[] {
  const doc = parseJson(buf, path);
  if (!isRecord(doc)) throw parseError(path, 'package.json is not a JSON object');
  const name = stringField(doc, 'name');
  const version = stringField(doc, 'version');
  if (!name || !version) return [];
  return [toNpmPackage(name, version, licensesOf(doc))];
}

/**
 * Installed manifests by content: an image holding a node_modules tree twice (copied by another stage,
 * rewritten by `RUN chown -R`, vendored per app) parses each manifest once. `JSON.parse` of a package.json
 * costs ~40 ns a byte (every manifest has its own shape), its SHA-256 under 2 µs. Errors are not cached:
 * a broken manifest gets its note every time.
 */
const manifests = new ContentCache<ParsedPackage>();

function parseInstalledManifest(buf: Buffer, path: string): ParsedPackage[] {
  const parsed = manifests.getOrCompute(sha256Once(buf), '', () => parseNpmPackageJson(buf, path));
  // each result its own objects: nothing downstream can change what the cache hands out next time
  return parsed.map((p) => (p.licenses ? { ...p, licenses: [...p.licenses] } : { ...p }));
}

export function isNpmLockPath(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return LOCK_NAMES.has(base) && !path.includes('/node_modules/');
}

export function isNpmInstalledPath(path: string): boolean {
  return INSTALLED_RE.test(path);
}

/**
 * `name@version` of the installed manifests `analyze` read, by file object: the whole-image step compares
 * lock entries with them without keeping every package.json of the image in memory.
 */
const identities = new WeakMap<ImageFile, string>();

function installedIdentity(file: ImageFile | undefined): string | undefined {
  if (!file) return undefined;
  const known = identities.get(file);
  if (known !== undefined) return known;
  if (!file.content) return undefined;
  try {
    const [pkg] = parseNpmPackageJson(file.content, file.path);
    return pkg ? `${pkg.name}@${pkg.version}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lock-file packages not also installed: an entry is dropped when the visible
 * `<lock dir>/<installPath>/package.json` names the same package and version, because that installed
 * manifest already reports it (one package, one location). A different installed version keeps both:
 * the lock is then evidence of another state and hiding it could hide a vulnerable version.
 */
export function selectUninstalledNpm(
  lockPath: string,
  entries: readonly NpmLockPackage[],
  files: ReadonlyMap<string, ImageFile>,
): NpmLockPackage[] {
  const dir = dirName(lockPath);
  const base = dir === '/' ? '' : dir;
  return entries.filter(
    (e) => installedIdentity(files.get(`${base}/${e.installPath}/package.json`)) !== `${e.name}@${e.version}`,
  );
}

function analyzeLockfile(
  file: ImageFile,
  files: ReadonlyMap<string, ImageFile>,
): { packages: Package[]; notes: Note[] } {
  const result = analyzeWith(file, 'npm', (buf, p) =>
    selectUninstalledNpm(p, parseNpmLockfile(buf, p), files),
  );
  const packages = (result.packages ?? []).map((p) => {
    const { installPath: _drop, ...rest } = p as Package & { installPath?: string };
    return rest;
  });
  return { packages, notes: result.notes ?? [] };
}

/**
 * npm: installed `node_modules/**\/package.json` per file; lock files once the whole image is known, so a
 * package both locked and installed is reported once (from node_modules, see `selectUninstalledNpm`).
 * A project's own package.json (outside node_modules) is not a dependency and is not read.
 */
export const npmAnalyzer: Analyzer = {
  name: 'npm',
  version: 1,
  scanner: 'inventory',
  required(path, header) {
    return (isNpmInstalledPath(path) || isNpmLockPath(path)) && isRegularWithin(header, MAX_MANIFEST_BYTES);
  },
  analyze(file) {
    if (!isNpmInstalledPath(file.path)) return undefined;
    const result = analyzeWith(file, 'npm', parseInstalledManifest);
    const [pkg] = result.packages ?? [];
    if (pkg) identities.set(file, `${pkg.name}@${pkg.version}`);
    return result;
  },
  // only lock files are read again once the image is known; installed manifests left their identity
  imageReadsContent: (path) => isNpmLockPath(path),
  analyzeImage(ctx: ImageContext): AnalysisResult {
    const packages: Package[] = [];
    const notes: Note[] = [];
    for (const file of filesWhere(ctx.files, isNpmLockPath, { names: [...LOCK_NAMES] })) {
      if (file.kind !== 'file') continue;
      try {
        const r = analyzeLockfile(file, ctx.files);
        packages.push(...r.packages);
        notes.push(...r.notes);
      } catch (err) {
        notes.push(toNote(err, file, 'npm'));
      }
    }
    return { packages, notes };
  },
};
