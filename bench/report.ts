/** Result types of `bench/run.ts` and the BENCHMARKS.md it writes. */
import { largeSection } from './report-large.js';

/** One process run: from `/usr/bin/time`, plus the JSON line the child printed. */
export interface Sample {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  json: Record<string, unknown>;
}

/** Medians over the rounds. `scanMs` is the scan call alone (no process start or module load). */
export interface Measured {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  scanMs: number | undefined;
  runs: number;
  packages: number | undefined;
  findings: number | undefined;
}

export interface BenchReport {
  date: string;
  machine: { nproc: number; cpu: string; ramGb: number; node: string; loadAverage: string };
  image: string;
  results: Record<string, Measured>;
  vulndb: Record<string, unknown> | undefined;
  webhook: Record<string, unknown> | undefined;
  /** bench/registry-scan.ts (absent in reports written before it existed). */
  registryScan?: Record<string, unknown> | undefined;
  /** bench/large.ts: inflate floor, sbom, scan with DB and peer on the multi and the large image. */
  large?: Record<string, unknown> | undefined;
  /** bench/service.ts (absent in reports written before it existed). */
  service?: Record<string, unknown> | undefined;
  /** bench/console.ts: the console's first Images page on 10,000 stored images. */
  console?: Record<string, unknown> | undefined;
}

/** The operator console's rows: first Images page and friends on a large store (bench/console.ts). */
export function consoleSection(v: Record<string, unknown> | undefined): string {
  if (!v) return '- bench/console.ts not present';
  const n = (k: string): string => String(v[k]);
  return `| measure (${n('images')} images × ${n('packagesPerImage')} packages, ${n('findingsPerImage')} findings, SQLite) | ms |
|---|---:|
| cold start-up (no saved snapshot) to the first Images page (the start-up evaluation of the store) | ${n('startToFirstPageMs')} |
| start-up with a saved snapshot (${n('savedSnapshotMb')} MB) to the first Images page (that snapshot, marked as refreshing) | ${n('restartWithSnapshotToFirstPageMs')} |
| start-up with a saved snapshot to the end of the first build (the page current again) | ${n('restartToFirstBuildMs')} |
| first Images page (50 rows), median of 5 | ${n('firstPageMedianMs')} |
| filtered (severity) and sorted (reference) page at offset 500, median of 5 | ${n('filteredSortedPageMedianMs')} |
| Overview, median of 5 | ${n('overviewMedianMs')} |
| Images page right after a task change (the previous snapshot, marked as refreshing) | ${n('pageDuringRebuildMs')} |
| exact \`GET /api/v1/images?limit=50\` (evaluates every projection), during that rebuild | ${n('apiImagesFirstPageMs')} |
| exact \`GET /api/v1/images?limit=50\` alone, median of 5 | ${n('apiImagesMedianMs')} |
| of which reading the store: \`VerdictStore.listProjections()\`, median of 5 | ${n('listProjectionsMedianMs')} |

- Load average at the run: ${n('loadAverage')}. Target: the first page under ${n('targetMs')} ms.
- The pages read the image index (service/src/image-index.ts), built at start-up and rebuilt in the background;
  each build is saved in the store (\`VerdictStore.saveSnapshot\`), and a restarted service serves the saved one
  at once (when evaluated under the same policy digest) while its first build runs. The cold row is what a page
  waits for only on a store without a usable snapshot (first start, or the policy changed), before the first build ends. The index and the API's exact
  list evaluate the store's projections (\`toScanProjection\`: no package inventory, evidence or prose, kept
  beside each result by \`put\`), not the full results: before them both took ~55 s here at load ~12. What
  remains is linear in the store: about half parsing the projections' JSON, half evaluating the policy.`;
}

