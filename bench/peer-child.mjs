/**
 * The peer measurement: `node bench/peer-child.mjs PEER_DIR IMAGE` scans IMAGE (`oci-archive:PATH`) with
 * snyk-docker-plugin's `scan({ path })` API from PEER_DIR/node_modules. Prints one JSON line like
 * scan-child.mjs (wall time of the call, peak RSS, CPU time, how many dependencies it reported).
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [peerDir, image] = process.argv.slice(2);
if (!peerDir || !image) {
  console.error('usage: node bench/peer-child.mjs PEER_DIR IMAGE');
  process.exitCode = 2;
} else {
  const require = createRequire(join(resolve(peerDir), 'package.json'));
  const plugin = require('snyk-docker-plugin');
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const response = await plugin.scan({ path: image });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  let packages = 0;
  for (const r of response.scanResults ?? []) {
    for (const f of r.facts ?? []) {
      if (f.type === 'depGraph') packages += (f.data?.getPkgs?.().length ?? 1) - 1; // minus the root
    }
  }
  console.log(
    JSON.stringify({
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      scanResults: response.scanResults?.length ?? 0,
      packages,
    }),
  );
}
