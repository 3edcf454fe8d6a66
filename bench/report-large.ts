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
  const tuned = r[`${image} inflate, 1 MiB chunks`];
  return [
    `| ${image} | scan ≤ 1.5 × inflate floor | ${times(scan, floor)} | ${met(scan && floor && scan.wallMs <= 1.5 * floor.wallMs)} |`,
    `| ${image} | sbom ≤ 1.2 × inflate floor | ${times(sbom, floor)} | ${met(sbom && floor && sbom.wallMs <= 1.2 * floor.wallMs)} |`,
    `| ${image} | scan peak RSS ≤ 150 MB | ${fmt(scan?.peakRssMb)} MB | ${met(scan && scan.peakRssMb <= 150)} |`,
    `| ${image} | (information) scan / sbom vs the 1 MiB-chunk inflate | ${times(scan, tuned)} / ${times(sbom, tuned)} | – |`,
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
384 MiB of random binaries, 3 copies of /usr written over it, the multi image's risk layer and a whiteout),
written as \`docker save\` writes it since Docker 25 (blobs under \`blobs/sha256/\`, the three /usr layers one blob).

| contender | wall ms | CPU ms | peak RSS MB | packages | findings | runs |
|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

- **inflate floor**: \`node bench/inflate-floor.mjs ARCHIVE\`: every layer blob of the archive through
  \`zlib.createGunzip()\` at once, output discarded (no tar parsing, no hashing) — issue 17's floor, with
  Node's default 16 KiB output chunks. A stronger floor than \`gzip -dc | tar -t\`: Node's zlib inflates
  faster than the gzip binary.
- **inflate, 1 MiB chunks**: the same with \`--chunk-size 1048576\` (1 MiB reads and output chunks, as the
  scan's reader uses): the same bytes in about half the time, because each output chunk is a round trip
  through the main thread. No scan can beat this one; the goals are stated against the floor above, and the
  ratio to this one is shown too, so the margin the default chunk size gives is in plain sight.
- **sbom / scan**: the shipped CLI as above; **scan** runs every scanner with the vulnerability DB
  imported from the shared OSV sets (\`--db\`).
- **peer**: snyk-docker-plugin@9.8.0 (inventory only) on the same archive.

| image | target (issue 17) | measured | |
|---|---|---|---|
${[...targets(results, 'multi'), ...targets(results, 'large')].join('\n')}

${LARGE_NOTES}`;
}

