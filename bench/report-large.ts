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

/** What the numbers mean; measured on 2026-12-07, sessions 7 and 8 (update with the code, not with every run). */
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
Aho–Corasick pass over the bytes for the secret keywords and the malware strings. Session 7: our own push
tar parser (\`core/src/layers/tar-parser.ts\`, Go \`archive/tar\` rules) instead of tar-stream; the blob
straight into gunzip; one-call file hashes; keyword windows placed from the automaton's byte offsets.
Session 8 (scan 2.43× → ~2.2× the floor, sbom 1.69× → ~1.5×): the large image is written as Docker 25+
saves it (blobs named by digest, each once; the floor still inflates every layer the manifest lists), so no
layer is hashed twice any more (the old \`<id>/layer.tar\` names made the reader hash each member before the
scan, serially, ~0.5 s); 173 of the 186 secret rules now have keyword windows (\`keywordOffsetBound\`: the
pattern proves where its keyword lies) and a text is decoded only when some rule could match in one of its
windows (on node_modules, 180 of ~12,000 texts with a keyword instead of 7,000); the keyword automaton's table
holds row offsets (~15% faster); the İ/Kelvin check only for non-ASCII texts; a file holding none of the
malware strings skips the rule walk. Where the main thread (the critical path: ~6 s CPU of the scan's
~12 s; the inflate runs on the thread pool) still goes, from CPU profiles: Node's zlib stream plumbing on
this thread ~0.75 s (per 256 KiB output chunk: a callback, a new 256 KiB buffer, the next write); garbage
collection ~1 s here and ~3 s on V8's helper threads; SHA-256 ~0.8 s (blobs as verified, text files for the
content cache); the tar entries and the file router ~0.6 s; secret ~0.8 s, malware ~0.3 s, package parsers
~0.3 s; the end (merge, whole-image analyzers, matching, report) ~0.5 s.

**Why garbage collection costs so much, and what was tried (session 8).** A plain \`gunzip\` of these
layers runs no full collection; the scan runs ~100. Node's gunzip allocates a new 256 KiB array buffer per
output chunk on the stream's thread; array buffers count as external memory, and once the old generation is
past V8's 8 MB activation threshold (the scan's is 8–15 MB: code, rules, the path and entry tables), ~10 MB of
external growth since the last full collection starts the next one; on two cores V8's four helper threads
then compete with the inflate. Measured and dropped: (1) **inflating on a worker thread** into a
SharedArrayBuffer ring (views on this thread, no buffer per chunk): sbom ~0.5–1 s faster, but +40 MB RSS (the
worker isolate ~10 MB, its own chunk garbage, and — found on the way — starting any worker re-reads the
process's V8 flags and drops the \`--semi-space-growth-factor=1\` bound, which then has to be set again); the
scan's 150 MB target rules it out. (2) \`--heap-growing-percent\` at run time: 300 % cut full collections from
~100 to ~12 and the scan to ~8.6 s, at 160–175 MB RSS. (3) Recycling the 256 KiB read buffers: no gain. (4)
Smaller or larger output chunks, two libuv threads instead of four, largest layers first: within noise.
\`--single-threaded-gc\` (sbom 7.0 → 6.2 s) works only on the command line, which is the user's. On two cores
the scan's CPU (~12 s with V8's helpers) is still about what 1.5 × the floor allows (2 × ~6.2 s) with
perfect overlap, so the goal needs the zlib plumbing and collections off this thread without the memory
a second isolate costs, and the analyzers cheaper still.`;
