export type EntryKind = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

/** Metadata of one tar entry, kept for every entry (content only when an analyzer requires it). */
export interface FileHeader {
  /** Normalised absolute path: leading `/`, no `.`/`..` segments, no trailing `/`. */
  path: string;
  kind: EntryKind;
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Symlink or hardlink target as recorded in the tar. */
  linkname?: string;
  mtime?: Date;
}

/** A file handed to an analyzer. */
export interface ImageFile extends FileHeader {
  layerDigest: string;
  /** Position of the layer in the image, 0 = base. */
  layerIndex: number;
  /** Content, present when some analyzer required the file (and within limits). */
  content?: Buffer;
  /** Set when a later layer deleted (`deleted`) or replaced (`overwritten`) this file. */
  hidden?: 'deleted' | 'overwritten';
}
