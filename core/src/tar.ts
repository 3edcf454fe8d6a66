/**
 * Decoding of one 512-byte tar header block, shared by the image archive index (`source/archive/tar-index.ts`)
 * and the layer parser (`layers/tar-parser.ts`). The rules follow Go's `archive/tar`, the reader containerd and
 * Docker unpack layers with: what the runtime would see is what gets scanned.
 */

export const TAR_BLOCK = 512;

/** Bytes of one GNU long name or pax record; Go's reader refuses more than 1 MiB too (real ones are tiny). */
export const MAX_TAR_META_BYTES = 1024 * 1024;

const META_TYPES = new Set(['L', 'K', 'x', 'g']);

/** GNU long name (`L`) or link (`K`), pax record (`x`) or pax global record (`g`): data about the next entry. */
export function isTarMetaType(typeflag: string): boolean {
  return META_TYPES.has(typeflag);
}

const NUL = 0;

/** Bytes up to the first NUL of a field, as UTF-8. */
export function readTarString(buf: Buffer, start: number, length: number): string {
  const end = start + length;
  let nul = buf.indexOf(NUL, start);
  if (nul === -1 || nul > end) nul = end;
  return nul === start ? '' : buf.toString('utf8', start, nul);
}

/**
 * A numeric field: octal text (leading and trailing spaces allowed, cut at the first NUL), or GNU base-256
 * (high bit of the first byte set: 0x80 positive, 0xff negative, big-endian after the marker bits). Returns
 * NaN for anything else, so a caller can refuse the header.
 */
export function readTarNumber(buf: Buffer, start: number, length: number): number {
  const first = buf[start]!;
  if ((first & 0x80) !== 0) {
    // two's complement: a negative number is read through an inverting mask (Go's parseNumeric)
    const inv = (first & 0x40) !== 0 ? 0xff : 0;
    let value = (first ^ inv) & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + (buf[i]! ^ inv);
    return inv === 0 ? value : -value - 1;
  }
  let i = start;
  const end = start + length;
  while (i < end && (buf[i] === 0x20 || buf[i] === NUL)) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  // the digits end at a NUL, or at spaces then a NUL / the field's end
  let j = i;
  while (j < end && buf[j] === 0x20) j++;
  if (j < end && buf[j] !== NUL) return Number.NaN;
  return digits === 0 ? 0 : value;
}

/**
 * The header's checksum field against the block's byte sum (the field itself counted as spaces), accepted
 * as unsigned or signed bytes like Go's reader (some old tars summed signed chars).
 */
export function tarChecksumMatches(header: Buffer): boolean {
  const stored = readTarNumber(header, 148, 8);
  if (Number.isNaN(stored)) return false;
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) {
    if (i === 148) i = 156;
    const b = header[i]!;
    unsigned += b;
    signed += b < 0x80 ? b : b - 0x100;
  }
  return stored === unsigned || stored === signed;
}

/** True when all 512 bytes are zero (an end-of-archive block). */
export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < TAR_BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * True for a POSIX ustar (or pax) header — magic `ustar\0`, version `00` — the only format whose bytes
 * 345–499 are a name prefix (GNU keeps times there; V7 has nothing).
 */
export function hasUstarPrefix(header: Buffer): boolean {
  return (
    header[257] === 0x75 &&
    header[258] === 0x73 &&
    header[259] === 0x74 &&
    header[260] === 0x61 &&
    header[261] === 0x72 &&
    header[262] === 0 &&
    header[263] === 0x30 &&
    header[264] === 0x30
  );
}

/** The entry name: the ustar prefix joined to the name field where the format has one. */
export function readTarName(header: Buffer): string {
  const name = readTarString(header, 0, 100);
  if (!hasUstarPrefix(header) || header[345] === 0) return name;
  return `${readTarString(header, 345, 155)}/${name}`;
}

/** Pax extended-header records (`<len> <key>=<value>\n`); a malformed record ends the parse. */
export function parsePaxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.toString('latin1', pos, space));
    if (!Number.isSafeInteger(len) || len <= space - pos + 1 || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq !== -1) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}
