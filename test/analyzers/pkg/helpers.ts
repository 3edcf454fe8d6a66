import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileHeader, ImageFile } from '../../../core/src/types/file.js';
import { FIXTURES } from '../../helpers/env.js';

export const PKGDB = join(FIXTURES, 'pkgdb');

export function readFixture(path: string): Buffer {
  return readFileSync(join(PKGDB, path));
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFixture(path).toString('utf8')) as T;
}

export function header(path: string, kind: FileHeader['kind'] = 'file'): FileHeader {
  return { path, kind, mode: 0o644, size: 0, uid: 0, gid: 0 };
}

export const LAYER = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';

export function imageFile(path: string, content: Buffer): ImageFile {
  return { ...header(path), size: content.length, content, layerDigest: LAYER, layerIndex: 0 };
}

/** trivy's expected package shape: version split into epoch, version and release. */
export interface TrivyPackage {
  Name: string;
  Version: string;
  Epoch?: number;
  Release?: string;
  SrcName: string;
  SrcVersion: string;
  SrcEpoch?: number;
  SrcRelease?: string;
  Arch: string;
}

/** Joins trivy's split fields back into the package manager's full version string. */
export function fullVersion(epoch: number | undefined, version: string, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

/** A deterministic PRNG (mulberry32), so fuzz cases are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
