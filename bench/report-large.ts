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
39 s → ~16 s CPU, reports byte-identical. (1) Vendor-context secret rules (a vendor's name in an identifier,
an assignment, a value) ran a 40-character-prefix regex over every text a common name like \`lob\` occurs in
(every \`global\`): they now run on slices around the name's occurrences, exact by the template's bounds
(7 s). (2) The secret and malware answers are cached by the file's SHA-256 (one digest per file, shared by
both): the four node_modules copies cost one. (3) One Aho–Corasick pass over the bytes finds the secret
keywords (a text with none is never decoded) and the malware strings (was ~40 \`Buffer.includes\` per
file). Still above the floor, on the main thread: the tar walk and stream plumbing in JS (tar-stream: one
stream object per entry, ~170,000 entries), SHA-256 of every blob, diffID and text file (the floor verifies
nothing), decoding and lower-casing the texts some rule must read, and collections. The inflate runs on the
thread pool, so the main thread is the critical path: a parser that hands chunks to the analyzers without a
stream per entry, and hashing off the main thread, are the next steps toward 1.5×.`;
