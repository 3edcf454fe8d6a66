import { readFileSync, statSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { PortcullisError } from '../errors.js';

/** Bounds for reading an untrusted zip (osv.dev `all.zip`). */
export interface ZipLimits {
  /** Largest zip file read into memory. */
  maxArchiveBytes: number;
  maxEntries: number;
  /** Largest uncompressed entry (one OSV record). */
  maxEntryBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxArchiveBytes: 2 * 1024 ** 3 - 1,
  maxEntries: 2_000_000,
  maxEntryBytes: 64 * 1024 ** 2,
};

export interface ZipEntry {
  name: string;
  /** Uncompressed content. */
  data: Buffer;
}

function zipError(source: string, message: string): PortcullisError {
  return new PortcullisError('DB_IMPORT_FAILED', `${source}: not a readable zip: ${message}`);
}

/** Reads a zip file from disk within the limits. */
export function readZipFile(path: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Generator<ZipEntry> {
  const size = statSync(path).size;
  if (size > limits.maxArchiveBytes) throw zipError(path, `larger than ${limits.maxArchiveBytes} bytes`);
  return readZip(readFileSync(path), path, limits);
}

/**
 * Yields the file entries of a zip held in memory, via the central directory. Only stored (0) and
 * deflated (8) entries are supported; zip64 and encryption are refused. Every size is checked before
 * it is trusted, and inflation is capped at `maxEntryBytes`.
 */
export function* readZip(
  buf: Buffer,
  source: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Generator<ZipEntry> {
  const eocd = findEndOfCentralDirectory(buf);
  if (eocd < 0) throw zipError(source, 'no end-of-central-directory record');
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw zipError(source, 'zip64 is not supported');
  if (count > limits.maxEntries) throw zipError(source, `more than ${limits.maxEntries} entries`);
  if (cdOffset + cdSize > eocd) throw zipError(source, 'central directory out of bounds');
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== 0x02014b50)
      throw zipError(source, `bad central directory entry ${i}`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressedSize = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw zipError(source, `${name} is encrypted`);
    if (size > limits.maxEntryBytes)
      throw zipError(source, `${name} is larger than ${limits.maxEntryBytes} bytes`);
    if (localOffset + 30 > buf.length || buf.readUInt32LE(localOffset) !== 0x04034b50) {
      throw zipError(source, `bad local header for ${name}`);
    }
    const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    if (start + compressedSize > buf.length) throw zipError(source, `${name} runs past the end of the file`);
    const raw = buf.subarray(start, start + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: limits.maxEntryBytes });
      } catch (err) {
        throw zipError(source, `${name}: ${(err as Error).message}`);
      }
    } else throw zipError(source, `${name} uses unsupported compression method ${method}`);
    if (data.length !== size || crc32(data) !== crc)
      throw zipError(source, `${name} fails its size or CRC-32 check`);
    yield { name, data };
  }
}

function findEndOfCentralDirectory(buf: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) return i;
  }
  return -1;
}
