import { PortcullisError } from '../errors.js';
import type { ImageFile } from '../types/file.js';
import { resolveLayerLimits, type LayerLimits } from './limits.js';
import { isWithin, joinInImage, parentOf } from './path.js';
import type { LayerContents } from './walker.js';

/** The image's filesystem as a container would see it, plus what lower layers still store. */
export interface MergedView {
  /** Visible entries by absolute path, each remembering the layer it came from. */
  files: Map<string, ImageFile>;
  /** Regular files deleted or overwritten by a later layer (for analyzers that ask for history). */
  hidden: ImageFile[];
  /** Follows symlinks (and hardlinks) inside the image; never leaves the image root. */
  resolve(path: string): ImageFile | undefined;
}

function hide(file: ImageFile, how: 'deleted' | 'overwritten', hidden: ImageFile[]): void {
  if (file.kind === 'file') hidden.push({ ...file, hidden: how });
}

function removeTree(files: Map<string, ImageFile>, dir: string, keepDir: boolean, hidden: ImageFile[]): void {
  // Most whiteouts delete one file: a non-directory has no children in the view (putting it over a
  // directory removed the tree), so only directories and absent paths need the full walk.
  const target = files.get(dir);
  if (target && target.kind !== 'dir') {
    if (!keepDir) {
      hide(target, 'deleted', hidden);
      files.delete(dir);
    }
    return;
  }
  for (const [path, file] of files) {
    if (!isWithin(path, dir)) continue;
    if (keepDir && path === dir) continue;
    hide(file, 'deleted', hidden);
    files.delete(path);
  }
}

/**
 * Applies layers in order. Within a layer the opaque whiteouts apply first, then explicit whiteouts,
 * then the layer's own entries (image-spec layer.md: whiteouts only affect lower layers).
 */
export function mergeLayers(layers: readonly LayerContents[], limits?: Partial<LayerLimits>): MergedView {
  const { maxSymlinkDepth } = resolveLayerLimits(limits);
  const files = new Map<string, ImageFile>();
  const hidden: ImageFile[] = [];
  const ordered = [...layers].sort((a, b) => a.index - b.index);
  for (const layer of ordered) {
    for (const dir of layer.opaqueDirs) removeTree(files, dir, true, hidden);
    for (const path of layer.whiteouts) removeTree(files, path, false, hidden);
    for (const entry of layer.entries) {
      const previous = files.get(entry.path);
      if (previous) {
        if (previous.kind === 'dir' && entry.kind !== 'dir') removeTree(files, entry.path, false, hidden);
        else if (previous.kind !== 'dir') hide(previous, 'overwritten', hidden);
      }
      files.set(entry.path, entry);
    }
  }
  return { files, hidden, resolve: (path) => resolveInImage(files, path, maxSymlinkDepth) };
}

/**
 * Resolves a path like the kernel would inside a chroot: every component may be a symlink, `..` stops at
 * the root, and more than `maxDepth` links is a loop.
 */
export function resolveInImage(
  files: ReadonlyMap<string, ImageFile>,
  path: string,
  maxDepth: number,
): ImageFile | undefined {
  let hops = 0;
  let pending = path.split('/').filter(Boolean);
  let current = '/';
  while (pending.length > 0) {
    const seg = pending.shift() as string;
    if (seg === '.') continue;
    if (seg === '..') {
      current = parentOf(current);
      continue;
    }
    const next = current === '/' ? `/${seg}` : `${current}/${seg}`;
    const entry = files.get(next);
    if (entry?.kind === 'symlink' && entry.linkname !== undefined) {
      if (++hops > maxDepth) {
        throw new PortcullisError('LAYER_SYMLINK_LOOP', `more than ${maxDepth} symlinks resolving ${path}`);
      }
      const target = joinInImage(current, entry.linkname);
      pending = [...target.split('/').filter(Boolean), ...pending];
      current = '/';
      continue;
    }
    current = next;
  }
  let entry = files.get(current);
  if (entry?.kind === 'hardlink' && entry.linkname !== undefined) {
    const target = files.get(entry.linkname);
    entry = target ? { ...target, path: current } : entry;
  }
  return entry;
}
