import { inflateRawSync } from 'node:zlib';
import { limitError, parseError } from './common.js';

/** One file in a zip central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated; others are not read. */
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header, already corrected for data prepended to the archive. */
  localOffset: number;
}

/** Shared budget for one archive and everything nested in it, so zip bombs stop early. */
export interface ZipBudget {
  /** Bytes that may still be inflated. */
  bytes: number;
  /** Central-directory entries that may still be listed. */
  entries: number;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const MAX_COMMENT = 0xffff;

function u64(buf: Buffer, off: number): number {
  const v = buf.readBigUInt64LE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function findEocd(buf: Buffer): number {
  const stop = Math.max(0, buf.length - 22 - MAX_COMMENT);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIG) return i;
  }
  return -1;
}

/** Lists the central directory (zip64 aware); throws ANALYZER_PARSE_FAILED on a malformed archive. */
export function readZipEntries(buf: Buffer, path: string, budget: ZipBudget): ZipEntry[] {
  if (buf.length < 22) throw parseError(path, 'too short for a zip archive');
  const eocd = findEocd(buf);
  if (eocd < 0) throw parseError(path, 'no zip end-of-central-directory record');
  let count = buf.readUInt16LE(eocd + 10);
  let cdSize = buf.readUInt32LE(eocd + 12);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  let cdEnd = eocd;
  if ((count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) && eocd >= 20) {
    if (buf.readUInt32LE(eocd - 20) === EOCD64_LOCATOR_SIG) {
      const at = u64(buf, eocd - 12);
      if (at + 56 > buf.length || buf.readUInt32LE(at) !== EOCD64_SIG)
        throw parseError(path, 'bad zip64 record');
      count = u64(buf, at + 32);
      cdSize = u64(buf, at + 40);
      cdOffset = u64(buf, at + 48);
      cdEnd = at;
    }
  }
  // Archives with a prefix (self-executing jars) keep offsets relative to the zip start.
  const delta = cdEnd - cdSize - cdOffset;
  if (delta < 0 || cdEnd - cdSize < 0) throw parseError(path, 'central directory out of bounds');
  if (count > budget.entries) throw limitError(path, `zip lists ${count} entries, over the limit`);
  budget.entries -= count;
  const entries: ZipEntry[] = [];
  let off = cdEnd - cdSize;
  for (let i = 0; i < count; i++) {
    if (off + 46 > buf.length || buf.readUInt32LE(off) !== CEN_SIG)
      throw parseError(path, `bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(off + 28);
    const extraLen = buf.readUInt16LE(off + 30);
    const commentLen = buf.readUInt16LE(off + 32);
    if (off + 46 + nameLen + extraLen + commentLen > buf.length)
      throw parseError(path, `truncated central entry ${i}`);
    const entry: ZipEntry = {
      name: buf.toString('utf8', off + 46, off + 46 + nameLen),
      method: buf.readUInt16LE(off + 10),
      compressedSize: buf.readUInt32LE(off + 20),
      size: buf.readUInt32LE(off + 24),
      localOffset: buf.readUInt32LE(off + 42),
    };
    readZip64Extra(buf.subarray(off + 46 + nameLen, off + 46 + nameLen + extraLen), entry);
    entry.localOffset += delta;
    entries.push(entry);
    off += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

// Zip64 extra field (id 1): the 64-bit values of the fields that were saturated, in a fixed order.
function readZip64Extra(extra: Buffer, e: ZipEntry): void {
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      const take = (): number | undefined => {
        if (q + 8 > p + 4 + len || q + 8 > extra.length) return undefined;
        const v = u64(extra, q);
        q += 8;
        return v;
      };
      if (e.size === 0xffffffff) e.size = take() ?? e.size;
      if (e.compressedSize === 0xffffffff) e.compressedSize = take() ?? e.compressedSize;
      if (e.localOffset === 0xffffffff) e.localOffset = take() ?? e.localOffset;
      return;
    }
    p += 4 + len;
  }
}

/**
 * Inflates one entry, never past `maxBytes` nor the shared budget: a declared or actual size over the
 * limit throws ANALYZER_LIMIT_EXCEEDED (zip bombs), a broken entry ANALYZER_PARSE_FAILED.
 */
export function readZipEntry(
  buf: Buffer,
  entry: ZipEntry,
  path: string,
  maxBytes: number,
  budget: ZipBudget,
): Buffer {
  const where = `${path}!/${entry.name}`;
  const limit = Math.min(maxBytes, budget.bytes);
  if (entry.size > limit)
    throw limitError(where, `entry of ${entry.size} bytes exceeds the ${limit}-byte limit`);
  const loc = entry.localOffset;
  if (loc < 0 || loc + 30 > buf.length || buf.readUInt32LE(loc) !== LOC_SIG)
    throw parseError(where, 'bad local header');
  const start = loc + 30 + buf.readUInt16LE(loc + 26) + buf.readUInt16LE(loc + 28);
  const data = buf.subarray(start, start + entry.compressedSize);
  if (data.length < entry.compressedSize) throw parseError(where, 'entry data truncated');
  let out: Buffer;
  if (entry.method === 0) {
    out = data;
  } else if (entry.method === 8) {
    try {
      // A lying size header cannot get past maxOutputLength.
      out = inflateRawSync(data, { maxOutputLength: Math.max(1, limit) });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw limitError(where, `entry inflates past the ${limit}-byte limit`);
      }
      throw parseError(where, 'corrupt deflate data', err);
    }
  } else {
    throw parseError(where, `unsupported compression method ${entry.method}`);
  }
  if (out.length > limit) throw limitError(where, `entry exceeds the ${limit}-byte limit`);
  budget.bytes -= out.length;
  return out;
}
