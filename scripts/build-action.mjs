#!/usr/bin/env node
// Bundles the GitHub Action (github-action/src/index.ts, core and every npm package it reaches) into ONE
// file, github-action/dist/index.js, committed: the runner executes it with its own Node 24 and no
// `npm install`. Native addons cannot be bundled, so SQLite comes from node:sqlite (core/src/sqlite.ts).
// `--outfile FILE` builds elsewhere (the staleness test compares a fresh build with the committed one).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--outfile');
const outfile = at >= 0 ? process.argv[at + 1] : join(root, 'github-action', 'dist', 'index.js');

// Core loads a few pure-JS parsers lazily through `createRequire(import.meta.url)` (yaml, ajv), which a
// bundler cannot follow and which would look for node_modules beside the bundle at run time. In these
// files the local `require` is dropped, so esbuild sees plain `require('yaml')` calls and bundles them.
const LAZY_REQUIRE_FILES = ['core/src/policy/lazy.ts', 'core/src/analyzers/rule-documents.ts'].map((p) =>
  join(root, p),
);
const bundleLazyRequires = {
  name: 'bundle-lazy-requires',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!LAZY_REQUIRE_FILES.includes(args.path)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const line = 'const require = createRequire(import.meta.url);';
      if (!text.includes(line)) {
        throw new Error(`${relative(root, args.path).split(sep).join('/')}: expected "${line}"`);
      }
      return { contents: text.replace(line, ''), loader: 'ts' };
    });
  },
};

await build({
  absWorkingDir: root,
  entryPoints: ['github-action/src/index.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  outfile,
  // better-sqlite3 stays a run-time require (core/src/sqlite.ts tries it, then uses node:sqlite)
  external: ['better-sqlite3'],
  // CommonJS packages inside an ESM bundle call require() for Node built-ins
  banner: {
    js: "import { createRequire as __portcullisCreateRequire } from 'node:module';\nconst require = __portcullisCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [bundleLazyRequires],
});
