/**
 * Issue 17's bench: the Node inflate floor, `portcullis sbom`, `portcullis scan` (every scanner, with a
 * vulnerability DB) and the peer on the multi image and on the large image of
 * `scripts/make-large-image.mjs`. Every measurement is a fresh process under `/usr/bin/time`; medians of
 * BENCH_LARGE_RUNS rounds (default 3), the contenders interleaved. Prints one JSON line (run.ts puts it
 * into BENCHMARKS.md). Not a test: nothing here asserts a time.
 *
 * Run alone: `node --import tsx bench/large.ts` (needs the CLI bundle: `node scripts/build-cli.mjs`).
 * The large image is PORTCULLIS_LARGE_IMAGE, else .tmp/large-image.tar, built when missing (minutes).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type Sample } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = process.env.PORTCULLIS_TEST_IMAGES ?? '/tmp/portcullis-images';
const LARGE = process.env.PORTCULLIS_LARGE_IMAGE ?? join(ROOT, '.tmp', 'large-image.tar');
const MULTI = join(IMAGES, 'oci-multi.tar');
const RUNS = Math.max(1, Number(process.env.BENCH_LARGE_RUNS ?? 3));
const PEER_DIR = join(ROOT, 'bench', '.peer');
const OSV = process.env.PORTCULLIS_SHARED_DATA
  ? join(process.env.PORTCULLIS_SHARED_DATA, 'osv')
  : join(ROOT, '..', 'shared', 'data', 'osv');

function skip(reason: string): never {
  console.log(JSON.stringify({ bench: 'large', skipped: reason }));
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-large-'));

function measure(cmd: string, args: string[], okCodes: readonly number[] = [0]): Sample {
  const timeFile = join(work, 'time.txt');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (!okCodes.includes(r.status ?? -1))
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const json = line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : {};
  return { wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, peakRssMb: rssKb! / 1024, json };
}

function cli(command: 'sbom' | 'scan', image: string, db: string | undefined): Sample {
  const out = join(work, `${command}.json`);
  rmSync(out, { force: true });
  const args = [join('bin', 'portcullis.js'), command, image, '--format', 'json', '--output', out];
  if (command === 'scan') args.push('--db', db ?? join(work, 'no-db.sqlite'));
  const sample = measure('node', args, command === 'scan' ? [0, 1] : [0]);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { packages?: unknown[]; findings?: unknown[] };
  sample.json = { packages: report.packages?.length, findings: report.findings?.length };
  return sample;
}

function importDb(): string | undefined {
  if (!existsSync(OSV)) return undefined;
  const db = join(work, 'db.sqlite');
  const dirs = ['alpine', 'go', 'pypi', 'crates.io'].map((d) => join(OSV, d)).filter((d) => existsSync(d));
  const r = spawnSync('node', [join('bin', 'portcullis.js'), 'db', 'import', ...dirs, '--db', db], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return r.status === 0 ? db : undefined;
}

function ensureLarge(): void {
  if (existsSync(LARGE)) return;
  console.error(`bench/large: building ${LARGE} (scripts/make-large-image.mjs --size large)…`);
  const r = spawnSync('node', [join('scripts', 'make-large-image.mjs'), LARGE, '--size', 'large'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) skip(`could not build the large image (exit ${r.status})`);
}

if (!existsSync('/usr/bin/time')) skip('/usr/bin/time is needed for peak RSS');
if (!existsSync(MULTI)) skip(`${MULTI} is missing: bash scripts/test-images.sh build`);
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) skip('no CLI bundle: node scripts/build-cli.mjs');
try {
  ensureLarge();
  const db = importDb();
  const peer = existsSync(join(PEER_DIR, 'node_modules', 'snyk-docker-plugin', 'package.json'));
  const images = { multi: `oci-archive:${MULTI}`, large: `docker-archive:${LARGE}` };
  const files = { multi: MULTI, large: LARGE };
  const contenders: Record<string, () => Sample> = {};
  for (const [name, image] of Object.entries(images) as ['multi' | 'large', string][]) {
    contenders[`${name} inflate floor`] = () =>
      measure('node', [join('bench', 'inflate-floor.mjs'), files[name]]);
    // the same inflate with the scan reader's 1 MiB reads and output chunks: information, not the goal
    contenders[`${name} inflate, 1 MiB chunks`] = () =>
      measure('node', [join('bench', 'inflate-floor.mjs'), files[name], '--chunk-size', String(1 << 20)]);
    contenders[`${name} sbom`] = () => cli('sbom', image, db);
    contenders[`${name} scan`] = () => cli('scan', image, db);
    if (peer)
      contenders[`${name} peer`] = () => measure('node', [join('bench', 'peer-child.mjs'), PEER_DIR, image]);
  }
  const samples: Record<string, Sample[]> = {};
  for (let round = 1; round <= RUNS; round++) {
    for (const [name, fn] of Object.entries(contenders)) (samples[name] ??= []).push(fn());
    console.error(`bench/large: round ${round}/${RUNS} done`);
  }
  const results: Record<string, unknown> = {};
  for (const [name, list] of Object.entries(samples)) {
    results[name] = {
      wallMs: Math.round(median(list.map((s) => s.wallMs))),
      cpuMs: Math.round(median(list.map((s) => s.cpuMs))),
      peakRssMb: Math.round(median(list.map((s) => s.peakRssMb))),
      ...(list[0]?.json.packages === undefined ? {} : { packages: list[0].json.packages }),
      ...(list[0]?.json.findings === undefined ? {} : { findings: list[0].json.findings }),
      runs: list.length,
    };
  }
  console.log(
    JSON.stringify({
      bench: 'large',
      date: new Date().toISOString(),
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      largeImage: LARGE,
      db: db ? 'shared OSV (alpine, go, pypi, crates.io)' : 'none (../shared/data/osv missing)',
      peer: peer ? 'snyk-docker-plugin@9.8.0' : 'not installed',
      results,
    }),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
