import * as crypto from 'node:crypto';

/** A buffer's SHA-256 in one call (Node ≥ 20.12 without a `Hash` object). */
export const sha256Once: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer') as unknown as Buffer
    : (data) => crypto.createHash('sha256').update(data).digest();

/** Bytes of a SHA-256 digest. */
const DIGEST_BYTES = 32;
/** Slots a digest set starts with and may grow to (×32 bytes: 32 KiB … 2 MiB). */
const MIN_SLOTS = 1024;
export const MAX_DIGEST_SLOTS = 65_536;

/**
 * A set of SHA-256 digests in one flat buffer (open addressing, the digest's first bytes as the hash):
 * 32 bytes an entry outside the V8 heap, no object per entry. Grows to `maxSlots`; once that is three
 * quarters full it starts over, so its memory is bounded whatever the image.
 */
export class DigestSet {
  private slots: Uint8Array;
  private capacity: number;
  size = 0;

  constructor(private readonly maxSlots = MAX_DIGEST_SLOTS) {
    this.capacity = Math.min(MIN_SLOTS, maxSlots);
    this.slots = new Uint8Array(this.capacity * DIGEST_BYTES);
  }

  has(digest: Buffer): boolean {
    return this.find(digest) < 0;
  }

  add(digest: Buffer): void {
    if (digest.length !== DIGEST_BYTES) throw new RangeError('a SHA-256 digest has 32 bytes');
    if (this.size + 1 > this.capacity * 0.75) {
      if (this.capacity < this.maxSlots) this.resize(this.capacity * 2);
      else this.clear();
    }
    const at = this.find(digest);
    if (at < 0) return;
    this.slots.set(digest, at * DIGEST_BYTES);
    this.size++;
  }

  clear(): void {
    this.slots.fill(0);
    this.size = 0;
  }

  /** The slot holding `digest` as -1 - slot, else the empty slot where it would go. */
  private find(digest: Buffer): number {
    const mask = this.capacity - 1;
    let slot = digest.readUInt32LE(0) & mask;
    for (;;) {
      const base = slot * DIGEST_BYTES;
      if (this.isEmpty(base)) return slot;
      if (this.equals(base, digest)) return -1 - slot;
      slot = (slot + 1) & mask;
    }
  }

  private isEmpty(base: number): boolean {
    // an all-zero digest is not a SHA-256 anyone will meet
    for (let i = 0; i < DIGEST_BYTES; i++) if (this.slots[base + i] !== 0) return false;
    return true;
  }

  private equals(base: number, digest: Buffer): boolean {
    for (let i = 0; i < DIGEST_BYTES; i++) if (this.slots[base + i] !== digest[i]) return false;
    return true;
  }

  private resize(capacity: number): void {
    const old = this.slots;
    const oldCapacity = this.capacity;
    this.capacity = capacity;
    this.slots = new Uint8Array(capacity * DIGEST_BYTES);
    this.size = 0;
    for (let s = 0; s < oldCapacity; s++) {
      const entry = old.subarray(s * DIGEST_BYTES, (s + 1) * DIGEST_BYTES);
      if (entry.some((b) => b !== 0)) this.add(Buffer.from(entry.buffer, entry.byteOffset, DIGEST_BYTES));
    }
  }
}

/** Results that are not empty, kept per cache (most files yield nothing; those are only in the digest set). */
const MAX_RESULT_ENTRIES = 1024;

const NOTHING: readonly never[] = Object.freeze([]);

/**
 * Results of a content analysis (lists: matches, rule hits) keyed by the SHA-256 of the bytes analysed and a
 * `variant` string for whatever else the result depends on (each variant its own shelf): an image that holds
 * the same file many times — `COPY` of a tree already in a lower layer, `RUN chown -R` rewriting a whole
 * layer, vendored copies of one package — pays for the analysis once. Results are a pure function of the key, so the cache lives as long
 * as its owner (a service worker reuses it across scans). Bounded by design: empty results (nearly every
 * file) are one digest in a {@link DigestSet} (≤ 2 MiB a variant), the few others a capped map.
 */
export class ContentCache<T> {
  /** One shelf per variant: the digest alone is the key within it (no second hash per lookup). */
  private readonly shelves = new Map<string, Shelf<T>>();
  hits = 0;
  misses = 0;

  /** The cached list for the content digest and variant, else `compute()`'s (then cached). */
  getOrCompute(digest: Buffer, variant: string, compute: () => readonly T[]): readonly T[] {
    let shelf = this.shelves.get(variant);
    if (!shelf) {
      // a few variants in practice (the policy's options, a path-limited rule's paths); more start over
      if (this.shelves.size >= MAX_VARIANTS) this.shelves.clear();
      shelf = { empty: new DigestSet(), values: new Map() };
      this.shelves.set(variant, shelf);
    }
    if (shelf.empty.has(digest)) {
      this.hits++;
      return NOTHING;
    }
    const id = digest.toString('latin1');
    const cached = shelf.values.get(id);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const value = compute();
    if (value.length === 0) shelf.empty.add(digest);
    else {
      if (shelf.values.size >= MAX_RESULT_ENTRIES) {
        const oldest = shelf.values.keys().next();
        if (!oldest.done) shelf.values.delete(oldest.value);
      }
      shelf.values.set(id, value);
    }
    return value;
  }
}

interface Shelf<T> {
  empty: DigestSet;
  values: Map<string, readonly T[]>;
}

/**
 * Variants kept at once. The key used to be SHA-256(digest ‖ variant): one more `Hash` object per file,
 * ~0.3 s of a large scan, since the CLI's policy always sets the secret options (a variant).
 */
const MAX_VARIANTS = 4;
