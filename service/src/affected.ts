import {
  toAdvisoryHits,
  toAdvisoryKey,
  type AdvisoryHit,
  type Policy,
  type StoredScan,
  type VerdictStore,
} from '../../core/src/index.js';
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
 * `portcullis affected ID` and `/api/v1/affected/{id}`: the store's reverse index (`findByAdvisory`), so the
 * answer costs the images that have it, not the size of the store.
 */
export async function readAffected(
  verdicts: VerdictStore,
  id: string,
  policy: Policy,
): Promise<AffectedReport> {
  return toAffectedReport(await verdicts.findByAdvisory(id), id, policy);
}

/** The report for the index's hits of `id`: each image with its registry, repository and packages. */
export function toAffectedReport(hits: readonly AdvisoryHit[], id: string, policy: Policy): AffectedReport {
  const images: AffectedImage[] = [];
  for (const h of hits) {
    if (h.packages.length === 0) continue;
    const { host, repository } = toImageLocation(h.reference);
    const registry = toRegistryName(policy, host);
    images.push({
      digest: h.digest,
      reference: h.reference,
      ...(registry ? { registry } : {}),
      repository,
      packages: h.packages,
    });
  }
  images.sort((a, b) => a.reference.localeCompare(b.reference));
  const repositories = [...new Set(images.map((i) => (i.registry ? `${i.registry}/` : '') + i.repository))];
  return { id, images, repositories: repositories.sort() };
}

/**
 * The same report from stored results themselves (case-insensitive: `cve-2023-…` finds `CVE-2023-…`): what the
 * index would say for them, for callers holding results rather than a store.
 */
export function findAffected(entries: readonly StoredScan[], id: string, policy: Policy): AffectedReport {
  const key = toAdvisoryKey(id);
  return toAffectedReport(
    entries.flatMap((e) => toAdvisoryHits(e).get(key) ?? []),
    id,
    policy,
  );
}
