/** 200,000 synthetic findings on the multi scan (issue #11 item 19): shared by the in-process and child-process tests. */
import { SEVERITIES, type Finding } from '../../core/src/types/finding.js';
import type { ScanResult } from '../../core/src/types/scan.js';
import { readMultiScan } from '../policy/helpers.js';

export const LARGE_COUNT = 200_000;

export function largeScan(count = LARGE_COUNT): ScanResult {
  const scan = readMultiScan();
  const layerDigest = scan.image.layers[0]?.digest ?? 'sha256:0';
  const findings: Finding[] = new Array<Finding>(count);
  for (let i = 0; i < count; i++) {
    const name = `pkg${i % 5000}`;
    findings[i] = {
      type: i % 10 === 0 ? 'sensitive-file' : 'vulnerability',
      id: `CVE-2099-${i}`,
      severity: SEVERITIES[i % SEVERITIES.length] ?? 'low',
      title: `synthetic finding ${i}`,
      location: { layerDigest, path: i % 10 === 0 ? `/app/file-${i}.env` : '/var/lib/dpkg/status' },
      ...(i % 10 === 0
        ? { evidence: 'AKIA*************XYZ' }
        : {
            package: {
              name,
              version: '1.0-1',
              fixedVersion: '1.0-2',
              ecosystem: 'Debian:12',
              purl: `pkg:deb/debian/${name}@1.0-1?arch=amd64`,
            },
          }),
    };
  }
  scan.findings = findings;
  return scan;
}
