/**
 * `npm run bench`: times the scan against its floor and a peer, every measurement in a fresh process,
 * medians of RUNS rounds (the rounds interleave the contenders so load changes hit all of them alike).
 * Prints a table and rewrites BENCHMARKS.md. Not a test: nothing here asserts a time.
 *
 * 1. `portcullis sbom` as shipped (`node bin/portcullis.js`, which runs the bundle `npm run build`
 *    makes) on oci-multi.tar vs the floor (`gzip -dc | tar -t` over the same layer blobs one after
 *    another) and the peer snyk-docker-plugin@9.8.0 (installed into bench/.peer).
 * 2. `portcullis scan` (every analyzer) vs the inventory-only time.
 * 3. The same two through the library (`scan()` from the tsc output) for the scan call alone.
 * 4. bench/vulndb.ts, bench/webhook.ts, bench/registry-scan.ts, bench/service.ts, bench/console.ts and
 *    bench/large.ts when present (each prints one JSON line; large.ts: the Node inflate floor, sbom, scan with
 *    a DB and the peer on the multi and large images).
 *
 * `npm run bench -- --render` writes BENCHMARKS.md again from the last run's numbers (.tmp/bench-last.json),
 * for when only the notes in bench/report*.ts changed.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatReport, median, type BenchReport, type Measured, type Sample } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGES = process.env.PORTCULLIS_TEST_IMAGES ?? process.env.WORK ?? '/tmp/portcullis-images';
const ARCHIVE = join(IMAGES, 'oci-multi.tar');
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const PEER = 'snyk-docker-plugin@9.8.0';
const PEER_DIR = join(ROOT, 'bench', '.peer');
const DIST = join(ROOT, '.tmp', 'bench-dist');

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(1);
}

/**
 * Runs a command under `/usr/bin/time` and returns its wall, CPU and peak RSS with its stdout.
 * `okCodes`: exit codes that are results, not failures (`portcullis scan` exits 1 on a deny).
 */
