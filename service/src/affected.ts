import type { Policy, StoredScan } from '../../core/src/index.js';
import { toImageLocation, toRegistryName } from './images.js';

/** One image that has the vulnerability, with the package(s) carrying it. */
export interface AffectedImage {
  digest: string;
  reference: string;
  registry?: string;
  repository: string;
  packages: { name: string; version: string; ecosystem: string; fixedVersion?: string }[];
}

/** The answer of `portcullis affected ID` and `/api/v1/affected/{id}`. */
export interface AffectedReport {
  id: string;
  images: AffectedImage[];
  repositories: string[];
}

/**
 * The stored images with a vulnerability finding whose id or alias is `id` (case-insensitive: `cve-2023-…`
 * finds `CVE-2023-…`), each with the affected packages and their fixed versions. Read from the store only.
 */
export function findAffected(entries: readonly StoredScan[], id: string, policy: Policy): AffectedReport {
  const want = id.toUpperCase();
  const images: AffectedImage[] = [];
  for (const e of entries) {
    const packages: AffectedImage['packages'] = [];
    for (const f of e.scan.findings) {
      if (f.type !== 'vulnerability') continue;
      if (f.id.toUpperCase() !== want && !(f.aliases ?? []).some((a) => a.toUpperCase() === want)) continue;
      if (!f.package) continue;
      const p = f.package;
      if (packages.some((q) => q.name === p.name && q.version === p.version && q.ecosystem === p.ecosystem))
        continue;
      packages.push({
        name: p.name,
        version: p.version,
        ecosystem: p.ecosystem,
        ...(p.fixedVersion ? { fixedVersion: p.fixedVersion } : {}),
      });
    }
    if (packages.length === 0) continue;
    const { host, repository } = toImageLocation(e.scan.image.ref);
    const registry = toRegistryName(policy, host);
    images.push({
      digest: e.digest,
      reference: e.scan.image.ref,
      ...(registry ? { registry } : {}),
      repository,
      packages,
    });
  }
  images.sort((a, b) => a.reference.localeCompare(b.reference));
  const repositories = [...new Set(images.map((i) => (i.registry ? `${i.registry}/` : '') + i.repository))];
  return { id, images, repositories: repositories.sort() };
}
