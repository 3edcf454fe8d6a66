/**
 * One measured scan in a fresh process: `node [--import tsx] bench/scan-child.mjs MODULE sbom|full IMAGE`,
 * where MODULE is the scan module to load (compiled `…/core/src/scan/index.js`, or the `.ts` source
 * under tsx). Plain JavaScript so the same child measures both forms. Prints one JSON line: wall time of
 * the scan call, peak RSS and CPU time of this process, and result counts (a fast wrong answer is no win).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulePath, mode, image] = process.argv.slice(2);
if (!modulePath || (mode !== 'sbom' && mode !== 'full') || !image) {
  console.error('usage: node bench/scan-child.mjs MODULE sbom|full IMAGE');
  process.exitCode = 2;
} else {
  const { scan } = await import(pathToFileURL(resolve(modulePath)).href);
  const rssBeforeMb = process.memoryUsage().rss / 1048576;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const result = await scan(image, mode === 'sbom' ? { scanners: [] } : {});
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      mode,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      // resourceUsage().maxRSS is in KiB
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      rssBeforeMb,
      packages: result.packages.length,
      findings: result.findings.length,
      packageKeys: result.packages.map((p) => `${p.purl} ${p.path}`).sort(),
      findingIds: [...new Set(result.findings.map((f) => f.id))].sort(),
    }),
  );
}
