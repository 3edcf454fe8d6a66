/**
 * Every path of an image interned once, as a small integer. A scan keeps some bookkeeping for every tar
 * entry of every layer (whiteouts and overwrites decide what stays visible), and a JS string plus an
 * object per entry made that bookkeeping the largest thing in memory (≈ 570 bytes an entry, 100 MB on a
 * 1.5 GB image). Here a path costs its directory's id, its base name's UTF-8 bytes and a hash slot
 * (≈ 30 bytes); directories are interned as strings, and there are far fewer of them than files.
 */
const EMPTY = -1;

function hashName(dir: number, name: Buffer): number {
  // FNV-1a over the directory id and the name's bytes
  let h = (0x811c9dc5 ^ dir) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < name.length; i++) {
    h ^= name[i] as number;
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
  private count = 0;

  /** Distinct paths interned so far. */
  get size(): number {
    return this.count;
  }

  /** The id of `path` (an absolute image path), interning it when new. */
  intern(path: string): number {
    const { dir, name } = this.split(path);
    const dirId = this.internDir(dir);
    return this.find(dirId, name, true);
  }

  /** The id of `path`, or undefined when no entry ever had it. */
  idOf(path: string): number | undefined {
    const { dir, name } = this.split(path);
    const dirId = this.dirIds.get(dir);
    if (dirId === undefined) return undefined;
    const id = this.find(dirId, name, false);
    return id === EMPTY ? undefined : id;
  }

  /** The path of an id from `intern`. */
  pathOf(id: number): string {
    const dir = this.dirs[this.dirOf[id] as number] as string;
    const start = this.nameStart[id] as number;
    const name = this.names.toString('utf8', start, start + (this.nameLength[id] as number));
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The directory holding path `id` (`/` for top-level entries). */
  dirPathOf(id: number): string {
    return this.dirs[this.dirOf[id] as number] as string;
  }

  private split(path: string): { dir: string; name: Buffer } {
    const i = path.lastIndexOf('/');
    return { dir: i <= 0 ? '/' : path.slice(0, i), name: Buffer.from(path.slice(i + 1), 'utf8') };
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
    return id;
  }

  private find(dirId: number, name: Buffer, insert: boolean): number {
    const mask = this.slots.length - 1;
    let slot = hashName(dirId, name) & mask;
    for (;;) {
      const id = this.slots[slot] as number;
      if (id === EMPTY) break;
      if (this.dirOf[id] === dirId && this.sameName(id, name)) return id;
      slot = (slot + 1) & mask;
    }
    if (!insert) return EMPTY;
    const id = this.count++;
    this.dirOf = grow(this.dirOf, this.count);
    this.nameStart = grow(this.nameStart, this.count);
    this.nameLength = grow(this.nameLength, this.count);
    if (this.namesUsed + name.length > this.names.length) {
      const next = Buffer.allocUnsafe(Math.max(this.names.length * 2, this.namesUsed + name.length));
      this.names.copy(next, 0, 0, this.namesUsed);
      this.names = next;
    }
    name.copy(this.names, this.namesUsed);
    this.dirOf[id] = dirId;
    this.nameStart[id] = this.namesUsed;
    this.nameLength[id] = name.length;
    this.namesUsed += name.length;
    this.slots[slot] = id;
    // at most half full: probes stay short
    if (this.count * 2 > this.slots.length) this.rehash();
    return id;
  }

  private sameName(id: number, name: Buffer): boolean {
    if (this.nameLength[id] !== name.length) return false;
    const start = this.nameStart[id] as number;
    return this.names.compare(name, 0, name.length, start, start + name.length) === 0;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      const start = this.nameStart[id] as number;
      const name = this.names.subarray(start, start + (this.nameLength[id] as number));
      let slot = hashName(this.dirOf[id] as number, name) & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
    }
    this.slots = slots;
  }
}
