/** The BENCHMARKS.md section for bench/large.ts (issue 17): floor, sbom, scan and peer on two images. */

interface Row {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  packages?: number;
  findings?: number;
  runs: number;
}

const fmt = (n: number | undefined): string => (n === undefined ? '–' : String(n));
const times = (a: Row | undefined, b: Row | undefined): string =>
  a && b ? `${(a.wallMs / b.wallMs).toFixed(2)}× (CPU ${(a.cpuMs / b.cpuMs).toFixed(2)}×)` : '–';
const met = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? 'met' : '**not met**');

function targets(r: Record<string, Row>, image: string): string[] {
  const floor = r[`${image} inflate floor`];
  const sbom = r[`${image} sbom`];
  const scan = r[`${image} scan`];
  const peer = r[`${image} peer`];
  return [
    `| ${image} | scan ≤ 1.5 × inflate floor | ${times(scan, floor)} | ${met(scan && floor && scan.wallMs <= 1.5 * floor.wallMs)} |`,
    `| ${image} | sbom ≤ 1.2 × inflate floor | ${times(sbom, floor)} | ${met(sbom && floor && sbom.wallMs <= 1.2 * floor.wallMs)} |`,
    `| ${image} | scan peak RSS ≤ 150 MB | ${fmt(scan?.peakRssMb)} MB | ${met(scan && scan.peakRssMb <= 150)} |`,
    `| ${image} | scan ahead of the peer (time, RSS) | ${times(scan, peer)}, ${fmt(scan?.peakRssMb)} vs ${fmt(peer?.peakRssMb)} MB | ${met(scan && peer && scan.wallMs < peer.wallMs && scan.peakRssMb < peer.peakRssMb)} |`,
  ];
}

export function largeSection(large: Record<string, unknown> | undefined): string {
  if (!large) return 'bench/large.ts not present.';
  if (typeof large.skipped === 'string') return `Skipped: ${large.skipped}`;
  const results = (large.results ?? {}) as Record<string, Row>;
  const rows = Object.entries(results).map(
    ([name, x]) =>
      `| ${name} | ${x.wallMs} | ${x.cpuMs} | ${x.peakRssMb} | ${fmt(x.packages)} | ${fmt(x.findings)} | ${x.runs} |`,
  );
  return `Run ${String(large.date)}, load average ${String(large.loadAverage)} at its end; DB: ${String(large.db)};
peer: ${String(large.peer)}. The large image is \`scripts/make-large-image.mjs --size large\` (11 gzip layers,
~840 MB compressed, ~2.2 GB of tar: the Debian rootfs, 4 copies of this repository's node_modules,
384 MiB of random binaries, 3 copies of /usr written over it, the multi image's risk layer and a whiteout).

| contender | wall ms | CPU ms | peak RSS MB | packages | findings | runs |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

- **inflate floor**: \`node bench/inflate-floor.mjs ARCHIVE\`: every layer blob of the archive through
  \`zlib.createGunzip\` at once, output discarded (no tar parsing, no hashing). A stronger floor than
  \`gzip -dc | tar -t\`: Node's zlib inflates faster than the gzip binary.
- **sbom / scan**: the shipped CLI as above; **scan** runs every scanner with the vulnerability DB
  imported from the shared OSV sets (\`--db\`).
- **peer**: snyk-docker-plugin@9.8.0 (inventory only) on the same archive.

| image | target (issue 17) | measured | |
|---|---|---|---|
${[...targets(results, 'multi'), ...targets(results, 'large')].join('\n')}

${LARGE_NOTES}`;
}

/** What the numbers mean; measured on 2026-12-07 (update with the code, not with every run). */
const LARGE_NOTES = `**Memory (issue 17).** Content never outlives one file's window (≤ 1 MiB of text for secrets, ≤ 2 MiB
for malware string rules, hashes streamed), entries are compact columns over one path table, and on
2026-12-07 four things went: (1) V8's nursery grew to 32 MB and dead decompressed chunks waited for its rare
scavenges: a bounded young generation (\`--semi-space-growth-factor=1\`, set at run time) frees them at the
next scavenge and replaced the forced \`gc()\` every 8 MB; (2) the secret and malware sinks' per-file copies
come from a pool (≤ 4 MiB kept) instead of becoming garbage; (3) blob reads are 256 KiB, not 1 MiB; (4) npm's
whole-image step kept every installed package.json (17 MB here) and the sshd check copied every path of the
image (10 MB). The large image's \`scan\` went from 202–212 MB to 150–170 MB (with the DB; run-to-run spread
is ±10 MB, from when V8 runs its full collections); \`test/scan/large-image.test.ts\` scans the medium image
under a 32 MB V8 heap and 175 MB RSS. What is left: ~80 MB before the first layer (Node, the CLI bundle,
the rules, the malware hash DB), the entry and path tables (~10 MB on the large image: they grow with the
entry count, by design ~60 bytes an entry), two layers' read/inflate/tar chunks in flight, and chunks promoted
past the nursery that wait for a full collection. The 150 MB target is met in some runs, not reliably.

**Time above the floor.** Session 6 (quiet machine, large image, scan without a DB): 32.4 s → ~12 s wall,
39 s → ~16 s CPU, reports byte-identical: vendor-context secret rules run on slices around their keywords
(7 s), secret and malware answers cached by the file's SHA-256 (the four node_modules copies cost one), one
Aho–Corasick pass over the bytes for the secret keywords and the malware strings. Session 7: the layers are
parsed by our own push tar parser (\`core/src/layers/tar-parser.ts\`, Go \`archive/tar\` rules) instead of
tar-stream, whose stream object, FIFO and listeners per entry were ~480 of the 1,100 MB the large image's
\`sbom\` allocated on the JS heap; the blob goes straight into gunzip (no peek, meter or pass-through
stages); a file that arrives in one chunk is hashed with one \`crypto.hash\` call; keyword windows are placed
from the automaton's byte offsets instead of a lower-cased copy of each text. Where the main thread (the
critical path: the inflate runs on the thread pool) still spends its time on the large image's scan, from a
CPU profile: the analyzers themselves (secret keywords and rules, malware strings, package parsers) ~3 s;
SHA-256 ~1.5 s — the blob as it is verified, the text files for the content cache, and here each layer
member once more before the scan, because this archive stores gzip layers as \`<id>/layer.tar\`, names that
are not their digests (a current \`docker save\` names blobs by digest); garbage collection ~1 s on the main thread and ~4 s on V8's helper threads
(V8 starts a full collection every ~30 MB of buffer churn once the heap is past its 8 MB activation
threshold; the runtime GC flags that would change it are read only at start-up or abort); decoding texts
~0.5 s. Tried and dropped: hashing blobs on a worker thread (a SharedArrayBuffer ring: the main thread's
CPU fell ~0.5 s, wall time did not, and the worker isolate cost 10–15 MB of RSS), three layers at once
(−0.3 s, +15 MB). On two cores the scan's CPU (~15 s with V8's helpers) already exceeds what 1.5 × the floor
allows (2 × 7 s); the goal needs the analyzers' CPU roughly halved, not only moved between threads.`;
