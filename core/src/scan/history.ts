import type { LayerContents } from '../layers/index.js';
import { parentOf } from '../layers/path.js';
import { PathTable } from '../layers/path-table.js';
import type { ImageFile } from '../types/file.js';

/** How a later layer hides a file (as `ImageFile.hidden`), or undefined while it stays visible. */
export type HiddenStatus = ImageFile['hidden'];

/** The first entry of sorted `list` greater than `index` (binary search), or Infinity; counts its steps. */
function firstGreater(list: readonly number[], index: number, count: { work: number }): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    count.work++;
    const mid = (lo + hi) >> 1;
    if ((list[mid] as number) > index) hi = mid;
    else lo = mid + 1;
  }
  return list[lo] ?? Infinity;
}

/** Layer indexes per path, kept sorted (layers complete nearly in order, so insertion is cheap). */
class PathLayers {
  private readonly byPath = new Map<string, number[]>();

  constructor(private readonly count: { work: number }) {}

  add(path: string, index: number): void {
    const list = this.byPath.get(path);
    if (!list) {
      this.byPath.set(path, [index]);
      return;
    }
    let at = list.length;
    while (at > 0 && (list[at - 1] as number) > index) at--;
    this.count.work += list.length - at + 1;
    if (list[at - 1] === index) return; // the same path twice in one layer
    list.splice(at, 0, index);
  }

  /** The lowest layer index above `index` that has `path`, or Infinity. */
  firstAbove(path: string, index: number): number {
    const list = this.byPath.get(path);
    if (!list) return Infinity;
    return firstGreater(list, index, this.count);
  }
}

/**
 * Layer indexes per interned path id, for every entry of the image: one int per path, a sorted list only
 * for the few paths that several layers have (a Map of strings to arrays cost ≈ 150 bytes an entry).
 */
class IdLayers {
  /** Per path id: its only (or lowest) layer index + 1; 0 when none. */
  private first = new Int32Array(1024);
  private readonly more = new Map<number, number[]>();

  constructor(private readonly count: { work: number }) {}

  add(id: number, index: number): void {
    if (id >= this.first.length) {
      const next = new Int32Array(Math.max(id + 1, this.first.length * 2));
      next.set(this.first);
      this.first = next;
    }
    const only = (this.first[id] as number) - 1;
    if (only < 0) {
      this.first[id] = index + 1;
      return;
    }
    if (only === index && !this.more.has(id)) return; // the same path twice in one layer
    let list = this.more.get(id);
    if (!list) this.more.set(id, (list = [only]));
    let at = list.length;
    while (at > 0 && (list[at - 1] as number) > index) at--;
    this.count.work += list.length - at + 1;
    if (list[at - 1] === index) return; // the same path twice in one layer
    list.splice(at, 0, index);
  }

  /** The lowest layer index above `index` that has path `id`, or Infinity. */
  firstAbove(id: number | undefined, index: number): number {
    if (id === undefined || id >= this.first.length || this.first[id] === 0) return Infinity;
    const list = this.more.get(id);
    if (!list) {
      const only = (this.first[id] as number) - 1;
      return only > index ? only : Infinity;
    }
    return firstGreater(list, index, this.count);
  }
}

/**
 * Knows which layers have been read completely, so that a history analyzer can be handed a file of a
 * lower layer — with its `hidden` status — while that layer is still streaming, instead of after the
 * merge: a file's status depends only on the layers above it.
 *
 * Every operation is O(1) amortised or O(path depth × log layers): an image of N layers costs O(N), not
 * O(N²) (a per-layer loop over the layers above made 4,000 layers take 25 s). `work` counts the steps, so
 * tests can check the growth without timing anything.
 */
export class LayerTracker {
  private readonly read: boolean[];
  /** The highest layer index not read yet (-1 once all are): layers at or above it have all above read. */
  private unreadTop: number;
  /** Indexes at or above this were already returned by `takeSettled`. */
  private reported: number;
  private readonly counter = { work: 0 };
  private readonly entries = new IdLayers(this.counter);
  private readonly nonDirs = new IdLayers(this.counter);
  private readonly whiteouts = new PathLayers(this.counter);
  private readonly opaqueDirs = new PathLayers(this.counter);

  /** `paths`: the image's shared path table (the one its layers' entry tables use), else a new one. */
  constructor(
    count: number,
    private readonly paths = new PathTable(),
  ) {
    this.read = new Array<boolean>(count).fill(false);
    this.unreadTop = count - 1;
    this.reported = count;
  }

  /** Steps taken so far (index updates, searches): grows linearly with the image, never with layers². */
  get work(): number {
    return this.counter.work;
  }

  complete(layer: LayerContents): void {
    const i = layer.index;
    const table = layer.table;
    if (table && table.paths === this.paths) {
      for (let e = 0; e < table.length; e++) {
        const id = table.pathIdAt(e);
        this.entries.add(id, i);
        if (table.kindAt(e) !== 'dir') this.nonDirs.add(id, i);
      }
    } else {
      for (const e of layer.entries) {
        const id = this.paths.intern(e.path);
        this.entries.add(id, i);
        if (e.kind !== 'dir') this.nonDirs.add(id, i);
      }
    }
    for (const w of layer.whiteouts) this.whiteouts.add(w, i);
    for (const d of layer.opaqueDirs) this.opaqueDirs.add(d, i);
    this.read[i] = true;
    while (this.unreadTop >= 0 && this.read[this.unreadTop]) {
      this.counter.work++;
      this.unreadTop--;
    }
  }

  /** True when every layer above `index` has been read. */
  isSettled(index: number): boolean {
    this.counter.work++;
    return this.unreadTop <= index;
  }

  /** Layer indexes that became settled since the last call (each index is returned once). */
  takeSettled(): number[] {
    const from = Math.max(this.unreadTop, 0);
    const out: number[] = [];
    for (let i = this.reported - 1; i >= from; i--) out.push(i);
    this.counter.work += out.length;
    this.reported = Math.min(this.reported, from);
    return out;
  }

  /**
   * The status `mergeLayers` gives `path` of layer `index`: the lowest later layer that touches it decides
   * (opaque directory or whiteout above it: deleted; the same path again: overwritten; a non-directory
   * in place of a parent directory: deleted). Duplicates inside the file's own layer are not seen here;
   * the scan checks every status against the merge.
   */
  hiddenStatus(path: string, index: number): HiddenStatus {
    const ancestors: string[] = [];
    for (let p = parentOf(path); p !== '/'; p = parentOf(p)) ancestors.push(p);
    let deleted = Math.min(this.whiteouts.firstAbove(path, index), this.opaqueDirs.firstAbove('/', index));
    let underFile = Infinity;
    for (const a of ancestors) {
      deleted = Math.min(deleted, this.opaqueDirs.firstAbove(a, index), this.whiteouts.firstAbove(a, index));
      underFile = Math.min(underFile, this.nonDirs.firstAbove(this.paths.idOf(a), index));
    }
    const overwritten = this.entries.firstAbove(this.paths.idOf(path), index);
    const first = Math.min(deleted, overwritten, underFile);
    if (first === Infinity) return undefined;
    // within one layer, its whiteouts come first, then its entries (as in mergeLayers)
    if (deleted === first) return 'deleted';
    return overwritten === first ? 'overwritten' : 'deleted';
  }
}
