/**
 * Finds which of many byte literals occur in a buffer, in one pass (an Aho–Corasick automaton compiled to
 * a table: one lookup per byte, whatever the number of literals). The secret rules' keywords are matched
 * ASCII case-insensitively (`foldCase`), the malware rules' strings byte for byte.
 *
 * Memory: the table has one row per trie state and one column per byte value that occurs in some literal
 * (all other bytes share one column): the secret keywords make ~1,600 states × ~50 columns. Entries are
 * Int32 (V8 loads them without the range check a Uint32Array needs): 3.4 → 2.9 ns a byte on node_modules
 * text. (A column for every byte value, to skip the column lookup, measured no faster and is 5× larger.)
 */
export class LiteralScanner {
  /** Column of each byte value (0: a byte no literal uses). */
  private readonly columns = new Uint8Array(256);
  private readonly width: number;
  private readonly table: Int32Array;
  /** Literal indices recognised in each state (including those ending inside it), or undefined. */
  private readonly outputs: (number[] | undefined)[];
  /** Row offsets from this one on recognise some literal (the others none). */
  private readonly firstOutput: number;
  /** The initial state's row offset. */
  private readonly start: number;
  /** Bytes the second walk starts before the middle: the longest literal's length − 1. */
  private readonly overlap: number;
  /** The skip search `find` uses first (exact literals, none short, not too many); else undefined. */
  private readonly skip: SkipSearch | undefined;

