import { PortcullisError } from '../errors.js';
import type { ImageFile } from '../types/file.js';
import { resolveLayerLimits, type LayerLimits } from './limits.js';
import { isWithin, joinInImage, parentOf } from './path.js';
import type { LayerContents } from './walker.js';
import { EntryTable } from './entry-table.js';
import { PathTable } from './path-table.js';

/** A hidden regular file some analyzer handled: its own object (as read) and how a later layer hides it. */
export interface HandledHidden {
  original: ImageFile;
  how: 'deleted' | 'overwritten';
}

/** The image's filesystem as a container would see it, plus what lower layers still store. */
export interface MergedView {
  /** Visible entries by absolute path, each remembering the layer it came from. */
  files: ReadonlyMap<string, ImageFile>;
  /**
   * Regular files deleted or overwritten by a later layer (for analyzers that ask for history). Built on
   * each access from compact records: call it sparingly.
   */
  readonly hidden: readonly ImageFile[];
  /** Follows symlinks (and hardlinks) inside the image; never leaves the image root. */
  resolve(path: string): ImageFile | undefined;
  /** Visible regular files some analyzer handled (their own objects), in view order. */
  handled(): Iterable<ImageFile>;
  /** Hidden regular files some analyzer handled, in the order `hidden` lists them. */
  handledHidden(): Iterable<HandledHidden>;
}

const NONE = -1;
const HOW: readonly ('deleted' | 'overwritten')[] = ['deleted', 'overwritten'];

function grow(array: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  if (size <= array.length) return array;
  const next = new Int32Array(Math.max(size, array.length * 2)).fill(NONE);
  next.set(array);
  return next;
}

/**
 * The visible entries as positions (layer, entry) per interned path, not a Map of objects. Positions
 * keep the order a `Map` would: replacing an entry keeps its place, deleting and adding again moves it
 * to the end (reports list files in this order).
 */
class View {
  private posOf: Int32Array<ArrayBuffer>;
  private posTable = new Int32Array(1024).fill(NONE);
  private posEntry = new Int32Array(1024).fill(NONE);
  private posPath = new Int32Array(1024).fill(NONE);
  private positions = 0;
  live = 0;
  private hiddenTable = new Int32Array(256).fill(NONE);
  private hiddenEntry = new Int32Array(256).fill(NONE);
  private hiddenHow = new Int32Array(256).fill(NONE);
  hiddenCount = 0;

  constructor(
    readonly paths: PathTable,
    readonly tables: readonly EntryTable[],
  ) {
    this.posOf = new Int32Array(Math.max(1, paths.size)).fill(NONE);
  }

  /** Position of the visible entry at path id `id`, or NONE. */
  positionOf(id: number): number {
    return id < this.posOf.length ? (this.posOf[id] as number) : NONE;
  }

  set(id: number, table: number, entry: number): void {
    this.posOf = grow(this.posOf, id + 1);
    let pos = this.posOf[id] as number;
    if (pos === NONE) {
      pos = this.positions++;
      this.posTable = grow(this.posTable, this.positions);
      this.posEntry = grow(this.posEntry, this.positions);
      this.posPath = grow(this.posPath, this.positions);
      this.posOf[id] = pos;
      this.posPath[pos] = id;
      this.live++;
    }
    this.posTable[pos] = table;
    this.posEntry[pos] = entry;
  }

  delete(pos: number): void {
    this.posOf[this.posPath[pos] as number] = NONE;
    this.posEntry[pos] = NONE;
    this.live--;
  }

  tableAt(pos: number): EntryTable {
    return this.tables[this.posTable[pos] as number] as EntryTable;
  }

  entryAt(pos: number): number {
    return this.posEntry[pos] as number;
  }

  kindAt(pos: number): ImageFile['kind'] {
    return this.tableAt(pos).kindAt(this.entryAt(pos));
  }

  fileAt(pos: number): ImageFile {
    return this.tableAt(pos).fileAt(this.entryAt(pos));
  }

  modeAt(pos: number): number {
    return this.tableAt(pos).modeAt(this.entryAt(pos));
  }

  pathIdAt(pos: number): number {
    return this.posPath[pos] as number;
  }

  /** Live positions in order. */
  *livePositions(): Generator<number> {
    for (let pos = 0; pos < this.positions; pos++) if (this.posEntry[pos] !== NONE) yield pos;
  }

