import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageContext } from '../../../core/src/analyzers/analyzer.js';
import type { FileHeader, ImageFile } from '../../../core/src/types/file.js';
import { FIXTURES } from '../../helpers/env.js';

export const LANG_FIXTURES = join(FIXTURES, 'lang');
export const LAYER = 'sha256:' + 'ab'.repeat(32);

export function readFixture(rel: string): Buffer {
  return readFileSync(join(LANG_FIXTURES, rel));
}

/** A header as the layer reader would hand it to `required`. */
export function header(path: string, size: number, mode = 0o644): FileHeader {
  return { path, kind: 'file', mode, size, uid: 0, gid: 0 };
}

/** A required file with its content, as `analyze` receives it. */
export function imageFile(path: string, content: Buffer | undefined, mode = 0o644, size?: number): ImageFile {
  return { ...header(path, size ?? content?.length ?? 0, mode), layerDigest: LAYER, layerIndex: 1, content };
}

/** The whole-image view for `analyzeImage`. */
export function imageContext(files: ImageFile[]): ImageContext {
  return {
    image: { ref: 'test', configDigest: 'sha256:' + '00'.repeat(32), config: {}, layers: [] },
    files: new Map(files.map((f) => [f.path, f])),
    hidden: [],
    options: {},
  };
}
