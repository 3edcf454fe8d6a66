import type { FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { PortcullisError } from '../../errors.js';
import {
  MAX_TAR_META_BYTES,
  TAR_BLOCK,
  isTarMetaType,
  isZeroBlock,
  parsePaxRecords,
  readTarName,
  readTarNumber,
  readTarString,
  tarChecksumMatches,
} from '../../tar.js';

/** One member of a plain tar file, located by byte range so it can be streamed without extracting. */
export interface TarMember {
  /** Normalised relative path (`blobs/sha256/ab…`, no `./`, no trailing `/`). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** Offset of the member's data in the tar file. */
  offset: number;
  size: number;
  linkname?: string;
}

function archiveInvalid(file: string, why: string): PortcullisError {
  return new PortcullisError('SOURCE_ARCHIVE_INVALID', `${file}: ${why}`);
}

/**
 * Normalises a member path and refuses one that is absolute or climbs out of the archive
 * (SOURCE_PATH_UNSAFE): such names never occur in images, only in attacks.
 */
export function toSafeMemberPath(name: string, file: string): string {
  if (name.includes('\0'))
    throw new PortcullisError('SOURCE_PATH_UNSAFE', `${file}: member name contains NUL`);
  if (name.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(name)) {
    throw new PortcullisError('SOURCE_PATH_UNSAFE', `${file}: absolute member path ${JSON.stringify(name)}`);
  }
  const normal = posix.normalize(name);
  if (normal === '..' || normal.startsWith('../') || name.split('/').includes('..')) {
    throw new PortcullisError(
      'SOURCE_PATH_UNSAFE',
      `${file}: member path ${JSON.stringify(name)} escapes the archive`,
    );
  }
  return normal.replace(/\/+$/, '').replace(/^\.$/, '');
}

async function readExact(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/**
 * Reads only the headers of a plain (uncompressed) tar file and returns its members by path; member
 * data is skipped by offset, so a 1 GB archive costs a few reads. Later duplicates win, as in tar.
 */
export async function readTarIndex(
  fh: FileHandle,
  file: string,
  limits: { maxArchiveMembers: number },
): Promise<Map<string, TarMember>> {
  const { size: fileSize } = await fh.stat();
  const members = new Map<string, TarMember>();
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  let count = 0;
  while (pos < fileSize) {
    const header = await readExact(fh, TAR_BLOCK, pos);
    if (header.length < TAR_BLOCK) throw archiveInvalid(file, `truncated tar header at offset ${pos}`);
    if (isZeroBlock(header)) break; // end-of-archive marker
    if (!tarChecksumMatches(header)) throw archiveInvalid(file, `bad tar header checksum at offset ${pos}`);
    const typeflag = String.fromCharCode(header[156]!);
    const isMeta = isTarMetaType(typeflag);
    // A pax `size` record overrides the header (used for members over 8 GiB).
    const paxSize = !isMeta && pax.size !== undefined ? Number(pax.size) : undefined;
    const size = paxSize ?? readTarNumber(header, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0)
      throw archiveInvalid(file, `bad member size at offset ${pos}`);
    const dataOffset = pos + TAR_BLOCK;
    if (dataOffset + size > fileSize) {
      throw archiveInvalid(file, `truncated: member at offset ${pos} runs past the end`);
    }
    pos = dataOffset + Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    if (isMeta) {
      if (size > MAX_TAR_META_BYTES) {
        throw new PortcullisError('SOURCE_LIMIT_EXCEEDED', `${file}: tar extended header of ${size} bytes`);
      }
      const data = await readExact(fh, size, dataOffset);
      if (typeflag === 'L') longName = readTarString(data, 0, data.length);
      else if (typeflag === 'K') longLink = readTarString(data, 0, data.length);
      else if (typeflag === 'x') pax = parsePaxRecords(data);
      continue;
    }
    if (++count > limits.maxArchiveMembers) {
      throw new PortcullisError(
        'SOURCE_LIMIT_EXCEEDED',
        `${file}: more than ${limits.maxArchiveMembers} members`,
      );
    }
    const rawName = pax.path ?? longName ?? readTarName(header);
    const linkname = pax.linkpath ?? longLink ?? readTarString(header, 157, 100);
    longName = longLink = undefined;
    pax = {};
    const path = toSafeMemberPath(rawName, file);
    if (path === '') continue;
    const type =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '1'
          ? 'hardlink'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '5'
              ? 'dir'
              : 'other';
    const member: TarMember = { path, type, offset: dataOffset, size: type === 'file' ? size : 0 };
    if (type === 'symlink' || type === 'hardlink') member.linkname = linkname;
    members.set(path, member);
  }
  return members;
}

/**
 * Finds a regular-file member, following symlinks (relative to the link's directory) and hardlinks
 * (relative to the archive root) inside the archive. Links that leave it are SOURCE_PATH_UNSAFE.
 */
export function resolveTarMember(
  members: Map<string, TarMember>,
  path: string,
  file: string,
): TarMember | undefined {
  let current = toSafeMemberPath(path, file);
  for (let hops = 0; hops < 16; hops++) {
    const m = members.get(current);
    if (m === undefined || m.type === 'file') return m;
    if (m.type !== 'symlink' && m.type !== 'hardlink') return undefined;
    const target = m.linkname ?? '';
    if (target.startsWith('/')) {
      throw new PortcullisError('SOURCE_PATH_UNSAFE', `${file}: link ${m.path} points outside the archive`);
    }
    const joined = m.type === 'symlink' ? posix.join(posix.dirname(m.path), target) : posix.normalize(target);
    if (joined === '..' || joined.startsWith('../')) {
      throw new PortcullisError(
        'SOURCE_PATH_UNSAFE',
        `${file}: link ${m.path} -> ${target} escapes the archive`,
      );
    }
    current = joined.replace(/^\.\//, '');
  }
  throw archiveInvalid(file, `too many links resolving ${path}`);
}
