import type { Finding, Severity } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import type { RenderOptions } from './options.js';
import { selectFindings, sortFindings } from './select.js';
import { truncate } from './text.js';

export const GITLAB_CS_SCHEMA_VERSION = '15.2.4';

const SEVERITY: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  unknown: 'Unknown',
};

/** GitLab wants `YYYY-MM-DDTHH:MM:SS`: UTC, no fraction, and no `Z` (a `Z` fails its schema). */
export function toGitlabTime(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return d.toISOString().slice(0, 19);
}

function identifierType(id: string): string {
  const m = /^(CVE|GHSA|GO|RUSTSEC|PYSEC|OSV|DSA|DLA|USN|ALSA|RHSA|ALAS)-/i.exec(id);
  return m?.[1] !== undefined ? m[1].toLowerCase() : 'portcullis';
}

function identifierUrl(id: string): string | undefined {
  if (/^CVE-\d{4}-\d+$/.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (/^GHSA-/.test(id)) return `https://github.com/advisories/${id}`;
  if (/^[A-Z]+-[\w-]+$/.test(id) && identifierType(id) !== 'portcullis')
    return `https://osv.dev/vulnerability/${id}`;
  return undefined;
}

function identifiers(f: Finding): Record<string, string>[] {
  const ids = [f.id, ...(f.aliases ?? []).filter((a) => a !== f.id)];
  return ids.map((id) => {
    const url = identifierUrl(id);
    return { type: identifierType(id), name: id, value: id, ...(url !== undefined && { url }) };
  });
}

function cvssVectors(f: Finding): { vendor: string; vector: string }[] | undefined {
  const v = (f.cvss ?? [])
    .map((c) => c.vector)
    .filter((x) => /^CVSS:(3\.[01]|4\.0)\//.test(x))
    .slice(0, 10)
    .map((vector) => ({ vendor: f.severitySource ?? 'unknown', vector }));
  return v.length > 0 ? v : undefined;
}

/**
 * GitLab container-scanning report (schema 15.x): vulnerabilities only, one per finding, ids from the injected
 * generator. Suppressed findings are left out by default (the format cannot mark them).
 */
export function renderGitlab(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  const os = scan.image.os ? `${scan.image.os.family} ${scan.image.os.version}` : 'unknown';
  const image = scan.image.ref;
  const vulns = sortFindings(selectFindings(evaluation.findings, opts, false))
    .filter((f) => f.type === 'vulnerability' && f.package)
    .map((f) => {
      const pkg = f.package as NonNullable<Finding['package']>;
      const cvss = cvssVectors(f);
      const links = (f.references ?? [])
        .filter((r) => /^(https?|ftp):\/\/.+/.test(r))
        .map((url) => ({ url }));
      return {
        id: opts.newId(),
        name: truncate(f.title || f.id, 255),
        description: f.description ?? f.title,
        severity: SEVERITY[f.severity],
        solution: truncate(
          pkg.fixedVersion !== undefined
            ? `Upgrade ${pkg.name} to ${pkg.fixedVersion}`
            : 'No fixed version is known yet.',
          7000,
        ),
        identifiers: identifiers(f),
        ...(f.severitySource !== undefined && {
          details: {
            severity_source: { type: 'text', name: 'Severity source', value: f.severitySource },
          },
        }),
        ...(cvss && { cvss_vectors: cvss }),
        ...(links.length > 0 && { links }),
        location: {
          dependency: { package: { name: pkg.name }, version: pkg.version },
          operating_system: os,
          image,
        },
      };
    });
  const scanner = {
    id: 'portcullis',
    name: 'Portcullis',
    version: opts.toolVersion,
    vendor: { name: 'Portcullis' },
  };
  const report = {
    version: GITLAB_CS_SCHEMA_VERSION,
    schema: `https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v${GITLAB_CS_SCHEMA_VERSION}/dist/container-scanning-report-format.json`,
    scan: {
      analyzer: scanner,
      scanner,
      type: 'container_scanning',
      start_time: toGitlabTime(scan.scannedAt),
      end_time: toGitlabTime(opts.now),
      status: 'success',
      messages: evaluation.verdict.warnings.map((value) => ({ level: 'warn', value })),
    },
    vulnerabilities: vulns,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