/** The scan service's store-side rows: re-matching stored inventories after a DB update, and `affected`. */
export function serviceSection(v: Record<string, unknown> | undefined): string {
  if (!v) return '- bench/service.ts not present';
  const r = (v.rematch ?? {}) as Record<string, unknown>;
  const rows = (Array.isArray(v.affected) ? v.affected : []) as Record<string, unknown>[];
  const ms = (x: unknown): string => {
    const m = (x ?? {}) as Record<string, unknown>;
    return `${String(m.medianMs)} (${String(m.images)} images)`;
  };
  const affected = rows
    .map(
      (a) =>
        `| \`affected\` over ${String(a.images)} results (SQLite, ${String(a.storeMb)} MB), median ms: ~1 % of images by id / by alias / every image | ${ms(a.rare)} / ${ms(a.rareByAlias)} / ${ms(a.everyImage)} |` +
        (a.wholeStoreScanMs === undefined
          ? ''
          : `\n| the same ~1 % query by scanning every result (before the index), ms | ${String(a.wholeStoreScanMs)} |`),
    )
    .join('\n');
  return `Run ${String(v.date)} on ${String(v.cpus)} × ${String(v.cpu)}, load average ${String(v.loadAverage)} at its end
(a shared machine: wall times are inflated).

| measure | result |
|---|---:|
| re-match ${String(v.images)} stored inventories × ${String(v.packagesPerImage)} packages (SQLite), wall ms | ${String(r.wallMs)} |
| re-match, CPU ms | ${String(r.cpuMs)} |
| re-match, images/s | ${String(r.imagesPerSecond)} |
${affected}

- Synthetic inventories (Debian 12, apt and base-files plus 298 made-up packages); the DB update adds one
  advisory every image has (test/fixtures/service/osv v1 → v2), so every result is rewritten. No image is pulled.
- \`affected\` reads the store's reverse index (\`VerdictStore.findByAdvisory\`: an indexed SQLite table, Redis
  hashes, a map in memory), kept by every \`put\` (scan, push, re-match) with each hit's reference and packages,
  so no stored result is read or parsed: the cost follows the images that have the advisory, not the store.
  The \`affected\` stores hold 20 advisories per image (one every image has, 19 from a pool of 2,000).`;
}

interface RegistryScanRun {
  wallMs: number;
  cpuMs: number;
  imagesPerMinute: number;
  layerBlobsPulled: number;
}

