import type { ImageFile } from '../../types/file.js';
import { isKnownSetuidPath } from './known-setuid.js';
import { filesWhere } from '../../layers/merge.js';

/** The PATH an image gets when its config sets none (Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A cache location, and whether a file belongs to it. */
export interface CacheKind {
  name: string;
  dir: string;
  matches(path: string): boolean;
}

/** Package-manager caches that should not be left in an image. */
export const PACKAGE_CACHES: readonly CacheKind[] = [
  {
    name: 'apt archives',
    dir: '/var/cache/apt/archives',
    matches: (p) => p.startsWith('/var/cache/apt/archives/') && p.endsWith('.deb'),
  },
  {
    name: 'apt package cache',
    dir: '/var/cache/apt',
    matches: (p) => /^\/var\/cache\/apt\/[^/]+\.bin$/.test(p),
  },
  {
    name: 'apt lists',
    dir: '/var/lib/apt/lists',
    // `lock` and `partial/` are always there, even after `rm -rf /var/lib/apt/lists/*` + apt runs.
    matches: (p) => /^\/var\/lib\/apt\/lists\/[^/]+$/.test(p) && !p.endsWith('/lock'),
  },
  { name: 'apk cache', dir: '/var/cache/apk', matches: (p) => p.startsWith('/var/cache/apk/') },
  { name: 'yum cache', dir: '/var/cache/yum', matches: (p) => p.startsWith('/var/cache/yum/') },
  { name: 'dnf cache', dir: '/var/cache/dnf', matches: (p) => p.startsWith('/var/cache/dnf/') },
  { name: 'pip cache', dir: '/root/.cache/pip', matches: (p) => p.startsWith('/root/.cache/pip/') },
  { name: 'npm cache', dir: '/root/.npm', matches: (p) => p.startsWith('/root/.npm/_cacache/') },
];

function isRegular(f: ImageFile): boolean {
  return f.kind === 'file' || f.kind === 'hardlink';
}

/** setuid/setgid regular files whose path is not on the known-good list, sorted by path. */
export function findUnexpectedSetuid(files: Iterable<ImageFile>): ImageFile[] {
  const out: ImageFile[] = [];
  for (const f of files) {
    if (isRegular(f) && (f.mode & 0o6000) !== 0 && !isKnownSetuidPath(f.path)) out.push(f);
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** PATH directories from the config `Env` (last `PATH=` wins), or Docker's default. */
export function pathDirs(env: readonly string[] | undefined): string[] {
  const entry = [...(env ?? [])].reverse().find((e) => e.startsWith('PATH='));
  const value = entry === undefined ? DEFAULT_PATH : entry.slice('PATH='.length);
  return [...new Set(value.split(':').filter((d) => d.startsWith('/')))].map(normalizeDir);
}

function normalizeDir(d: string): string {
  const parts: string[] = [];
  for (const seg of d.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

/** Symlinks followed to resolve one directory before giving up (the kernel's own limit is 40). */
export const MAX_SYMLINK_HOPS = 16;

/**
 * Follows symlinked directories (`/bin -> usr/bin`) through the image's own entries, bounded: undefined when
 * the chain is longer than MAX_SYMLINK_HOPS (a loop, as a container could not resolve it either).
 */
export function resolveDir(dir: string, files: ReadonlyMap<string, ImageFile>): string | undefined {
  let current = dir;
  for (let hops = 0; hops <= MAX_SYMLINK_HOPS; hops++) {
    const parts = current.split('/').filter((s) => s !== '');
    let changed = false;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      const entry = files.get(prefix);
      if (entry?.kind === 'symlink' && entry.linkname !== undefined) {
        const parent = `/${parts.slice(0, i - 1).join('/')}`;
        const target = entry.linkname.startsWith('/') ? entry.linkname : `${parent}/${entry.linkname}`;
        current = normalizeDir(`${target}/${parts.slice(i).join('/')}`);
        changed = true;
        break;
      }
    }
    if (!changed) return current;
  }
  return undefined;
}

/**
 * World-writable entries directly inside PATH directories, and PATH directories writable without the sticky bit.
 * PATH directories that cannot be resolved (symlink loops) are not checked: they come back in `unresolved`.
 */
export function findWorldWritableInPath(
  files: ReadonlyMap<string, ImageFile>,
  env: readonly string[] | undefined,
): { entries: ImageFile[]; unresolved: string[] } {
  const dirs = new Set<string>();
  const unresolved: string[] = [];
  for (const d of pathDirs(env)) {
    const resolved = resolveDir(d, files);
    if (resolved === undefined) unresolved.push(d);
    else dirs.add(resolved);
  }
  const out: ImageFile[] = [];
  for (const f of filesWhere(files, () => true, { modeAny: 0o002 })) {
    if (f.kind === 'symlink') continue;
    const parent = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
    const isPathDir = f.kind === 'dir' && dirs.has(f.path) && (f.mode & 0o1000) === 0;
    if (dirs.has(parent) || isPathDir) out.push(f);
  }
  return { entries: out.sort((a, b) => a.path.localeCompare(b.path)), unresolved };
}

/** True when a directory is some package-manager cache or lies in one (every cached file's directory does). */
export function mayHoldPackageCache(dir: string): boolean {
  return PACKAGE_CACHES.some((c) => dir === c.dir || dir.startsWith(`${c.dir}/`));
}

/** True when `path` lies in some package-manager cache. */
export function isInPackageCache(path: string): boolean {
  return PACKAGE_CACHES.some((c) => c.matches(path));
}

/** Files per package-manager cache (only caches that hold at least one regular file). */
export function findPackageCaches(files: Iterable<ImageFile>): { cache: CacheKind; files: ImageFile[] }[] {
  const byCache = new Map<CacheKind, ImageFile[]>();
  for (const f of files) {
    if (!isRegular(f)) continue;
    const cache = PACKAGE_CACHES.find((c) => c.matches(f.path));
    if (cache === undefined) continue;
    const list = byCache.get(cache) ?? [];
    list.push(f);
    byCache.set(cache, list);
  }
  return PACKAGE_CACHES.filter((c) => byCache.has(c)).map((c) => ({ cache: c, files: byCache.get(c) ?? [] }));
}
