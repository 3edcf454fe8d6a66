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
~770 MB compressed, ~1.6 GB of tar: the Debian rootfs, 4 copies of this repository's node_modules,
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

/** What the numbers mean; measured on 2026-12-06 (update with the code, not with every run). */
const LARGE_NOTES = `**Memory (issue 17).** Before, the secret and malware analyzers' files waited, content and all, until
the layers above them were read, and the secret analyzer's whole-image step (which reads only the image
config) kept every text candidate to the end: the large image peaked at 763 MB RSS (\`scan\` with the DB,
through tsx), the medium one at 327 MB. Now content never outlives one file's window (≤ 1 MiB of text for
secrets, ≤ 2 MiB for malware string rules, hashes streamed): 294 MB and 209 MB, with byte-identical JSON
reports on the multi, medium and large images. What still grows with the image is not content: the scan
completes on the medium image with a 48 MB V8 heap (151 MB RSS; \`sbom\` 142 MB) and on the large one
with a 96 MB heap (253 MB RSS, the same report as without a limit), and
\`test/scan/large-image.test.ts\` holds it under a 96 MB heap and 256 MB RSS. Above that, V8 lets its heap
grow with the garbage of a longer run when no limit is set, plus two layers' inflate and tar buffers in
flight and one header object per tar entry (~90,000 on the large image) for the merge; \`sbom\` alone peaks
about as high as \`scan\`. The 150 MB target on the large image is therefore not met without a heap limit;
next steps are a default \`--max-old-space-size\` for the CLI bundle and compact entry headers.

**Time above the floor.** Read the CPU column: this run shared 2 vCPUs with a load average near 20, so
wall times are several times CPU times for every contender (the floor included) and wall ratios mean little.
In CPU, \`sbom\` costs ~1.6× the inflate floor: sha256 of every blob (the floor verifies nothing), tar
walking in JS, reading ~6,500 package.json files and the Go/cargo readers looking at executables. \`scan\`
adds ~12 s CPU on the large image: the secret keyword search and the malware string search run over every
text file up to their caps, and the four node_modules copies are ~730 MB of JavaScript and JSON (\`.js\` and
\`.json\` are both secret text and malware "config-like" candidates). The peer does no such analysis and is
still slower in CPU and twice our peak RSS. Next steps: skip package-managed \`node_modules\` trees in the
malware string rules as the system trees are, and one combined keyword pass for both analyzers.`;
