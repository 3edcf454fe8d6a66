/**
 * Every path of an image interned once, as a small integer. A scan keeps some bookkeeping for every tar
 * entry of every layer (whiteouts and overwrites decide what stays visible), and a JS string plus an
 * object per entry made that bookkeeping the largest thing in memory (≈ 570 bytes an entry, 100 MB on a
 * 1.5 GB image). Here a path costs its directory's id, its base name's UTF-8 bytes and a hash slot
 * (≈ 30 bytes); directories are interned as strings, and there are far fewer of them than files.
 */
const EMPTY = -1;

function hashName(dir: number, bytes: Buffer, start: number, end: number): number {
  // FNV-1a over the directory id and the name's bytes
  let h = (0x811c9dc5 ^ dir) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = start; i < end; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function grow<T extends Int32Array | Uint32Array | Uint16Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2));
  next.set(array);
  return next;
}

export class PathTable {
  private readonly dirIds = new Map<string, number>();
  private readonly dirs: string[] = [];
  /** Per path id: directory id, offset and length of the base name in `names`. */
  private dirOf = new Int32Array(1024);
  private nameStart = new Uint32Array(1024);
  private nameLength = new Uint16Array(1024);
  private names = Buffer.allocUnsafe(16 * 1024);
  private namesUsed = 0;
  private slots = new Int32Array(2048).fill(EMPTY);
  /** The directory of the last path interned, and its id (top-level paths always look theirs up). */
  private lastDir = '';
  private lastDirId = -1;
  private count = 0;

  /** Distinct paths interned so far. */
  get size(): number {
    return this.count;
  }

  /** The id of `path` (an absolute image path), interning it when new. */
  intern(path: string): number {
    const slash = path.lastIndexOf('/');
    // a tar lists a directory's entries together: most paths are in the directory of the one before
    const last = this.lastDir;
    const dirId =
      slash > 0 && slash === last.length && path.startsWith(last)
        ? this.lastDirId
        : this.internDir(slash <= 0 ? '/' : path.slice(0, slash));
    return this.find(dirId, this.stage(path, slash + 1), true);
  }

  /** The id of `path`, or undefined when no entry ever had it. */
  idOf(path: string): number | undefined {
    const slash = path.lastIndexOf('/');
    const dirId = this.dirIds.get(slash <= 0 ? '/' : path.slice(0, slash));
    if (dirId === undefined) return undefined;
    const id = this.find(dirId, this.stage(path, slash + 1), false);
    return id === EMPTY ? undefined : id;
  }

  /** The path of an id from `intern`. */
  pathOf(id: number): string {
    const dir = this.dirs[this.dirOf[id] as number] as string;
    const name = this.nameOf(id);
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The UTF-8 length of path `id`'s base name (read without decoding it). */
  nameLengthOf(id: number): number {
    return this.nameLength[id] as number;
  }

  /** Path `id`'s base name. */
  nameOf(id: number): string {
    const start = this.nameStart[id] as number;
    return this.names.toString('utf8', start, start + (this.nameLength[id] as number));
  }

  /** The id of the directory holding path `id` (one per distinct directory). */
  dirIdOf(id: number): number {
    return this.dirOf[id] as number;
  }

  /** The directory holding path `id` (`/` for top-level entries). */
  dirPathOf(id: number): string {
    return this.dirs[this.dirOf[id] as number] as string;
  }

  /**
   * Writes the base name (from `from` on) as UTF-8 where the next name would go, and returns its length:
   * a lookup compares those bytes in place, and an insert keeps them (no Buffer per entry).
   */
  private stage(path: string, from: number): number {
    const name = path.slice(from);
    // at most 3 UTF-8 bytes per UTF-16 unit
    const room = this.namesUsed + name.length * 3;
    if (room > this.names.length) {
      const next = Buffer.allocUnsafe(Math.max(this.names.length * 2, room));
      this.names.copy(next, 0, 0, this.namesUsed);
      this.names = next;
    }
    return this.names.write(name, this.namesUsed, 'utf8');
  }

  private internDir(dir: string): number {
    let id = this.dirIds.get(dir);
    if (id === undefined) {
      id = this.dirs.length;
      // a flat copy: a slice of an entry's path would keep the whole path string alive
      const flat = Buffer.from(dir, 'utf8').toString('utf8');
      this.dirs.push(flat);
      this.dirIds.set(flat, id);
    }
    this.lastDir = this.dirs[id] as string;
    this.lastDirId = id;
    return id;
  }

  /** The id of the name staged at `namesUsed` (`length` bytes) in directory `dirId`; inserted if asked. */
  private find(dirId: number, length: number, insert: boolean): number {
    const at = this.namesUsed;
    const mask = this.slots.length - 1;
    let slot = hashName(dirId, this.names, at, at + length) & mask;
    for (;;) {
      const id = this.slots[slot] as number;
      if (id === EMPTY) break;
      if (this.dirOf[id] === dirId && this.sameName(id, at, length)) return id;
      slot = (slot + 1) & mask;
    }
    if (!insert) return EMPTY;
    const id = this.count++;
    this.dirOf = grow(this.dirOf, this.count);
    this.nameStart = grow(this.nameStart, this.count);
    this.nameLength = grow(this.nameLength, this.count);
    this.dirOf[id] = dirId;
    this.nameStart[id] = at;
    this.nameLength[id] = length;
    this.namesUsed += length;
    this.slots[slot] = id;
    // at most half full: probes stay short
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private sameName(id: number, at: number, length: number): boolean {
    if (this.nameLength[id] !== length) return false;
    const start = this.nameStart[id] as number;
    const names = this.names;
    for (let i = 0; i < length; i++) if (names[start + i] !== names[at + i]) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      const start = this.nameStart[id] as number;
      const end = start + (this.nameLength[id] as number);
      let slot = hashName(this.dirOf[id] as number, this.names, start, end) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.slots = slots;
  }
}
