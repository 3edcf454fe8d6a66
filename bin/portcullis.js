#!/usr/bin/env node
// The `portcullis` command. It runs the bundled CLI (dist/cli/main.js, built by `npm run build`, which
// `npm ci` runs through `prepare`) when that bundle is at least as new as every source file; otherwise
// (no build yet, or a source edited since) it runs the TypeScript sources through tsx's loader, so a
// checkout never runs stale code. PORTCULLIS_FROM_SOURCE=1 forces the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli', 'main.js');

/** Newest modification time (ms) of the files the bundle is built from. */
function newestSource() {
  let newest = 0;
  const visit = (path) => {
    let entries;
    try {
      entries = readdirSync(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(path, e.name);
      if (e.isDirectory()) visit(p);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.json'))
        newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const dir of ['core/src', 'core/schema', 'webhook/src', 'service/src']) visit(join(root, dir));
  for (const file of ['bin/main.ts', 'package.json']) {
    if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  }
  return newest;
}

const useBundle =
  process.env.PORTCULLIS_FROM_SOURCE !== '1' &&
  existsSync(bundle) &&
  // a published package ships the bundle without the sources: nothing to compare with
  (!existsSync(join(root, 'bin', 'main.ts')) || statSync(bundle).mtimeMs >= newestSource());

if (useBundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
