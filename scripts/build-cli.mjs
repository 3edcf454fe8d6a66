#!/usr/bin/env node
// Bundles the CLI (bin/main.ts and everything it reaches in core/ and webhook/) into dist/cli/ with
// esbuild: one module graph instead of ~150 files to resolve and compile, so `portcullis` starts about
// 70 ms sooner than the tsc output and ~0.5 s sooner than the sources through tsx. npm packages stay
// external (node_modules). Commands and analyzers that load lazily become separate chunks
// (`splitting`), so `--version` or `sbom` never parse the webhook or the secret rules engine.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir DIR` (relative to the project root) builds elsewhere; tests use a folder two levels down, the
// same depth as dist/cli, so the bundle finds core/rules/ as the shipped one does
const at = process.argv.indexOf('--outdir');
const outdir = join(root, at >= 0 ? process.argv[at + 1] : join('dist', 'cli'));
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['bin/main.ts'],
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  outdir,
  logLevel: 'warning',
});