  hide(pos: number, how: 'deleted' | 'overwritten'): void {
    if (this.kindAt(pos) !== 'file') return;
    const i = this.hiddenCount++;
    this.hiddenTable = grow(this.hiddenTable, this.hiddenCount);
    this.hiddenEntry = grow(this.hiddenEntry, this.hiddenCount);
    this.hiddenHow = grow(this.hiddenHow, this.hiddenCount);
    this.hiddenTable[i] = this.posTable[pos] as number;
    this.hiddenEntry[i] = this.posEntry[pos] as number;
    this.hiddenHow[i] = how === 'deleted' ? 0 : 1;
  }

  *hiddenRecords(): Generator<{ table: EntryTable; entry: number; how: 'deleted' | 'overwritten' }> {
    for (let i = 0; i < this.hiddenCount; i++)
      yield {
        table: this.tables[this.hiddenTable[i] as number] as EntryTable,
        entry: this.hiddenEntry[i] as number,
        how: HOW[this.hiddenHow[i] as number] as 'deleted' | 'overwritten',
      };
  }

  removeTree(dir: string, keepDir: boolean): void {
    // Most whiteouts delete one file: a non-directory has no children in the view (putting it over a
    // directory removed the tree), so only directories and absent paths need the full walk.
    const dirId = this.paths.idOf(dir);
    const target = dirId === undefined ? NONE : this.positionOf(dirId);
    if (target !== NONE && this.kindAt(target) !== 'dir') {
      if (!keepDir) {
        this.hide(target, 'deleted');
        this.delete(target);
      }
      return;
    }
    // whether each directory (by its path) lies within `dir`, decided once per directory
    const within = new Map<string, boolean>();
    for (const pos of this.livePositions()) {
      const id = this.pathIdAt(pos);
      if (id === dirId) {
        if (keepDir) continue;
      } else {
        const parent = this.paths.dirPathOf(id);
        let inside = within.get(parent);
        if (inside === undefined) within.set(parent, (inside = isWithin(parent, dir)));
        if (!inside) continue;
      }
      this.hide(pos, 'deleted');
      this.delete(pos);
    }
  }
}

/** One shared path table for every layer: tables over another one are rebuilt over it. */
function toTables(ordered: readonly LayerContents[]): { paths: PathTable; tables: EntryTable[] } {
  const paths = ordered.find((l) => l.table)?.table?.paths ?? new PathTable();
  const tables = ordered.map((l) =>
    l.table && l.table.paths === paths
      ? l.table
      : EntryTable.fromFiles(l.entries, { digest: l.digest, index: l.index }, paths),
  );
  return { paths, tables };
}

/**
 * What `filesWhere` may test before a path string or a file object is built. Each hint only narrows: an
 * entry is yielded when it passes every hint given and `wanted`.
 */
export interface FileHints {
  /** Base names the path must end in (compared by UTF-8 length first, then decoded). */
  names?: readonly string[];
  /** Whether the directory holding the entry (`/` at the top) may hold a wanted file; asked once a directory. */
  inDir?: (dir: string) => boolean;
  /** Mode bits of which at least one must be set. */
  modeAny?: number;
}

/** The merged view's own `filesWhere`: hints tested on its columns. */
const SELECT = Symbol('filesWhere');
type Select = (wanted: (path: string) => boolean, hints: FileHints) => Iterable<ImageFile>;

/**
 * The entries of an image's file map whose path passes `wanted` (and which pass `hints`), tested before
 * anything is built: on the merged view, on its columns (a mode, a directory once, a base name's length),
 * so a pass over a large image decodes and builds only the few entries it wants; `keys()` and `values()`
 * build a path or an `ImageFile` for every entry of the image. Any other map gets the same tests on its
 * entries.
 */
export function* filesWhere(
  files: ReadonlyMap<string, ImageFile>,
  wanted: (path: string) => boolean,
  hints: FileHints = {},
): Generator<ImageFile> {
  const select = (files as { [SELECT]?: Select })[SELECT];
  if (select) {
    yield* select(wanted, hints);
    return;
  }
  const names = hints.names && new Set(hints.names);
  for (const [path, file] of files) {
    if (hints.modeAny !== undefined && (file.mode & hints.modeAny) === 0) continue;
    const slash = path.lastIndexOf('/');
    if (hints.inDir && !hints.inDir(slash <= 0 ? '/' : path.slice(0, slash))) continue;
    if (names && !names.has(path.slice(slash + 1))) continue;
    if (wanted(path)) yield file;
  }
}

