/**
 * Reads header blobs from rpm's "ndb" backend (`Packages.db`, SUSE), from a buffer. Layout from rpm's
 * lib/backend/ndb/rpmpkg.c: a 32-byte header {magic "RpmP", version, generation, slot page count}, slot
 * pages of 16-byte slots {magic "Slot", package index, block offset, block count}, and blobs at
 * `blockOffset * 16` with a 16-byte header {magic "BlbS", package index, checksum, length}.
 */
import type { BlobList } from './rpm-bdb.js';

const HEADER_MAGIC = 0x506d7052; // "RpmP", little-endian
const SLOT_MAGIC = 0x746f6c53; // "Slot"
const BLOB_MAGIC = 0x53626c42; // "BlbS"
const SLOT_SIZE = 16;
const BLOCK_SIZE = 16;
const SLOT_PAGE_SIZE = 4096;
/** rpm's own sanity limit on slot pages (also bounds the slots we walk). */
const MAX_SLOT_PAGES = 2048;

export class NdbError extends Error {}

export function isNdb(buf: Buffer): boolean {
  return buf.length >= 32 && buf.readUInt32LE(0) === HEADER_MAGIC;
}

export function readNdbBlobs(buf: Buffer, maxWarnings = 20): BlobList {
  if (!isNdb(buf)) throw new NdbError('not an rpm ndb database (bad magic)');
  const version = buf.readUInt32LE(4);
  if (version !== 0) throw new NdbError(`unsupported ndb version ${version}`);
  const slotPages = buf.readUInt32LE(12);
  if (slotPages === 0 || slotPages > MAX_SLOT_PAGES) throw new NdbError(`bad slot page count ${slotPages}`);
  const warnings: string[] = [];
  const warn = (m: string): void => {
    if (warnings.length < maxWarnings) warnings.push(m);
  };
  let slotsEnd = slotPages * SLOT_PAGE_SIZE;
  if (slotsEnd > buf.length) {
    warn(`database is truncated inside its slot pages (${buf.length} of ${slotsEnd} bytes)`);
    slotsEnd = buf.length - (buf.length % SLOT_SIZE);
  }

  const blobs: Buffer[] = [];
  // The first two slot positions hold the database header.
  for (let at = 2 * SLOT_SIZE; at + SLOT_SIZE <= slotsEnd; at += SLOT_SIZE) {
    if (buf.readUInt32LE(at) !== SLOT_MAGIC) {
      warn(`bad slot magic at offset ${at}: slot table is corrupt, stopped reading`);
      break;
    }
    const pkgIndex = buf.readUInt32LE(at + 4);
    if (pkgIndex === 0) continue; // free slot
    const blobStart = buf.readUInt32LE(at + 8) * BLOCK_SIZE;
    if (blobStart + BLOCK_SIZE > buf.length) {
      warn(`package ${pkgIndex}: blob at ${blobStart} is outside the database`);
      continue;
    }
    if (buf.readUInt32LE(blobStart) !== BLOB_MAGIC || buf.readUInt32LE(blobStart + 4) !== pkgIndex) {
      warn(`package ${pkgIndex}: no blob header at ${blobStart}`);
      continue;
    }
    const length = buf.readUInt32LE(blobStart + 12);
    const dataStart = blobStart + BLOCK_SIZE;
    if (dataStart + length > buf.length) {
      warn(`package ${pkgIndex}: blob of ${length} bytes runs past the end of the database`);
      continue;
    }
    blobs.push(buf.subarray(dataStart, dataStart + length));
  }
  return { blobs, warnings };
}
