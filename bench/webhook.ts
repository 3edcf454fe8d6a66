/**
 * Admission latency and throughput over TLS: `node --import tsx bench/webhook.ts` prints one JSON document
 * (one process: under `npx tsx`'s launcher processes the pinned load generator saw 20-50 ms stalls).
 *
 * Two servers, each a process of its own, as they ship, both running for the whole bench:
 * - `webhook`: `node bin/portcullis.js webhook serve` (the CLI bundle) with a SQLite verdict store seeded with
 *   the min and multi scans (scanned "now", so they are fresh), the default policy and its JSON logs going to
 *   a file; every request is a Pod with both images by digest, so each answer is a cached decision: two
 *   judgements, one deny (no registry, no scan).
 * - `bare`: bench/bare-server.mjs, node:https answering `allowed: true` with the uid echoed (the floor any
 *   webhook pays for TLS + JSON).
 * Latency: a fixed rate (2,000 req/s, open loop: bench/paced-load.ts), in two halves per server (ABBA order),
 * each after one uncounted second at the rate, pooled. Then throughput, unthrottled (autocannon, 20
 * connections), in short rounds that alternate between the two servers (ABBA order): the share is the median
 * of the per-round ratios. A VM's speed drifts by tens of percent over minutes
 * (neighbours, host frequency); one run of each server, minutes apart, measured the drift as often as the
 * servers (this bench's recorded share went 43–61 % that way). Both load generators run in this process,
 * pinned apart from the servers where the machine has the CPUs (see PINNING).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore, generateServingCert } from '../webhook/src/index.js';
// the webhook tests' review builder and fixture scans: the bench sends what the tests decide on
import { MIN_DIGEST, MULTI_DIGEST, podRequest, readScan, toReview } from '../test/webhook/helpers.js';
import { latencySummary, pacedLoad, type PacedResult } from './paced-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 2);

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const review = JSON.stringify(
  toReview(
    podRequest(
      [MIN_DIGEST, MULTI_DIGEST].map((d) => `127.0.0.1:5000/fixtures/debian@${d}`),
      { uid: '7f0b2891-916f-4ed6-b7cd-27bff1815a8c' },
    ),
  ),
);

/**
 * On a machine with 2+ CPUs the servers run on the last CPU and the load generators (this process) on the
 * others (`taskset`), so the generator's own work does not preempt the server it measures — as in a
 * cluster, where the apiserver calls the webhook from another machine. Both servers are treated alike.
 */
const CPUS = cpus().length;
const PINNING = CPUS >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CPUS = String(CPUS - 1);
const GENERATOR_CPUS = `0-${CPUS - 2}`;

/** A verdict store holding the two fixture scans, stored as scanned now. */
async function seedStore(path: string): Promise<void> {
  const store = createSqliteStore(path);
  const now = new Date().toISOString();
  for (const name of ['min', 'multi'] as const) {
    const scan = readScan(name);
    scan.scannedAt = now;
    await store.put({
      digest: scan.image.digest as string,
      scan,
      scannedAt: now,
      storedAt: now,
      origin: 'scanner',
    });
  }
  await store.close();
}

/**
 * Starts a server process and waits for its port, which both servers say on stderr (a JSON line, or the CLI's
 * "listening on" line). Their stdout (the webhook's JSON logs) goes straight to a file, as it would in a pod.
 */