  constructor(
    readonly literals: readonly Buffer[],
    foldCase = false,
    options: { skipSearch?: boolean } = {},
  ) {
    const fold = (b: number): number => (foldCase && b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
    let width = 1;
    for (const lit of literals)
      for (const raw of lit) {
        const b = fold(raw);
        if (this.columns[b] === 0) this.columns[b] = width++;
      }
    if (foldCase) for (let b = 0x41; b <= 0x5a; b++) this.columns[b] = this.columns[b + 0x20] as number;
    this.width = width;
    let longest = 1;
    for (const lit of literals) longest = Math.max(longest, lit.length);
    this.overlap = longest - 1;

    // the trie, as a table of child states (-1: none); at most one state per literal byte, plus the root
    let bound = 1;
    for (const lit of literals) bound += lit.length;
    const goto = new Int32Array(bound * width).fill(-1);
    const ends: number[][] = [[]];
    let states = 1;
    literals.forEach((lit, index) => {
      if (lit.length === 0) throw new RangeError('a literal must not be empty');
      let state = 0;
      for (const raw of lit) {
        const at = state * width + (this.columns[fold(raw)] as number);
        if ((goto[at] as number) < 0) {
          goto[at] = states++;
          ends.push([]);
        }
        state = goto[at] as number;
      }
      ends[state]?.push(index);
    });

    // breadth-first: failure links, outputs closed over them, and the full transition table
    const table = states <= 0xffff ? new Uint16Array(states * width) : new Uint32Array(states * width);
    const fail = new Int32Array(states);
    const outputs: (number[] | undefined)[] = new Array(states);
    const queue = new Int32Array(states);
    let tail = 0;
    for (let col = 0; col < width; col++) {
      const next = goto[col] as number;
      table[col] = next < 0 ? 0 : next;
      if (next >= 0) queue[tail++] = next;
    }
    outputs[0] = undefined;
    for (let head = 0; head < tail; head++) {
      const state = queue[head] as number;
      const own = ends[state] as number[];
      const inherited = outputs[fail[state] as number];
      const all = inherited ? [...own, ...inherited] : own;
      outputs[state] = all.length > 0 ? all : undefined;
      const failRow = (fail[state] as number) * width;
      for (let col = 0; col < width; col++) {
        const next = goto[state * width + col] as number;
        if (next < 0) {
          table[state * width + col] = table[failRow + col] as number;
        } else {
          fail[next] = table[failRow + col] as number;
          table[state * width + col] = next;
          queue[tail++] = next;
        }
      }
    }
    // renumber: states that recognise something last, so the scan loop tests one number per byte
    const order: number[] = [];
    for (let st = 0; st < states; st++) if (outputs[st] === undefined) order.push(st);
    const firstOutputState = order.length;
    for (let st = 0; st < states; st++) if (outputs[st] !== undefined) order.push(st);
    const rename = new Uint32Array(states);
    order.forEach((old, i) => (rename[old] = i));
    // entries are row offsets (state number × width): no multiplication per byte (~15% faster scans)
    const renamed = new Int32Array(states * width);
    for (let old = 0; old < states; old++)
      for (let col = 0; col < width; col++)
        renamed[(rename[old] as number) * width + col] =
          (rename[table[old * width + col] as number] as number) * width;
    this.table = renamed;
    this.outputs = order.map((old) => outputs[old]);
    this.start = (rename[0] as number) * width;
    this.firstOutput = firstOutputState * width;
    this.skip =
      options.skipSearch !== false && !foldCase && SkipSearch.suits(literals)
        ? new SkipSearch(literals)
        : undefined;
  }

  /** Whether `find` tries the skip search first (see {@link SkipSearch}). */
  get skipsBytes(): boolean {
    return this.skip !== undefined;
  }

  /**
   * Every occurrence of every literal in `bytes`, overlapping ones included, as flat pairs: the literal's
   * index, then the offset of its first byte.
   */
  occurrences(bytes: Uint8Array): number[] {
    const pairs: number[] = [];
    this.scan(bytes, (index, end) => {
      pairs.push(index, end + 1 - (this.literals[index] as Uint8Array).length);
    });
    return pairs;
  }

  /** Indices (into `literals`) of every literal that occurs in `bytes`, each once, in no given order. */
  find(bytes: Uint8Array): number[] {
    // the skip search gives up (undefined) on texts that make it compare too much: then the automaton
    const skipped = this.skip?.find(bytes);
    if (skipped) return skipped;
    const seen = new Uint8Array(this.literals.length);
    const found: number[] = [];
    this.scan(bytes, (index) => {
      if (seen[index] === 0) {
        seen[index] = 1;
        found.push(index);
      }
    });
    return found;
  }

  /**
   * The automaton over `bytes`: `onMatch` for each literal ending at each offset, in order (one table lookup
   * a byte). A longer text is read as two halves at once: each lookup waits on the one before it, so one
   * walk leaves the core idle between loads, and two independent walks fill that time (2.4 → 1.7 ns a byte
   * on node_modules text; four walks measured no faster). The second walk starts `longest − 1` bytes before
   * the middle, so it sees every literal that ends in its half whole, and it reports only those: together
   * the halves give exactly the matches, in the order, of one walk.
   */
  private scan(bytes: Uint8Array, onMatch: (index: number, end: number) => void): void {
    const { columns, width, table, outputs, firstOutput } = this;
    const n = bytes.length;
    // `row` is the current state's offset in the table; divided back to its number only on a match
    let row = this.start;
    // (a literal longer than a quarter of the text: one walk, so the halves stay apart)
    if (n < TWO_WALKS_FROM || this.overlap * 4 > n) {
      for (let i = 0; i < n; i++) {
        row = table[row + (columns[bytes[i] as number] as number)] as number;
        if (row < firstOutput) continue;
        for (const index of outputs[row / width] as number[]) onMatch(index, i);
      }
      return;
    }
    const mid = n >> 1;
    const from = mid - this.overlap;
    let second = this.start;
    // the second half's matches wait until the first half's are out
    const later: number[] = [];
    for (let i = 0; i < mid; i++) {
      row = table[row + (columns[bytes[i] as number] as number)] as number;
      const j = from + i;
      second = table[second + (columns[bytes[j] as number] as number)] as number;
      if (row >= firstOutput) for (const index of outputs[row / width] as number[]) onMatch(index, i);
      if (second >= firstOutput && j >= mid)
        for (const index of outputs[second / width] as number[]) later.push(index, j);
    }
    for (let k = 0; k < later.length; k += 2) onMatch(later[k] as number, later[k + 1] as number);
    for (let j = from + mid; j < n; j++) {
      second = table[second + (columns[bytes[j] as number] as number)] as number;
      if (second < firstOutput) continue;
      for (const index of outputs[second / width] as number[]) onMatch(index, j);
    }
  }
}

/** Texts shorter than this are read in one walk (two only pay off past a few hundred bytes). */
const TWO_WALKS_FROM = 1024;

/** Shortest literal and most literals the skip search takes: past these it skips too little to pay. */
const SKIP_MIN_LENGTH = 4;
const SKIP_MAX_LITERALS = 256;
/** Bytes compared while verifying candidates, per text byte, before the skip search hands over. */
const SKIP_COMPARE_BUDGET = 4;

/**
 * Which of a few exact literals, none shorter than 4 bytes, occur in a text, without reading every byte
 * (Wu–Manber with byte pairs). With `m` the shortest literal's length, each step looks at the pair of bytes
 * ending a window of `m` bytes: a pair that occurs in no literal's first `m` bytes lets the window jump
 * `m − 1` bytes, and a pair at position `j` of some literal's first `m` bytes jumps just far enough to line
 * it up; only a pair that ends some literal's first `m` bytes (a jump of 0) has the literals ending there
 * compared in full. The malware rules' strings (≥ 5 bytes) make most jumps 3–4 bytes: 2.5× faster than the
 * automaton on node_modules text. A text that keeps it comparing (a literal's prefix repeated over and over)
 * stops it after `SKIP_COMPARE_BUDGET` compared bytes per text byte, and the automaton answers instead: never
 * much slower than the automaton alone.
 */
export class SkipSearch {
  /** Jump for each byte pair (first byte × 256 + second) ending the window. */
  private readonly shift: Uint8Array;
  /** Literals whose first `m` bytes end in each pair (a linked list: head per pair, next per literal). */
  private readonly head = new Int32Array(65536).fill(-1);
  private readonly next: Int32Array;
  private readonly m: number;

