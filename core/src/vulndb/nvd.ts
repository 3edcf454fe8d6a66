/**
 * NVD CVE records (NVD CVE API 2.0 JSON): the CVSS scores NVD and its ADPs give a CVE. Portcullis keeps
 * only what severity needs, for CVEs that no ecosystem database scores (e.g. the Go standard library's).
 */

/** One CVSS metric of a CVE, as stored. */
export interface NvdMetric {
  /** OSV severity type: CVSS_V4, CVSS_V3 or CVSS_V2. */
  type: 'CVSS_V4' | 'CVSS_V3' | 'CVSS_V2';
  vector: string;
  score?: number;
  /** NVD's qualitative rating (`HIGH`), when given. */
  baseSeverity?: string;
  /** `Primary` (NVD's own analysis) or `Secondary` (a CNA or ADP, e.g. CISA). */
  primary: boolean;
}

/** The parts of an NVD CVE record Portcullis stores. */
export interface NvdCve {
  id: string;
  lastModified: string;
  /** Rejected CVEs are removed, not stored. */
  rejected: boolean;
  /** Metrics in preference order (see toNvdMetrics). */
  metrics: NvdMetric[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

function isCveObject(v: unknown): v is Record<string, unknown> {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    CVE_ID.test(v.id) &&
    (isObject(v.metrics) || typeof v.vulnStatus === 'string' || typeof v.sourceIdentifier === 'string')
  );
}

/**
 * The CVEs of a parsed JSON document when it is NVD API 2.0 JSON: a whole API answer
 * (`{ vulnerabilities: [{ cve }] }`) or one CVE record as NVD's feeds store it (`{ id: "CVE-…", metrics }`).
 * Undefined for anything else (an OSV record is never mistaken: it has no `metrics`/`vulnStatus`).
 */
export function toNvdCves(doc: unknown): NvdCve[] | undefined {
  if (isCveObject(doc)) return [toNvdCve(doc)];
  if (!isObject(doc) || !Array.isArray(doc.vulnerabilities)) return undefined;
  if (typeof doc.format === 'string' && !doc.format.startsWith('NVD_CVE')) return undefined;
  const out: NvdCve[] = [];
  for (const v of doc.vulnerabilities) {
    const cve = isObject(v) ? v.cve : undefined;
    if (isCveObject(cve)) out.push(toNvdCve(cve));
  }
  return out;
}

function toNvdCve(cve: Record<string, unknown>): NvdCve {
  return {
    id: cve.id as string,
    lastModified: typeof cve.lastModified === 'string' ? cve.lastModified : '',
    rejected: cve.vulnStatus === 'Rejected',
    metrics: toNvdMetrics(isObject(cve.metrics) ? cve.metrics : {}),
  };
}

// NVD's own (Primary) v3.x first, as Trivy and Grype rate CVEs; v4 next; then the same from secondary
// sources (CISA's ADP scores most CVEs NVD has not analysed); v2 last.
const KEYS: { key: string; type: NvdMetric['type'] }[] = [
  { key: 'cvssMetricV31', type: 'CVSS_V3' },
  { key: 'cvssMetricV30', type: 'CVSS_V3' },
  { key: 'cvssMetricV40', type: 'CVSS_V4' },
  { key: 'cvssMetricV2', type: 'CVSS_V2' },
];

/** Every CVSS metric of a CVE's `metrics`, primary before secondary, v3.x before v4 before v2. */
export function toNvdMetrics(metrics: Record<string, unknown>): NvdMetric[] {
  const all: NvdMetric[] = [];
  for (const { key, type } of KEYS) {
    const list = metrics[key];
    if (!Array.isArray(list)) continue;
    for (const m of list) {
      if (!isObject(m) || !isObject(m.cvssData)) continue;
      const data = m.cvssData;
      if (typeof data.vectorString !== 'string') continue;
      const severity = data.baseSeverity ?? m.baseSeverity;
      all.push({
        type,
        vector: data.vectorString,
        ...(typeof data.baseScore === 'number' && { score: data.baseScore }),
        ...(typeof severity === 'string' && { baseSeverity: severity }),
        primary: m.type === 'Primary',
      });
    }
  }
  // stable: keeps the version order within primary and within secondary
  return [...all.filter((m) => m.primary), ...all.filter((m) => !m.primary)];
}
