import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageFile } from '../../../core/src/types/file.js';
import type { Package } from '../../../core/src/types/package.js';
import { LANG_ANALYZERS } from '../../../core/src/analyzers/lang/index.js';
import { NO_IMAGES_REASON, TEST_IMAGES, haveTestImages, skipReason } from '../../helpers/env.js';
import { LAYER, imageContext } from './helpers.js';

function* walk(dir: string, rel = ''): Generator<{ abs: string; path: string }> {
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const path = `${rel}/${name}`;
    if (lstatSync(abs).isDirectory()) yield* walk(abs, path);
    else yield { abs, path };
  }
}

describe('LANG_ANALYZERS', () => {
  it('lists every language analyzer once, as inventory analyzers', () => {
    const names = LANG_ANALYZERS.map((a) => a.name);
    expect(names).toEqual(['npm', 'python', 'go-binary', 'java', 'cargo', 'gem', 'composer']);
    expect(LANG_ANALYZERS.every((a) => a.scanner === 'inventory' && a.version >= 1)).toBe(true);
  });

  const l2 = join(TEST_IMAGES, 'l2');
  describe.skipIf(!haveTestImages && skipReason(NO_IMAGES_REASON))(
    'on the multi image layer 2 contents',
    () => {
      it('finds lodash, requests, urllib3, smallvec, time and Go stdlib, each once', async () => {
        const files: ImageFile[] = [];
        const packages: Package[] = [];
        const notes: unknown[] = [];
        for (const { abs, path } of walk(l2)) {
          const st = lstatSync(abs);
          const h = {
            path,
            kind: st.isFile() ? ('file' as const) : ('other' as const),
            mode: st.mode & 0o7777,
            size: st.size,
            uid: 0,
            gid: 0,
          };
          const wanted = LANG_ANALYZERS.filter((a) => a.required(path, h));
          if (wanted.length === 0) continue;
          const file: ImageFile = { ...h, layerDigest: LAYER, layerIndex: 1, content: readFileSync(abs) };
          files.push(file);
          for (const a of wanted) {
            const r = await a.analyze?.(file, {});
            packages.push(...(r?.packages ?? []));
            notes.push(...(r?.notes ?? []));
          }
        }
        const ctx = imageContext(files);
        for (const a of LANG_ANALYZERS) {
          const r = await a.analyzeImage?.(ctx);
          packages.push(...(r?.packages ?? []));
          notes.push(...(r?.notes ?? []));
        }
        // /usr/local/bin/suidbash is an ELF too: neither Go nor cargo-auditable, so no noise.
        expect(notes).toEqual([]);
        expect(packages.map((p) => `${p.purl} ${p.path}`).sort()).toEqual([
          'pkg:cargo/smallvec@1.6.0 /app/rust/Cargo.lock',
          'pkg:cargo/time@0.1.43 /app/rust/Cargo.lock',
          'pkg:golang/stdlib@1.19.8 /usr/local/bin/registry',
          'pkg:npm/lodash@4.17.15 /app/node_modules/lodash/package.json',
          'pkg:pypi/requests@2.28.1 /usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO',
          'pkg:pypi/urllib3@1.26.12 /usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO',
        ]);
      });
    },
  );
});