/** What the numbers mean; measured on 2026-12-07, sessions 7 to 10 (update with the code, not with every run). */
const LARGE_NOTES = `**Memory (issue 17).** Content never outlives one file's window (≤ 1 MiB of text for secrets, ≤ 2 MiB
for malware string rules, hashes streamed), entries are compact columns over one path table, the young
generation stays at 1 MiB (\`--semi-space-growth-factor=1\`, set at run time), per-file copies come from a
pool, and since session 9 the 1 MiB buffers a layer streams through (archive reads, gzip output) are reused
(\`core/src/chunk-pool.ts\`). The large image's \`scan\` peaks at ~130–145 MB with the DB (run-to-run spread
±8 MB); \`test/scan/large-image.test.ts\` scans the medium image under a 32 MB V8 heap and 165 MB RSS (it
measures ~145). What is left: ~80 MB before the first layer (Node, the CLI bundle, the rules, the malware
hash DB), the entry and path tables (~10 MB on the large image: by design ~60 bytes an entry), two layers'
buffers in flight (~8 MB) and the free list (≤ 6 MB).

**Time above the floor.** Session 6 (quiet machine, large image, scan without a DB): 32.4 s → ~12 s wall:
vendor-context secret rules run on slices around their keywords, secret and malware answers cached by the
file's SHA-256 (the four node_modules copies cost one), one Aho–Corasick pass over the bytes for the secret
keywords. Session 7: our own push tar parser instead of tar-stream; one-call file hashes; keyword windows
from the automaton's byte offsets. Session 8: the image written as Docker 25+ saves it (no layer hashed
twice); 173 of 186 secret rules windowed, and a text decoded only when a rule could match in a window.
Session 9 (sbom ~1.5× → ~1.0× the floor, scan ~2.2× → ~1.7×): **garbage collection was the largest cost
left**. Every fs read and every gzip output chunk was a fresh array buffer; V8 counts those as external
memory and started a full (marking) collection each time ~12 MB of them had been allocated since the last
one — ~70 per large sbom, ~3 s of CPU on V8's four helper threads competing with the inflate for the two
cores. With the buffers reused, the sbom runs 5 full collections and the scan 13; and since pooled buffers
are not garbage, 1 MiB chunks (each output chunk is a round trip through the main thread: a callback and
the next inflate call) now cost ~8 MB instead of ~20. The keyword automaton's table is Int32 (2.9 instead
of 3.4 ns a byte), and a file that arrives in one chunk is read in place by the secret and
malware sinks.

Session 10 (scan 1.69× → 1.55× in this run, 1.52× in a run of bench/large.ts alone): **the two cores are
the limit, not one thread.** Per-thread CPU of the large scan (from /proc): the main thread ~6 s, the libuv
pool (inflate) ~3 s, V8's helper threads ~2 s
(concurrent marking and TurboFan compiles, about half each): ~11 s of CPU on two cores. Moving work to
another thread only helps while a core is idle, and both experiments that did (below) lost more to copies,
messages and a fourth busy thread than they moved. So this session removed CPU instead: gzip layers are
inflated raw without zlib's CRC-32, which the layer's SHA-256 already covers (−0.5 s on the pool;
\`core/src/layers/gzip-members.ts\`); the content cache no longer hashes digest and variant again for every
text file (the CLI's policy always sets a variant: −0.2 s); the keyword automaton reads long texts as two
independent walks (2.4 → 1.7 ns a byte); the cargo sink no longer copies each executable's first chunk to
check four bytes (−0.1 s).

Session 11 (scan 1.55× → 1.39× in this run): **less work per file on the main thread**, which is
busy ~90% of the scan. The malware rules' strings are found by skipping (Wu–Manber on byte pairs: 2.5×
faster than the automaton; that pass went from ~0.4 to ~0.15 s); vendor secret rules also need their value's
literal opening (\`lob\`, in every \`global\`, no longer runs two regexes per window without a \`live_\` or
\`test_\` near); Go build info is looked for only in the formats Go's own reader knows (not in random
executables) and, in an ELF, only in its data segments; a file's end is synchronous unless an analyzer must
be awaited; the secret and malware sinks share one copy of a multi-chunk file (231 → ~115 MB copied, lower
RSS); installed package.json files are parsed once per content; the whole-image passes test base names,
directories and modes on the merged view's columns before building anything (end phase ~0.2 → ~0.08 s).

**Where the scan's time goes now.** Main thread, from \`perf\` (cpu-clock, JIT symbols): SHA-256 ~1.0 s
(the blobs ~0.55 s — the digests the report and the verdict store rely on — and the text files for the
content cache ~0.45 s: it pays on this image, whose node_modules and /usr repeat), the secret keyword
automaton ~0.35 s and the malware skip search ~0.15 s, tar entries, the file router and per-file rules
~1 s, GC ~0.35 s, kernel time for reads and faults, and the end phase (merge, whole-image analyzers,
matching, report) ~0.35 s, during which the other core is idle.

**Tried and dropped.** Session 8: inflating on a worker thread into a shared ring (+40 MB RSS);
\`--heap-growing-percent\` at run time (fewer collections, +20 MB); other chunk sizes and layer orders.
Session 9: hashing blobs on a worker thread that reads the file itself (no measurable gain, +12 MB RSS);
letting the nursery grow again now that chunks are not garbage (slower, +25 MB); V8 GC flags at run time
(\`--no-concurrent-marking\` and friends: no gain; \`--single-threaded-gc\` only works on the command line).
Session 10: the secret rules on a worker thread for texts ≥ 64 KiB (main −0.5 s, but as much CPU added:
no gain, RSS up while shared buffers waited for collection); the blobs' SHA-256 on a hasher thread fed
through a shared ring (slower by ~0.5 s, +24 MB); V8 inlining budgets (\`--max-inlined-bytecode-size-cumulative\`:
within the noise). Session 11: no content-cache digest for files under 1 KiB (no difference). What is left
is spread thin: no single part above is worth more than a few per cent,
and the end phase (~0.35 s on one core) is the largest piece of pure waiting.`;