/** The registry-scan bench as a table: one task over 20 tags, no cache, cold cache, warm cache. */
export function registryScanSection(v: Record<string, unknown> | undefined): string {
  if (!v) return '- bench/registry-scan.ts not present';
  if (typeof v.skipped === 'string') return `- skipped: ${v.skipped}`;
  const row = (name: string, r: RegistryScanRun | undefined): string =>
    r
      ? `| ${name} | ${r.wallMs} | ${r.cpuMs} | ${r.imagesPerMinute} | ${Math.round((Number(v.tags) / Math.max(1, r.cpuMs)) * 60_000)} | ${r.layerBlobsPulled} |`
      : `| ${name} | – | – | – | – | – |`;
  return `| layer cache | wall ms | CPU ms | images/min (wall) | images/min (CPU) | layer blobs pulled |
|---|---:|---:|---:|---:|---:|
${row('none', v.noCache as RegistryScanRun | undefined)}
${row("cold (a task's default: fresh at its start)", v.cold as RegistryScanRun | undefined)}
${row('warm (filled by a previous task)', v.warm as RegistryScanRun | undefined)}

- One task (\`runRegistryScan\`, distribution lister and registry client over plain HTTP on loopback) over
  ${String(v.tags)} tags of one family: ${String(v.family)}. Each tag has its own config and manifest digest;
  all share the base layer, so 2 layers are unique and 30 are pulled without a cache.
- Load average at the end: ${String(v.loadAverage ?? '–')} (the machine was shared: wall times are inflated,
  CPU time is the steadier figure). Cache: \`${JSON.stringify(v.cache)}\`.
- What the cache saves is the pull, inflate and tar walk of a shared layer: the analyzers run again on the
  bytes they read the first time (same router, same order, so the reports are identical), and the
  whole-image steps (OS detection, merge, matching, policy) run per image. That is what is left in the
  warm run.`;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmt = (n: number | undefined, digits = 0): string => (n === undefined ? '–' : n.toFixed(digits));

function ratio(a: Measured | undefined, b: Measured | undefined, key: 'wallMs' | 'cpuMs'): string {
  return a && b ? `${(a[key] / b[key]).toFixed(2)}×` : '–';
}

function verdict(ok: boolean | undefined): string {
  return ok === undefined ? '–' : ok ? 'met' : '**not met**';
}

function targetRows(r: BenchReport['results'], form: 'cli' | 'lib'): string[] {
  const sbom = r[`sbom (${form})`];
  const full = r[`full (${form})`];
  const floor = r.floor;
  if (!sbom || !full) return [];
  return [
    `| ${form} | sbom wall ≤ 1.0 × floor | ${ratio(sbom, floor, 'wallMs')} (CPU ${ratio(sbom, floor, 'cpuMs')}) | ${verdict(floor && sbom.wallMs <= floor.wallMs)} |`,
    `| ${form} | sbom peak RSS ≤ 150 MB | ${fmt(sbom.peakRssMb)} MB | ${verdict(sbom.peakRssMb <= 150)} |`,
    `| ${form} | full wall ≤ 1.1 × sbom | ${ratio(full, sbom, 'wallMs')} (CPU ${ratio(full, sbom, 'cpuMs')}) | ${verdict(full.wallMs <= 1.1 * sbom.wallMs)} |`,
    `| ${form} | full peak RSS ≤ 150 MB | ${fmt(full.peakRssMb)} MB | ${verdict(full.peakRssMb <= 150)} |`,
    `| ${form} | sbom vs peer (≈ 0.6 expected) | ${ratio(sbom, r.peer, 'wallMs')} (CPU ${ratio(sbom, r.peer, 'cpuMs')}) | – |`,
  ];
}

interface WebhookRun {
  fixedRate: {
    p50Ms: number;
    p90Ms: number;
    p99Ms: number;
    maxMs: number;
    reqPerSec: number;
    errors: number;
    p99MsByHalf?: number[];
  };
  unthrottled: { reqPerSec: number; p99Ms: number; errors: number; cpuUsPerRequest?: number };
}

/** The admission bench as a table, with what it measures (the raw JSON line follows under "Other benches"). */
function webhookSection(w: Record<string, unknown> | undefined): string {
  const bare = w?.bare as WebhookRun | undefined;
  const hook = w?.webhook as WebhookRun | undefined;
  if (!bare || !hook) return 'not run (see the JSON line below)';
  const f = (r: WebhookRun): WebhookRun['fixedRate'] => r.fixedRate;
  const halves = (r: WebhookRun): string => (f(r).p99MsByHalf ? ` (${f(r).p99MsByHalf?.join(' / ')})` : '');
  const row = (name: string, r: WebhookRun): string =>
    `| ${name} | ${f(r).p50Ms} | ${f(r).p90Ms} | ${f(r).p99Ms}${halves(r)} | ${f(r).maxMs} | ${f(r).errors} | ${Math.round(r.unthrottled.reqPerSec)} | ${r.unthrottled.cpuUsPerRequest ?? '–'} | ${r.unthrottled.errors} |`;
  // the median of the per-round ratios when the bench ran rounds (older reports: one run each)
  const share =
    typeof w?.webhookVsBareThroughput === 'number'
      ? w.webhookVsBareThroughput
      : hook.unthrottled.reqPerSec / bare.unthrottled.reqPerSec;
  const rounds = w?.rounds as
    { count: number; seconds: number; reqPerSec: { bare: number; webhook: number }[] } | undefined;
  const perRound = rounds
    ? rounds.reqPerSec.map((r) => `${((r.webhook / r.bare) * 100).toFixed(0)} %`).join(', ')
    : 'one run each';
  return `| server | p50 ms | p90 ms | p99 ms (halves) | max ms | errors | unthrottled req/s | CPU µs/req | errors |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${row('bare node:https', bare)}
${row('portcullis webhook serve', hook)}

- Body: ${String(w?.body)}; ${String(w?.fixedRate)} req/s for ${String(w?.seconds)} s over TLS on loopback,
  ${String(w?.connections)} connections.
- **webhook**: \`node bin/portcullis.js webhook serve\` as it ships (CLI bundle, SQLite store seeded with
  the min and multi scans, default policy, its JSON logs to a file). **bare**: bench/bare-server.mjs, plain
  node:https answering \`allowed: true\` with the uid (TLS + HTTP + JSON and nothing else).
- Fixed rate: an open-loop generator (bench/paced-load.ts, wrk2-style): requests go out on schedule
  whether or not earlier ones have returned, and latency counts from when a request was due, so queueing
  is not hidden. With a CPU of its own it checks the schedule on every event-loop turn, so requests leave
  within microseconds of being due (a 1 ms timer adds ~1 ms to every latency). autocannon's \`overallRate\` was used before: it fires each connection's share at the
  start of every second, so it measured its own bursts (the bare server's p99 was 15 ms under it).
- Fixed rate in two halves per server, in the order bare, webhook, webhook, bare, each after one uncounted
  second at the same rate (a server that sat idle while the other was measured answers slower for about a
  second); the p99 is over all requests of both halves (each half's own p99 in brackets). A stall of this VM
  shows in the bare server's tail too.
- Unthrottled: autocannon, as fast as the server answers, in ${rounds ? `${rounds.count} rounds of ${rounds.seconds} s` : 'one run'}
  alternating between the servers (ABBA order). Throughput is the median per server; **the share is the
  median of the per-round ratios** (${perRound}): this VM's speed drifts by tens of percent over minutes,
  and a ratio taken within one round is immune to that drift. CPU µs/req: the server process's user + system
  time over the requests it answered (/proc), median of the rounds.
- CPUs: ${JSON.stringify(w?.cpus ?? 'shared')} — on 2+ CPUs each server runs pinned to the last CPU and the load
  generators to the others (\`taskset\`), as in a cluster where the apiserver calls from another machine;
  both servers alike. A 2-vCPU VM still shows scheduling tails of a few ms at the p99.

| target | measured | |
|---|---|---|
| p99 ≤ 5 ms at ${String(w?.fixedRate)} req/s | ${hook.fixedRate.p99Ms} ms (bare server: ${bare.fixedRate.p99Ms} ms) | ${verdict(hook.fixedRate.p99Ms <= 5)} |
| throughput ≥ 50 % of the bare server | ${(share * 100).toFixed(0)} % | ${verdict(share >= 0.5)} |`;
}

/** The whole BENCHMARKS.md, regenerated by every `npm run bench`. */
export function formatReport(report: BenchReport): string {
  const { machine: m, results } = report;
  const rows = Object.entries(results).map(
    ([name, x]) =>
      `| ${name} | ${fmt(x.wallMs)} | ${fmt(x.scanMs)} | ${fmt(x.cpuMs)} | ${fmt(x.peakRssMb, 1)} | ${fmt(x.packages)} | ${fmt(x.findings)} | ${x.runs} |`,
  );
  const sub = (name: string, v: Record<string, unknown> | undefined): string =>
    v === undefined ? `- ${name}: bench/${name}.ts not present` : `- ${name}: \`${JSON.stringify(v)}\``;
  return `# Benchmarks

Regenerated by \`npm run bench\` (bench/run.ts); do not edit by hand. Every number is the median of
${Object.values(results)[0]?.runs ?? 0} runs, each in a fresh process, the contenders interleaved round by round.

- date: ${report.date}
- machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.ramGb} GB RAM, Node ${m.node}
- load average when the run ended: ${m.loadAverage} (other work on the machine inflates wall times;
  CPU time is the steadier figure)
- image: \`${report.image}\` (2 gzip layers, ~50 MB compressed, ~140 MB of tar)

## Results

| contender | wall ms | scan call ms | CPU ms | peak RSS MB | packages | findings | runs |
|---|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

- **floor**: \`gzip -dc LAYER | tar -t >/dev/null\` over the layer blobs one after another (extracted
  from the archive first; only the gzip|tar part is timed).
- **cli**: the command as users run it, \`node bin/portcullis.js sbom|scan oci-archive:… --format json
  --output FILE\` (the bundle \`npm run build\` makes; \`npm ci\` builds it through \`prepare\`).
  **sbom** runs the inventory analyzers only; **full** is \`portcullis scan\` with every analyzer and
  the default policy (no vulnerability DB, so matching is a note).
- **lib**: \`scan()\` from core compiled by \`tsc\` (the form \`dist/\`, the webhook and the Action
  use), \`{ scanners: [] }\` for sbom; "scan call" is that call alone, without process start-up.
- **peer**: snyk-docker-plugin@9.8.0 \`scan({ path: 'oci-archive:…' })\`, installed into bench/.peer.
- wall, CPU and peak RSS are of the whole process (\`/usr/bin/time\`), start-up included; "scan call" is
  the \`scan()\` call alone.

## Targets

| form | target | measured | |
|---|---|---|---|
${[...targetRows(results, 'cli'), ...targetRows(results, 'lib')].join('\n')}

## Webhook (bench/webhook.ts)

${webhookSection(report.webhook)}

## Registry scan (bench/registry-scan.ts)

${registryScanSection(report.registryScan)}

## Large image and the Node inflate floor (bench/large.ts)

${largeSection(report.large)}

## Scan service (bench/service.ts)

${serviceSection(report.service)}

## Operator console (bench/console.ts)

${consoleSection(report.console)}

## Other benches

${sub('vulndb', report.vulndb)}
${sub('webhook', report.webhook)}

## How the scan gets there

- Each layer is read once, two at a time (gunzip runs on libuv's pool, tar walking and analysis on the
  main thread, so two layers keep both cores busy). Worker threads were not used: on 2 cores they would
  add a copy of every chunk and a second heap for little gain.
- Files are analysed while their layer streams (\`core/src/scan/analyze.ts\`): inventory analyzers get
  a file as soon as it has been read, and its content is dropped right after unless a whole-image
  analyzer still needs it. Results wait until the merge and are kept only for files visible in the
  merged view. History analyzers (secret, malware) also see files a later layer hides: they stream too
  (issue 17), and their findings get the hidden wording when the merge settles each file's status
  (\`Analyzer.toHiddenFinding\`), so no content waits for the layers above. The secret sink holds a text
  file of at most 1 MiB while it streams and drops a binary after an 8 KiB sniff; the malware sink hashes
  a file with a listed size chunk by chunk and holds only files a string rule reads (≤ 2 MiB). Memory is
  the headers of every entry (the merge needs them) plus one bounded window per layer in flight.
- \`Analyzer.stream\` (optional) lets an analyzer read a file chunk by chunk. Go build info and
  cargo-auditable data are found that way, so executables are no longer buffered whole: the Go reader
  keeps 64 KiB of head and looks for the \`\\xff Go buildinf:\` header in the data segments; only Go
  binaries (build-id note) are retained, minus code, until the go1.18+ inline header is decoded
  (the pre-1.18 pointer format needs the whole file).
- One allocation of the announced size per buffered file (no chunk list and \`Buffer.concat\`).
- Blobs are read 1 MiB at a time and gunzip writes 1 MiB chunks (64 KiB and 256 KiB before): every
  chunk is a round trip through the main thread, and inflate's per-call cost halves with larger outputs.
- **Start-up** is paid only for what runs. The CLI ships as one esbuild bundle (\`dist/cli/\`, no loader,
  one module graph); each command loads its implementation when it runs; a scan loads the registry
  client only for registries, the DB and matchers only with a DB, the secret and malware engines (and the
  YAML rule parser) only when those scanners run, better-sqlite3 only for an \`rpmdb.sqlite\`. Node itself
  takes ~0.1 s to start on this machine; \`portcullis --version\` takes 0.15 s (0.8 s compiled and
  1.35 s through tsx before).

## Before (same machine and image, 2026-11-27)

- Before streaming analysis (tsx form, scan call alone): sbom 4.0–5.4 s and 187–193 MB peak RSS, full
  scan 4.3–5.8 s and 194–210 MB. \`go-binary\` and \`cargo\` buffered every executable of 1 KiB–200 MiB
  (408 files, 52 MB held at once), every buffered file was kept until all layers were read, and the
  analyzers ran only after the merge.
- Before lazy loading and the bundle (17:53 run): sbom 1.62 s compiled / 1.95 s through tsx (the form
  the CLI then shipped), 134 / 166 MB; full 1.63 / 2.03 s; floor 1.02 s; peer 2.54 s.
- Webhook, one run of each server minutes apart and \`npx tsx\` as the generator's launcher (20:19 run):
  48 % of the bare server (43–61 % over four runs: the VM's drift, not the servers), p99 3.6 ms (up to
  14 ms in later runs: stalls seen only with the launcher processes beside the generator). Start of that session: 39 %, p99 11 ms.
  Since: cached admissions answered without a promise (~12 % more throughput, measured A/B in alternating
  rounds), and the bench's method (rounds, one process, a warm-up second per half).

## What is still above target, and why

- **Full scan vs sbom** (target ≤ 1.1×): the ratio was 1.01× when both paid ~0.6 s of start-up; \`sbom\`
  no longer loads the risk analyzers, so what \`scan\` adds shows. The bundle now carries the built-in
  rule files pre-parsed (\`rules-yaml.json\`, keyed by the hash of each file's text) and the policy code
  loads yaml and ajv only to read a policy file, which took ~0.15 s off \`scan\`; what remains is loading
  the secret and malware engines, compiling their rules, the secret keyword search and malware hashing of
  ~2,000 buffered files, and the baseline checks. Most of it runs on the main thread while the largest
  layer inflates on the thread pool, so it shows as ~0.1 s more wall time (0.1 s of secret and malware
  analysis, ~0.04 s of baseline, policy and report after the last layer). Next steps: a streaming
  (\`Analyzer.stream\`) form of the malware string rules, or the secret and malware analysis in a worker
  thread. (A larger gunzip read-ahead buffer was tried: no change.)
- **Wall time vs CPU**: \`sbom\` beats the floor on wall time but uses ~1.25× its CPU: sha256 of every
  blob (the floor verifies nothing), tar walking in JS, the Go and cargo-auditable readers looking
  through ~40 MB of executables, and GC of ~170 MB of transient buffers. On 2 cores the gunzip of the
  largest layer (libuv pool) is the critical path; the main thread keeps up with it.
- The machine is a 2-vCPU VM whose timings vary by ±10 % between runs: compare ratios of the same run.
`;
}