function measure(cmd: string, args: string[], okCodes: readonly number[] = [0]): Sample {
  const timeFile = join(work, 'time.txt');
  const r: SpawnSyncReturns<string> = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args],
    { cwd: ROOT, encoding: 'utf8', env: process.env, maxBuffer: 64 * 1024 * 1024 },
  );
  if (!okCodes.includes(r.status ?? -1)) fail(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const [wall, user, sys, rssKb] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> = {};
  if (line.startsWith('{')) json = JSON.parse(line) as Record<string, unknown>;
  return { wallMs: wall! * 1000, cpuMs: (user! + sys!) * 1000, peakRssMb: rssKb! / 1024, json };
}

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) fail(`${what} failed (${r.status}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The layer blobs of the archive's (only) image, extracted so the floor reads plain files. */
function extractLayers(): string[] {
  run('tar', ['-xf', ARCHIVE, '-C', work], 'extracting the OCI archive');
  const blob = (digest: string): string => join(work, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(join(work, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as {
    layers: { digest: string }[];
  };
  return manifest.layers.map((l) => blob(l.digest));
}

/** Compiles core to JavaScript (what `dist/` ships and the webhook and Action load). */
function buildLibrary(): string | undefined {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', DIST], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const entry = join(DIST, 'core', 'src', 'scan', 'index.js');
  if (!existsSync(entry)) {
    console.warn(`bench: tsc emitted nothing (${r.stdout.slice(0, 500)}); measuring the tsx form only`);
    return undefined;
  }
  // rule data is found relative to the modules, as in the source tree
  const rules = join(DIST, 'core', 'rules');
  if (!existsSync(rules)) symlinkSync(join(ROOT, 'core', 'rules'), rules);
  return entry;
}

/** Builds the CLI bundle that `node bin/portcullis.js` runs (newer than every source, so it is used). */
function buildCli(): void {
  run('node', [join('scripts', 'build-cli.mjs')], 'building the CLI bundle');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
    fail('scripts/build-cli.mjs wrote no dist/cli/main.js');
}

/**
 * One run of the shipped CLI, writing its JSON report to a file; the counts come from that report, so
 * a fast wrong answer shows up in the table.
 */
function measureCli(command: 'sbom' | 'scan', image: string): Sample {
  const out = join(work, `${command}.json`);
  rmSync(out, { force: true });
  const args = [join('bin', 'portcullis.js'), command, image, '--format', 'json', '--output', out];
  // no vulnerability DB: matching becomes a note (bench/vulndb.ts times the DB)
  if (command === 'scan') args.push('--db', join(work, 'no-db.sqlite'));
  const sample = measure('node', args, command === 'scan' ? [0, 1] : [0]);
  const report = JSON.parse(readFileSync(out, 'utf8')) as { packages?: unknown[]; findings?: unknown[] };
  sample.json = {
    packages: report.packages?.length,
    ...(command === 'scan' ? { findings: report.findings?.length } : {}),
  };
  return sample;
}

function ensurePeer(): boolean {
  if (existsSync(join(PEER_DIR, 'node_modules', 'snyk-docker-plugin', 'package.json'))) return true;
  console.log(`installing ${PEER} into bench/.peer (outside the project's dependencies)…`);
  const r = spawnSync('npm', ['install', '--prefix', PEER_DIR, PEER, '--no-audit', '--no-fund'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) console.warn(`bench: could not install ${PEER}:\n${r.stderr}`);
  return r.status === 0;
}

function subBench(file: string): Record<string, unknown> | undefined {
  if (!existsSync(join(ROOT, 'bench', file))) return undefined;
  // one process (`node --import tsx`), not `npx tsx` (npm, then tsx's launcher, then the bench): under the
  // launchers the webhook bench's pinned load generator saw stalls of 20-50 ms in most runs, without them none
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const out = r.stdout.trim();
  // one JSON line is the contract; a pretty-printed object (from its first line that opens one) is accepted
  const candidates = [out.split('\n').pop() ?? '', out.slice(Math.max(0, out.search(/^\{/m)))];
  for (const text of candidates) {
    try {
      return {
        ...(JSON.parse(text) as Record<string, unknown>),
        ...(r.status ? { exitCode: r.status } : {}),
      };
    } catch {
      // try the next form
    }
  }
  return { error: `no JSON output (exit ${r.status}): ${(r.stderr || r.stdout).slice(-300)}` };
}

function machine(): BenchReport['machine'] {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    nproc: Number(run('nproc', [], 'nproc').trim()),
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

// `npm run bench -- --render`: BENCHMARKS.md again from the last run's numbers (after editing the notes)
if (process.argv.includes('--render')) {
  const last = join(ROOT, '.tmp', 'bench-last.json');
  if (!existsSync(last)) fail(`${last} is missing: run npm run bench first`);
  writeFileSync(
    join(ROOT, 'BENCHMARKS.md'),
    formatReport(JSON.parse(readFileSync(last, 'utf8')) as BenchReport),
  );
  console.log(`BENCHMARKS.md rendered from ${last}`);
  process.exit(0);
}
if (!existsSync(ARCHIVE)) {
  fail(`${ARCHIVE} is missing: build the test images first (bash scripts/test-images.sh build)`);
}
if (!existsSync('/usr/bin/time')) fail('/usr/bin/time is needed for peak RSS (apt-get install time)');
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
try {
  const blobs = extractLayers();
  const floorScript = blobs.map((b) => `gzip -dc '${b}' | tar -t >/dev/null`).join(' && ');
  buildCli();
  const lib = buildLibrary();
  const peer = ensurePeer();
  const image = `oci-archive:${ARCHIVE}`;
  const child = join('bench', 'scan-child.mjs');
  const contenders: Record<string, () => Sample> = {
    floor: () => measure('sh', ['-c', floorScript]),
    'sbom (cli)': () => measureCli('sbom', image),
    'full (cli)': () => measureCli('scan', image),
    ...(lib
      ? {
          'sbom (lib)': () => measure('node', [child, lib, 'sbom', image]),
          'full (lib)': () => measure('node', [child, lib, 'full', image]),
        }
      : {}),
    ...(peer ? { peer: () => measure('node', [join('bench', 'peer-child.mjs'), PEER_DIR, image]) } : {}),
  };
  const samples: Record<string, Sample[]> = {};
  for (let round = 1; round <= RUNS; round++) {
    for (const [name, fn] of Object.entries(contenders)) (samples[name] ??= []).push(fn());
    console.log(`round ${round}/${RUNS} done`);
  }
  const results: Record<string, Measured> = {};
  for (const [name, list] of Object.entries(samples)) {
    results[name] = {
      wallMs: median(list.map((s) => s.wallMs)),
      cpuMs: median(list.map((s) => s.cpuMs)),
      peakRssMb: median(list.map((s) => s.peakRssMb)),
      scanMs: list[0]?.json.ms === undefined ? undefined : median(list.map((s) => Number(s.json.ms))),
      runs: list.length,
      packages: list[0]?.json.packages as number | undefined,
      findings: list[0]?.json.findings as number | undefined,
    };
  }
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machine(),
    image: ARCHIVE,
    results,
    vulndb: subBench('vulndb.ts'),
    webhook: subBench('webhook.ts'),
    registryScan: subBench('registry-scan.ts'),
    large: subBench('large.ts'),
    service: subBench('service.ts'),
    console: subBench('console.ts'),
  };
  const text = formatReport(report);
  console.log(text);
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), text);
  writeFileSync(join(ROOT, '.tmp', 'bench-last.json'), JSON.stringify(report, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
