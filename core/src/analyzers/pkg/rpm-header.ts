/**
 * RPM header blobs as stored in every rpmdb backend: `il` (index entry count) and `dl` (data length),
 * big-endian, then `il` 16-byte index entries {tag, type, offset, count} and `dl` bytes of data.
 * Layout from rpm's lib/header.c; only the tags an inventory needs are decoded.
 */

export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  SIZE: 1009,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  MODULARITYLABEL: 5096,
} as const;

const TYPE_INT32 = 4;
const TYPE_STRING = 6;
const TYPE_I18NSTRING = 9;

/** rpm refuses headers above 256 MiB and more than 0xffff index entries (hdrchkTags/hdrchkData). */
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_LENGTH = 256 * 1024 * 1024;
const ENTRY_SIZE = 16;

/** The fields of one installed rpm. */
export interface RpmHeaderInfo {
  name: string;
  version: string;
  release: string;
  /** Undefined when the package has no EPOCH tag (rpm treats it as 0). */
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
  license?: string;
  vendor?: string;
  size?: number;
  summary?: string;
  modularityLabel?: string;
}

/** Thrown by `parseRpmHeader`; the caller adds the database path. */
export class RpmHeaderError extends Error {}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

function readString(blob: Buffer, start: number, end: number): string {
  const nul = blob.indexOf(0, start);
  if (nul === -1 || nul >= end) throw new RpmHeaderError(`string at ${start} is not NUL-terminated`);
  return blob.toString('utf8', start, nul);
}

/** Parses one header blob. Throws RpmHeaderError when the blob is malformed or lacks NAME/VERSION. */
export function parseRpmHeader(blob: Buffer): RpmHeaderInfo {
  if (blob.length < 8) throw new RpmHeaderError(`header is ${blob.length} bytes, shorter than its preamble`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_INDEX_ENTRIES) throw new RpmHeaderError(`bad index entry count ${il}`);
  if (dl > MAX_DATA_LENGTH) throw new RpmHeaderError(`bad data length ${dl}`);
  const dataStart = 8 + il * ENTRY_SIZE;
  const dataEnd = dataStart + dl;
  if (dataEnd > blob.length) {
    throw new RpmHeaderError(`header needs ${dataEnd} bytes but the blob has ${blob.length}`);
  }

  const wanted = new Set<number>(Object.values(RPMTAG));
  // Later entries win: entries after the immutable region ("dribble" entries) update earlier ones.
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readInt32BE(at);
    if (!wanted.has(tag)) continue;
    const offset = blob.readInt32BE(at + 8);
    if (offset < 0 || offset >= dl)
      throw new RpmHeaderError(`tag ${tag} points outside the data (${offset})`);
    entries.set(tag, { type: blob.readUInt32BE(at + 4), offset, count: blob.readUInt32BE(at + 12) });
  }

  const str = (tag: number): string | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE_STRING && e.type !== TYPE_I18NSTRING) {
      throw new RpmHeaderError(`tag ${tag} has type ${e.type}, expected a string`);
    }
    const value = readString(blob, dataStart + e.offset, dataEnd);
    // rpm prints "(none)" for unset SOURCERPM/LICENSE/VENDOR in some databases.
    return value === '(none)' ? undefined : value;
  };
  const int32 = (tag: number): number | undefined => {
    const e = entries.get(tag);
    if (!e) return undefined;
    if (e.type !== TYPE_INT32 || e.count < 1) throw new RpmHeaderError(`tag ${tag} is not an int32`);
    const at = dataStart + e.offset;
    if (at + 4 > dataEnd) throw new RpmHeaderError(`tag ${tag} runs past the data`);
    return blob.readInt32BE(at);
  };

  const name = str(RPMTAG.NAME);
  const version = str(RPMTAG.VERSION);
  if (!name || version === undefined) throw new RpmHeaderError('header has no NAME or VERSION');
  const info: RpmHeaderInfo = {
    name,
    version,
    release: str(RPMTAG.RELEASE) ?? '',
    epoch: int32(RPMTAG.EPOCH),
    arch: str(RPMTAG.ARCH),
    sourceRpm: str(RPMTAG.SOURCERPM),
    license: str(RPMTAG.LICENSE),
    vendor: str(RPMTAG.VENDOR),
    size: int32(RPMTAG.SIZE),
    summary: str(RPMTAG.SUMMARY),
    modularityLabel: str(RPMTAG.MODULARITYLABEL),
  };
  // Leave absent tags absent rather than present-but-undefined, so results compare and serialise cleanly.
  for (const key of Object.keys(info) as (keyof RpmHeaderInfo)[]) {
    if (info[key] === undefined) delete info[key];
  }
  return info;
}

/**
 * Splits a source RPM file name `util-linux-2.32.1-42.el8_8.src.rpm` into name, version and release.
 * Undefined when it does not have that shape.
 */
export function parseSourceRpm(
  sourceRpm: string,
): { name: string; version: string; release: string } | undefined {
  const base = sourceRpm.replace(/\.(?:no)?src\.rpm$/, '');
  if (base === sourceRpm) return undefined;
  const r = base.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = base.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  return { name: base.slice(0, v), version: base.slice(v + 1, r), release: base.slice(r + 1) };
}