  static suits(literals: readonly Buffer[]): boolean {
    return (
      literals.length > 0 &&
      literals.length <= SKIP_MAX_LITERALS &&
      literals.every((l) => l.length >= SKIP_MIN_LENGTH)
    );
  }

  constructor(private readonly literals: readonly Buffer[]) {
    const m = Math.min(...literals.map((l) => l.length));
    this.m = m;
    this.shift = new Uint8Array(65536).fill(m - 1);
    // each literal's entry is set below (to its pair's previous head, or -1)
    this.next = new Int32Array(literals.length);
    literals.forEach((lit, index) => {
      for (let j = 1; j < m; j++) {
        const pair = ((lit[j - 1] as number) << 8) | (lit[j] as number);
        this.shift[pair] = Math.min(this.shift[pair] as number, m - 1 - j);
      }
      const last = ((lit[m - 2] as number) << 8) | (lit[m - 1] as number);
      this.next[index] = this.head[last] as number;
      this.head[last] = index;
    });
  }

  /** As `LiteralScanner.find`; undefined when the compare budget ran out. */
  find(bytes: Uint8Array): number[] | undefined {
    const { shift, head, next, literals, m } = this;
    const n = bytes.length;
    const seen = new Uint8Array(literals.length);
    const found: number[] = [];
    let budget = n * SKIP_COMPARE_BUDGET;
    // `i`: the last byte of the window (the literal's first `m` bytes would end here)
    for (let i = m - 1; i < n;) {
      const pair = ((bytes[i - 1] as number) << 8) | (bytes[i] as number);
      const jump = shift[pair] as number;
      if (jump !== 0) {
        i += jump;
        continue;
      }
      const start = i - m + 1;
      for (let k = head[pair] as number; k >= 0; k = next[k] as number) {
        const lit = literals[k] as Buffer;
        if (seen[k] === 1 || start + lit.length > n) continue;
        let q = 0;
        while (q < lit.length && bytes[start + q] === lit[q]) q++;
        budget -= q + 1;
        if (q === lit.length) {
          seen[k] = 1;
          found.push(k);
        }
      }
      if (budget < 0) return undefined;
      i++;
    }
    return found;
  }
}