/** `filesWhere` over the view's columns. */
function* selectFromView(
  view: View,
  wanted: (path: string) => boolean,
  hints: FileHints,
): Generator<ImageFile> {
  const { paths } = view;
  const { inDir, modeAny } = hints;
  const names = hints.names && new Set(hints.names);
  const lengths = hints.names && new Set(hints.names.map((n) => Buffer.byteLength(n, 'utf8')));
  const dirs = new Map<number, boolean>();
  for (const pos of view.livePositions()) {
    if (modeAny !== undefined && (view.modeAt(pos) & modeAny) === 0) continue;
    const id = view.pathIdAt(pos);
    if (lengths && !lengths.has(paths.nameLengthOf(id))) continue;
    if (inDir) {
      const dir = paths.dirIdOf(id);
      let inside = dirs.get(dir);
      if (inside === undefined) dirs.set(dir, (inside = inDir(paths.dirPathOf(id))));
      if (!inside) continue;
    }
    if (names && !names.has(paths.nameOf(id))) continue;
    if (wanted(paths.pathOf(id))) yield view.fileAt(pos);
  }
}

/** `ReadonlyMap` over the view: entries are built from their columns on each read. */
function toFileMap(view: View): ReadonlyMap<string, ImageFile> {
  const get = (path: string): ImageFile | undefined => {
    const id = view.paths.idOf(path);
    const pos = id === undefined ? NONE : view.positionOf(id);
    return pos === NONE ? undefined : view.fileAt(pos);
  };
  function* entries(): Generator<[string, ImageFile]> {
    for (const pos of view.livePositions()) {
      const file = view.fileAt(pos);
      yield [file.path, file];
    }
  }
  // generators stand in for the Map iterators (the iterator-helper methods of MapIterator are not offered)
  const map = {
    get,
    has: (path: string) => get(path) !== undefined,
    get size() {
      return view.live;
    },
    entries,
    *keys() {
      for (const pos of view.livePositions()) yield view.paths.pathOf(view.pathIdAt(pos));
    },
    *values() {
      for (const pos of view.livePositions()) yield view.fileAt(pos);
    },
    forEach(
      fn: (file: ImageFile, path: string, m: ReadonlyMap<string, ImageFile>) => void,
      thisArg?: unknown,
    ) {
      for (const [path, file] of entries()) fn.call(thisArg, file, path, map);
    },
    [Symbol.iterator]: entries,
    [SELECT]: (wanted: (path: string) => boolean, hints: FileHints) => selectFromView(view, wanted, hints),
  } as unknown as ReadonlyMap<string, ImageFile>;
  return map;
}

/**
 * Applies layers in order. Within a layer the opaque whiteouts apply first, then explicit whiteouts,
 * then the layer's own entries (image-spec layer.md: whiteouts only affect lower layers).
 */
export function mergeLayers(layers: readonly LayerContents[], limits?: Partial<LayerLimits>): MergedView {
  const { maxSymlinkDepth } = resolveLayerLimits(limits);
  const ordered = [...layers].sort((a, b) => a.index - b.index);
  const { paths, tables } = toTables(ordered);
  const view = new View(paths, tables);
  ordered.forEach((layer, t) => {
    for (const dir of layer.opaqueDirs) view.removeTree(dir, true);
    for (const path of layer.whiteouts) view.removeTree(path, false);
    const table = tables[t] as EntryTable;
    for (let i = 0; i < table.length; i++) {
      const id = table.pathIdAt(i);
      const previous = view.positionOf(id);
      if (previous !== NONE) {
        const kind = table.kindAt(i);
        if (view.kindAt(previous) === 'dir' && kind !== 'dir') view.removeTree(paths.pathOf(id), false);
        else if (view.kindAt(previous) !== 'dir') view.hide(previous, 'overwritten');
      }
      view.set(id, t, i);
    }
  });
  const files = toFileMap(view);
  return {
    files,
    get hidden() {
      const out: ImageFile[] = [];
      for (const r of view.hiddenRecords()) out.push({ ...r.table.fileAt(r.entry), hidden: r.how });
      return out;
    },
    resolve: (path) => resolveInImage(files, path, maxSymlinkDepth),
    *handled() {
      for (const pos of view.livePositions()) {
        const file = view.tableAt(pos).pinnedAt(view.entryAt(pos));
        if (file && file.kind === 'file') yield file;
      }
    },
    *handledHidden() {
      for (const r of view.hiddenRecords()) {
        const original = r.table.pinnedAt(r.entry);
        if (original) yield { original, how: r.how };
      }
    },
  };
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
