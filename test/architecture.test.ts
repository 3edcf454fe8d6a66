import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/env.js';

/** Every `.ts` file below a directory. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*((?:import|export)\s(?:type\s)?)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(IMPORT)) {
    out.push({ spec: (m[2] ?? m[3]) as string, typeOnly: (m[1] ?? '').trim().endsWith('type') });
  }
  return out;
}

/** `core/src/<area>/…` → area (`source`, `layers`, `errors`, `scan`, …). */
function areaOf(repoPath: string): string {
  const parts = repoPath.split('/');
  if (parts[0] !== 'core' || parts[1] !== 'src') return parts[0] as string;
  const rest = parts.slice(2);
  return rest.length === 1 ? (rest[0] as string).replace(/\.ts$/, '') : (rest[0] as string);
}

/** Which core areas each area may import (its own area is always allowed). Stages import downward only. */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  types: ['errors'],
  // Durations (`7d`) are read the same way by policy gates, the DB age check and (via index) the webhook.
  duration: ['errors'],
  // One SQLite interface (better-sqlite3 or node:sqlite) for the vulnerability DB and rpm's sqlite rpmdb.
  sqlite: ['errors'],
  // closed-set values (`--severity`, policy rule names) with "did you mean"
  choices: ['errors'],
  // tar header decoding (Go archive/tar rules), shared by the archive index and the layer parser
  tar: [],
  // the 256 KiB buffers a layer streams through, reused once the walker is done with them
  'chunk-pool': [],
  versions: ['errors', 'types'],
  source: ['errors', 'types', 'tar', 'chunk-pool'],
  layers: ['errors', 'types', 'tar', 'chunk-pool'],
  dockerfile: ['errors', 'types'],
  analyzers: ['errors', 'types', 'versions', 'layers', 'dockerfile', 'sqlite'],
  vulndb: ['errors', 'types', 'versions', 'sqlite'],
  matchers: ['errors', 'types', 'versions', 'vulndb', 'analyzers', 'duration'],
  policy: ['errors', 'types', 'versions', 'duration'],
  verdict: ['errors', 'types', 'policy'],
  report: ['errors', 'types', 'versions', 'policy', 'verdict'],
  // the verdict and task stores: plain data in, plain data out (task data shapes come from tasks/types)
  store: ['errors', 'types', 'tasks'],
};
const CORE_AREAS = [
  'errors',
  'types',
  'duration',
  'sqlite',
  'choices',
  'tar',
  'chunk-pool',
  'versions',
  'source',
  'layers',
  'dockerfile',
  'analyzers',
  'vulndb',
  'matchers',
  'policy',
  'verdict',
  'report',
  'scan',
  'index',
  'cli',
  'registry-scan',
  'store',
  'tasks',
  'version',
];

const files = ['core/src', 'webhook/src', 'service/src', 'github-action/src', 'bin']
  .map((d) => join(ROOT, d))
  .filter((d) => {
    try {
      return statSync(d).isDirectory();
    } catch {
      return false;
    }
  })
  .flatMap(sources);

interface Edge {
  from: string;
  spec: string;
  typeOnly: boolean;
  to?: string;
}

const edges: Edge[] = files.flatMap((file) =>
  importsOf(file).map(({ spec, typeOnly }) => {
    const from = relative(ROOT, file);
    if (!spec.startsWith('.')) return { from, spec, typeOnly };
    const to = relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
    return { from, spec, typeOnly, to };
  }),
);

describe('architecture', () => {
  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('keeps core free of webhook, service and github-action imports', () => {
    const bad = edges.filter((e) => e.from.startsWith('core/') && e.to && !e.to.startsWith('core/'));
    expect(bad).toEqual([]);
  });

  it('lets webhook, service and github-action reach core only through its public entry, and never each other', () => {
    const bad = edges.filter(
      (e) =>
        (e.from.startsWith('webhook/') ||
          e.from.startsWith('service/') ||
          e.from.startsWith('github-action/')) &&
        e.to &&
        !e.to.startsWith(e.from.split('/')[0] + '/') &&
        e.to !== 'core/src/index.ts',
    );
    expect(bad).toEqual([]);
  });

  it('keeps express in webhook and service, the queue/cron/Kubernetes clients in service, @actions/* in github-action', () => {
    const bad = edges.filter(
      (e) =>
        (e.spec === 'express' && !e.from.startsWith('webhook/') && !e.from.startsWith('service/')) ||
        (['bullmq', 'croner', '@kubernetes/client-node'].includes(e.spec) &&
          !e.from.startsWith('service/')) ||
        (e.spec.startsWith('@actions/') && !e.from.startsWith('github-action/')),
    );
    expect(bad).toEqual([]);
  });

  it('makes core stages import downward only', () => {
    const bad: string[] = [];
    for (const e of edges) {
      if (!e.from.startsWith('core/src/') || !e.to?.startsWith('core/src/')) continue;
      const from = areaOf(e.from);
      const to = areaOf(e.to);
      expect(CORE_AREAS).toContain(from);
      const allowed = ALLOWED[from];
      if (!allowed || from === to) continue;
      if (!allowed.includes(to)) bad.push(`${e.from} → ${e.to}`);
    }
    expect(bad).toEqual([]);
  });

  // The push client (CI → webhook, `scan --push` / `push`) is the one deliberate addition: it is core because
  // the CLI, the GitHub Action and the GitLab template must send exactly the same signed request.
  it('keeps network code in the registry client, the DB downloader and the push client', () => {
    const bad = edges.filter(
      (e) =>
        e.from.startsWith('core/') &&
        !e.typeOnly &&
        ['undici', 'node:http', 'node:https', 'http', 'https', 'node:net', 'node:tls'].includes(e.spec) &&
        !e.from.startsWith('core/src/source/registry/') &&
        !e.from.startsWith('core/src/vulndb/download') &&
        e.from !== 'core/src/verdict/push.ts' &&
        !e.from.startsWith('core/src/cli/'),
    );
    expect(bad).toEqual([]);
  });

  it('calls process.exit only from the CLI entry', () => {
    const bad = files.filter(
      (f) => /process\.exit\(/.test(readFileSync(f, 'utf8')) && !f.endsWith('bin/main.ts'),
    );
    expect(bad.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
