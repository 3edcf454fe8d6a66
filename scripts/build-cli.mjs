#!/usr/bin/env node
// Bundles the CLI (bin/main.ts and everything it reaches in core/ and webhook/) into dist/cli/ with
// esbuild: one module graph instead of ~150 files to resolve and compile, so `portcullis` starts about
// 70 ms sooner than the tsc output and ~0.5 s sooner than the sources through tsx. npm packages stay
// external (node_modules). Commands and analyzers that load lazily become separate chunks
// (`splitting`), so `--version` or `sbom` never parse the webhook or the secret rules engine.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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

// The built-in rule files, parsed now (sha256 of the text → JSON of the data): a scan then loads neither
// the YAML parser nor parses them (core/src/analyzers/rule-documents.ts; other texts are parsed as YAML).
const prebuilt = {};
const rulesDir = join(root, 'core', 'rules');
for (const entry of readdirSync(rulesDir, { recursive: true })) {
  if (!/\.ya?ml$/.test(entry)) continue;
  const text = readFileSync(join(rulesDir, entry), 'utf8');
  prebuilt[createHash('sha256').update(text).digest('hex')] = JSON.stringify(parseYaml(text));
}
// the name is PREBUILT_RULES_FILE in core/src/analyzers/rule-documents.ts
writeFileSync(join(outdir, 'rules-yaml.json'), `${JSON.stringify(prebuilt)}\n`);
