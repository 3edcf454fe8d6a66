import type { EntryKind, ImageFile } from '../types/file.js';
import { PathTable } from './path-table.js';

const KINDS: readonly EntryKind[] = ['file', 'dir', 'symlink', 'hardlink', 'other'];
const KIND_CODE = new Map<EntryKind, number>(KINDS.map((k, i) => [k, i]));

function grow<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2));
  next.set(array);
  return next;
}

/**
 * One layer's tar entries as columns (≈ 30 bytes an entry plus its interned path), not one object each.
 * An entry becomes an `ImageFile` again when asked for (`fileAt`). The objects some analyzer handled
 * are kept as they are (`pin`): results and buffered content are tied to that object.
 */
export class EntryTable {
  private pathIds = new Int32Array(256);
  private kinds = new Uint8Array(256);
  private modes = new Uint32Array(256);
  private uids = new Uint32Array(256);
  private gids = new Uint32Array(256);
  private sizes = new Float64Array(256);
  /** Milliseconds since the epoch; NaN when the header had none. */
  private mtimes = new Float64Array(256);
  private readonly linknames = new Map<number, string>();
  private readonly pinned = new Map<number, ImageFile>();
  private count = 0;

  constructor(
    readonly paths: PathTable,
    readonly layerDigest: string,
    readonly layerIndex: number,
  ) {}

  /** Builds a table from ready-made entries (tests, cached layers); each one is pinned. */
  static fromFiles(
    files: readonly ImageFile[],
    layer: { digest: string; index: number },
    paths = new PathTable(),
  ): EntryTable {
    const table = new EntryTable(paths, layer.digest, layer.index);
    for (const f of files) table.pin(table.add(f), f);
    return table;
  }

  get length(): number {
    return this.count;
  }

  /** Records one entry's header; returns its ordinal in the layer. */
  add(file: ImageFile): number {
    const i = this.count++;
    if (i >= this.kinds.length) {
      const n = i + 1;
      this.pathIds = grow(this.pathIds, n);
      this.kinds = grow(this.kinds, n);
      this.modes = grow(this.modes, n);
      this.uids = grow(this.uids, n);
      this.gids = grow(this.gids, n);
      this.sizes = grow(this.sizes, n);
      this.mtimes = grow(this.mtimes, n);
    }
    this.pathIds[i] = this.paths.intern(file.path);
    this.kinds[i] = KIND_CODE.get(file.kind) ?? KIND_CODE.get('other')!;
    this.modes[i] = file.mode;
    this.uids[i] = file.uid;
    this.gids[i] = file.gid;
    this.sizes[i] = file.size;
    this.mtimes[i] = file.mtime ? file.mtime.getTime() : NaN;
    if (file.linkname !== undefined) this.linknames.set(i, file.linkname);
    return i;
  }

  /** Keeps `file` as entry `i`'s object (an analyzer's results or buffered content refer to it). */
  pin(i: number, file: ImageFile): void {
    this.pinned.set(i, file);
  }

  /** The pinned object of entry `i`, if some analyzer handled it. */
  pinnedAt(i: number): ImageFile | undefined {
    return this.pinned.get(i);
  }

  pathIdAt(i: number): number {
    return this.pathIds[i] as number;
  }

  modeAt(i: number): number {
    return this.modes[i] as number;
  }

  kindAt(i: number): EntryKind {
    return KINDS[this.kinds[i] as number] as EntryKind;
  }

  /** Entry `i` as an `ImageFile`: the pinned object, else a new one built from the columns. */
  fileAt(i: number): ImageFile {
    return this.pinned.get(i) ?? this.headerAt(i);
  }

  private headerAt(i: number): ImageFile {
    const file: ImageFile = {
      path: this.paths.pathOf(this.pathIds[i] as number),
      kind: this.kindAt(i),
      mode: this.modes[i] as number,
      size: this.sizes[i] as number,
      uid: this.uids[i] as number,
      gid: this.gids[i] as number,
      layerDigest: this.layerDigest,
      layerIndex: this.layerIndex,
    };
    const linkname = this.linknames.get(i);
    if (linkname !== undefined) file.linkname = linkname;
    const mtime = this.mtimes[i] as number;
    if (!Number.isNaN(mtime)) file.mtime = new Date(mtime);
    return file;
  }

  /** Every entry as an `ImageFile`, in tar order. */
  files(): ImageFile[] {
    const out = new Array<ImageFile>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.fileAt(i);
    return out;
  }
}
