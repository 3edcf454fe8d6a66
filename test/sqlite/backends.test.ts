import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqliteBackend } from '../../core/src/sqlite.js';
import { ROOT } from '../helpers/env.js';
import { NODE24, node24SkipReason } from '../helpers/node24.js';
import { probeSqlite, type ProbeResult } from './probe.js';

const work = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PROBE = join(ROOT, 'test', 'sqlite', 'probe.ts');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');

function runProbe(node: string, env: Record<string, string>): ProbeResult {
  const out = execFileSync(node, ['--no-warnings', '--import', TSX, PROBE, work], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out) as ProbeResult;
}

let nodeResult: ProbeResult | undefined;

describe('SQLite backends', () => {
  it('uses better-sqlite3 under the project Node when it loads, for the DB and the rpmdb reader', () => {
    const r = probeSqlite(work);
    expect(r.backend).toBe('better-sqlite3');
    expect(sqliteBackend()).toBe('better-sqlite3');
    // facts from the fixture files themselves
    expect(r.imported).toBe(r.records);
    expect(r.byEcosystem['Alpine:v3.11']).toBeGreaterThan(0);
    expect(r.busybox).toContain('ALPINE-v3.11-CVE-2017-15873');
    expect(r.musl).toEqual(['ALPINE-v3.11-CVE-2016-8859', 'ALPINE-v3.11-CVE-2019-14697']);
    expect(r.record).toBe('CVE-2016-8859');
    expect(r.hasAlpine).toBe(true);
    expect(r.hasDebian).toBe(false);
    expect(r.rpmPackages).toHaveLength(129);
    expect(r.rpmPackages.filter((p) => p.startsWith('bash-'))).toHaveLength(1);
    expect(r.rolledBack).toBe(0);
    expect(r.committed).toBe(2);
    nodeResult = r;
  });

  it.skipIf(!NODE24 && node24SkipReason())('node:sqlite under Node 24 gives the same answers', () => {
    const r = runProbe(NODE24 as string, { PORTCULLIS_SQLITE: 'node:sqlite' });
    expect(r.backend).toBe('node:sqlite');
    expect(nodeResult).toBeDefined();
    expect({ ...r, backend: 'x' }).toEqual({ ...nodeResult, backend: 'x' });
  });

  it.skipIf(!NODE24 && node24SkipReason())(
    'falls back to node:sqlite when better-sqlite3 cannot load (the addon is built for another Node)',
    () => {
      // no PORTCULLIS_SQLITE: the worktree's better-sqlite3 is compiled for the project Node's ABI
      const r = runProbe(NODE24 as string, {});
      expect(r.backend).toBe('node:sqlite');
      expect(r.rpmPackages.length).toBeGreaterThan(0);
    },
  );

  it('names an unknown or unavailable backend with DB_BACKEND_UNAVAILABLE', () => {
    const code = `import { sqliteBackend } from ${JSON.stringify(join(ROOT, 'core/src/sqlite.ts'))};
try { sqliteBackend(); console.log('no error'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
    for (const [value, want] of [
      ['sqlite3', /^DB_BACKEND_UNAVAILABLE: PORTCULLIS_SQLITE=sqlite3/],
      // Node 20 has no node:sqlite
      ['node:sqlite', /^DB_BACKEND_UNAVAILABLE: no SQLite backend: node:sqlite: not in Node 20/],
    ] as const) {
      const res = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', code], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, PORTCULLIS_SQLITE: value },
      });
      expect(res.stdout.trim()).toMatch(want);
    }
  });
});