function startServer(cmd: string[], logFile: string): Promise<{ child: ChildProcess; port: number }> {
  const [exe, args] = PINNING
    ? ['taskset', ['-c', SERVER_CPUS, process.execPath, ...cmd]]
    : [process.execPath, cmd];
  const child = spawn(exe, args, {
    cwd: ROOT,
    stdio: ['ignore', openSync(logFile, 'w'), 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /"port":(\d+)|listening on https:\/\/[^:]+:(\d+)\//.exec(text);
      if (m) resolve({ child, port: Number(m[1] ?? m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code}:\n${text}`)));
  });
}

/** CPU time (user + system, ms) a process has used so far, from /proc (undefined where there is none). */
function cpuMsOf(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  // fields after the command name: state is the 1st, utime the 12th, stime the 13th (clock ticks, 100 Hz)
  const fields = readFileSync(file, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Closed-loop load as fast as the server answers (throughput), or the warm-up. */
async function load(port: number, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: `https://127.0.0.1:${port}/validate?timeout=10s`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: review,
    connections: CONNECTIONS,
    duration: seconds,
  });
}

/** Open-loop load at RATE for `seconds` (latency). */
function paced(port: number, seconds: number): Promise<PacedResult> {
  return pacedLoad({
    origin: `https://127.0.0.1:${port}`,
    path: '/validate?timeout=10s',
    body: review,
    rate: RATE,
    seconds,
    connections: CONNECTIONS,
    spin: PINNING,
  });
}

const summary = (r: AutocannonResult) => ({
  p50Ms: r.latency.p50,
  p90Ms: r.latency.p90,
  p99Ms: r.latency.p99,
  maxMs: r.latency.max,
  reqPerSec: r.requests.average,
  total: r.requests.total,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
});

async function main(): Promise<void> {
  // the webhook as it ships: the CLI bundle (built here, so it is never older than the sources)
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-cli.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`building the CLI bundle failed:\n${built.stderr}`);
  // -a: every thread of this process (V8's GC and compiler threads, libuv's pool), not the main thread only
  if (PINNING) spawnSync('taskset', ['-a', '-cp', GENERATOR_CPUS, String(process.pid)]);
  else
    console.error(
      'bench/webhook: taskset or a second CPU is missing: servers and load generators share CPUs',
    );
  const dir = mkdtempSync(join(tmpdir(), 'pc-bench-webhook-'));
  try {
    const tls = await generateServingCert({ service: 'bench', namespace: 'bench' });
    const cert = join(dir, 'tls.crt');
    const key = join(dir, 'tls.key');
    writeFileSync(cert, tls.cert);
    writeFileSync(key, tls.key);
    const db = join(dir, 'verdicts.sqlite');
    await seedStore(db);
    const commands: Record<string, string[]> = {
      bare: [join(here, 'bare-server.mjs'), cert, key],
      webhook: [
        join(ROOT, 'bin', 'portcullis.js'),
        'webhook',
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--tls-cert',
        cert,
        '--tls-key',
        key,
        '--store',
        `sqlite:${db}`,
      ],
    };
    const out: Record<string, unknown> = {
      node: process.version,
      body: 'Pod with min + multi by digest (2 cached judgements, one deny, logged at info)',
      connections: CONNECTIONS,
      cpus: PINNING ? { servers: SERVER_CPUS, loadGenerators: GENERATOR_CPUS } : 'shared',
      fixedRate: RATE,
      seconds: SECONDS,
    };
    const kinds = ['bare', 'webhook'] as const;
    const servers = new Map<string, { child: ChildProcess; port: number }>();
    try {
      for (const kind of kinds)
        servers.set(kind, await startServer(commands[kind]!, join(dir, `${kind}.log`)));
      // warm-up: the servers' JIT and TLS sessions (the generator warms up before each half, below)
      for (const kind of kinds) await load(servers.get(kind)!.port, 1);
      // latency at a fixed rate: two halves per server in ABBA order, pooled (a VM stall hits both alike)
      const halvesOf = new Map<string, PacedResult[]>();
      for (const kind of [...kinds, ...[...kinds].reverse()]) {
        const { port } = servers.get(kind)!;
        // a server that sat idle while the other was measured answers slower for about a second (the VM's
        // idle CPU, caches refilled): one second at the rate first, not counted, so the half is steady state
        await paced(port, 1);
        halvesOf.set(kind, [...(halvesOf.get(kind) ?? []), await paced(port, SECONDS / 2)]);
      }
      for (const kind of kinds) {
        const halves = halvesOf.get(kind)!;
        const all = new Float64Array(halves.reduce((n, h) => n + h.latenciesMs.length, 0));
        let at = 0;
        for (const h of halves) {
          all.set(h.latenciesMs, at);
          at += h.latenciesMs.length;
        }
        out[kind] = {
          fixedRate: {
            ...latencySummary(all),
            reqPerSec: Math.round(median(halves.map((h) => h.reqPerSec))),
            total: all.length,
            errors: halves.reduce((n, h) => n + h.errors, 0),
            non2xx: halves.reduce((n, h) => n + h.non2xx, 0),
            p99MsByHalf: halves.map((h) => h.p99Ms),
          },
        };
      }
      // throughput: alternating rounds, each server's share taken against the other's in the same round
      const rounds: Record<string, ReturnType<typeof summary> & { cpuUsPerRequest?: number }>[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const round: (typeof rounds)[number] = {};
        for (const kind of i % 2 === 0 ? kinds : [...kinds].reverse()) {
          const { child, port } = servers.get(kind)!;
          const cpu0 = cpuMsOf(child.pid);
          const r = summary(await load(port, ROUND_SECONDS));
          const cpu1 = cpuMsOf(child.pid);
          round[kind] = {
            ...r,
            ...(cpu0 !== undefined && cpu1 !== undefined && r.total > 0
              ? { cpuUsPerRequest: Number((((cpu1 - cpu0) * 1000) / r.total).toFixed(1)) }
              : {}),
          };
        }
        rounds.push(round);
      }
      for (const kind of kinds) {
        const mine = rounds.map((r) => r[kind]!);
        const cpu = mine.flatMap((r) => (r.cpuUsPerRequest === undefined ? [] : [r.cpuUsPerRequest]));
        (out[kind] as Record<string, unknown>).unthrottled = {
          reqPerSec: Math.round(median(mine.map((r) => r.reqPerSec))),
          p99Ms: median(mine.map((r) => r.p99Ms)),
          total: mine.reduce((n, r) => n + r.total, 0),
          errors: mine.reduce((n, r) => n + r.errors, 0),
          non2xx: mine.reduce((n, r) => n + r.non2xx, 0),
          ...(cpu.length > 0 ? { cpuUsPerRequest: Number(median(cpu).toFixed(1)) } : {}),
        };
      }
      out.rounds = {
        count: ROUNDS,
        seconds: ROUND_SECONDS,
        reqPerSec: rounds.map((r) => ({ bare: r.bare!.reqPerSec, webhook: r.webhook!.reqPerSec })),
      };
      const share = median(rounds.map((r) => r.webhook!.reqPerSec / r.bare!.reqPerSec));
      out.webhookVsBareThroughput = Number(share.toFixed(3));
      const w = out.webhook as { fixedRate: { p99Ms: number } };
      out.targets = {
        p99AtFixedRateMs: 5,
        p99Met: w.fixedRate.p99Ms <= 5,
        throughputShare: 0.5,
        throughputMet: share >= 0.5,
      };
    } finally {
      for (const { child } of servers.values()) child.kill('SIGTERM');
    }
    console.log(JSON.stringify(out, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
