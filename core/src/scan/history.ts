import type { LayerContents } from '../layers/index.js';
import { parentOf } from '../layers/path.js';
import type { ImageFile } from '../types/file.js';

/** How a later layer hides a file (as `ImageFile.hidden`), or undefined while it stays visible. */
export type HiddenStatus = ImageFile['hidden'];

interface LayerIndex {
  entries: Map<string, ImageFile>;
  whiteouts: Set<string>;
  opaqueDirs: Set<string>;
}

/**
 * Knows which layers have been read completely, so that a history analyzer can be handed a file of a
 * lower layer — with its `hidden` status — while that layer is still streaming, instead of after the
 * merge: a file's status depends only on the layers above it.
 */
export class LayerTracker {
  private readonly layers: (LayerIndex | undefined)[];

  constructor(count: number) {
    this.layers = new Array<LayerIndex | undefined>(count).fill(undefined);
  }

  complete(layer: LayerContents): void {
    const entries = new Map<string, ImageFile>();
    for (const e of layer.entries) entries.set(e.path, e);
    this.layers[layer.index] = {
      entries,
      whiteouts: new Set(layer.whiteouts),
      opaqueDirs: new Set(layer.opaqueDirs),
    };
  }

  /** True when every layer above `index` has been read. */
  isSettled(index: number): boolean {
    for (let j = index + 1; j < this.layers.length; j++) if (!this.layers[j]) return false;
    return true;
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
    for (let j = index + 1; j < this.layers.length; j++) {
      const l = this.layers[j];
      if (!l) continue;
      if (l.whiteouts.has(path)) return 'deleted';
      for (const a of ancestors) if (l.opaqueDirs.has(a) || l.whiteouts.has(a)) return 'deleted';
      if (l.opaqueDirs.has('/')) return 'deleted';
      if (l.entries.has(path)) return 'overwritten';
      for (const a of ancestors) {
        const e = l.entries.get(a);
        if (e && e.kind !== 'dir') return 'deleted';
      }
    }
    return undefined;
  }
}
