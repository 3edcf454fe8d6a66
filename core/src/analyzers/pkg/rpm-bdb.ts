/**
 * Reads the values of a Berkeley DB hash database (rpm's legacy `Packages`), from a buffer. Layout from
 * libdb's dbinc/db_page.h: a hash metadata page, hash pages whose index holds key/value item offsets,
 * and values stored off-page as chains of overflow pages. Every page number read from the file is bounds-
 * and loop-checked, so a hostile file cannot make this walk forever or read outside the buffer.
 */

const HASH_MAGIC = 0x061561;
const PAGE_HEADER_SIZE = 26;
const PAGE_TYPE_HASH_UNSORTED = 2;
const PAGE_TYPE_OVERFLOW = 7;
const PAGE_TYPE_HASH_META = 8;
const PAGE_TYPE_HASH = 13;
/** H_OFFPAGE: the item points to an overflow chain (rpm headers are always larger than a page item). */
const ITEM_OFFPAGE = 3;
const OFFPAGE_ITEM_SIZE = 12;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);
/** rpm's own ceiling for one header blob. */
const MAX_VALUE_LENGTH = 256 * 1024 * 1024;

/** Values read from the database, plus non-fatal problems. */
export interface BlobList {
  blobs: Buffer[];
  warnings: string[];
}

/** Thrown when the buffer is not a readable hash database; the caller adds the path. */
export class BdbError extends Error {}

/** Whether the buffer starts with a Berkeley DB hash metadata page (either byte order). */
export function isBerkeleyDb(buf: Buffer): boolean {
  if (buf.length < 512) return false;
  return buf.readUInt32LE(12) === HASH_MAGIC || buf.readUInt32BE(12) === HASH_MAGIC;
}

export function readBerkeleyDbValues(buf: Buffer, maxWarnings = 20): BlobList {
  if (!isBerkeleyDb(buf)) throw new BdbError('not a Berkeley DB hash database (bad magic)');
  const bigEndian = buf.readUInt32LE(12) !== HASH_MAGIC;
  const u32 = (at: number): number => (bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
  const u16 = (at: number): number => (bigEndian ? buf.readUInt16BE(at) : buf.readUInt16LE(at));

  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new BdbError(`unexpected page size ${pageSize}`);
  if (buf[24] !== 0) throw new BdbError('the database is encrypted');
  if (buf[25] !== PAGE_TYPE_HASH_META) throw new BdbError(`unexpected metadata page type ${buf[25]}`);
  const lastPageNo = u32(32);
  const pagesPresent = Math.floor(buf.length / pageSize);
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.length < maxWarnings) warnings.push(m);
  };
  if (lastPageNo + 1 > pagesPresent) {
    warn(`database is truncated: ${pagesPresent} of ${lastPageNo + 1} pages present`);
  }
  const pageCount = Math.min(lastPageNo + 1, pagesPresent);

  const readChain = (firstPage: number, length: number): Buffer | string => {
    if (length > MAX_VALUE_LENGTH || length > buf.length) {
      return `a value of ${length} bytes cannot fit in this ${buf.length}-byte database`;
    }
    const chunks: Buffer[] = [];
    let collected = 0;
    const seen = new Set<number>();
    for (let pgno = firstPage; pgno !== 0 && collected < length;) {
      // Each page at most once: a cyclic chain is corruption, not a reason to loop.
      if (seen.has(pgno)) return `overflow chain loops at page ${pgno}`;
      seen.add(pgno);
      if (pgno >= pageCount) return `overflow page ${pgno} is outside the database`;
      const start = pgno * pageSize;
      if (buf[start + 25] !== PAGE_TYPE_OVERFLOW) return `page ${pgno} is not an overflow page`;
      const onPage = u16(start + 22);
      const available = pageSize - PAGE_HEADER_SIZE;
      const take = Math.min(onPage > 0 && onPage <= available ? onPage : available, length - collected);
      chunks.push(buf.subarray(start + PAGE_HEADER_SIZE, start + PAGE_HEADER_SIZE + take));
      collected += take;
      pgno = u32(start + 16);
    }
    if (collected < length) return `value ends after ${collected} of ${length} bytes`;
    return Buffer.concat(chunks, length);
  };

  const blobs: Buffer[] = [];
  for (let pgno = 1; pgno < pageCount; pgno++) {
    const start = pgno * pageSize;
    const type = buf[start + 25];
    if (type !== PAGE_TYPE_HASH && type !== PAGE_TYPE_HASH_UNSORTED) continue;
    const entries = u16(start + 20);
    if (entries % 2 !== 0 || PAGE_HEADER_SIZE + entries * 2 > pageSize) {
      warn(`hash page ${pgno} has a bad entry count ${entries}`);
      continue;
    }
    // Items come in key/value pairs; the value is the second of each pair.
    for (let i = 1; i < entries; i += 2) {
      const itemOffset = u16(start + PAGE_HEADER_SIZE + i * 2);
      if (itemOffset < PAGE_HEADER_SIZE || itemOffset >= pageSize) {
        warn(`hash page ${pgno} item ${i} points outside the page`);
        continue;
      }
      const item = start + itemOffset;
      // Small inline items (H_KEYDATA) are not package headers.
      if (buf[item] !== ITEM_OFFPAGE) continue;
      if (itemOffset + OFFPAGE_ITEM_SIZE > pageSize) {
        warn(`hash page ${pgno} item ${i} runs past the page`);
        continue;
      }
      const value = readChain(u32(item + 4), u32(item + 8));
      if (typeof value === 'string') warn(`hash page ${pgno} item ${i}: ${value}`);
      else blobs.push(value);
    }
  }
  return { blobs, warnings };
}
