import type { Finding, Severity } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import type { RenderOptions } from './options.js';
import { selectFindings, sortFindings } from './select.js';
import { truncate } from './text.js';

type Json = Record<string, unknown>;

const SEVERITY: Record<Severity, string> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  unknown: 'unknown',
};

function ratingMethod(type: string, vector: string): string {
  if (vector.startsWith('CVSS:4')) return 'CVSSv4';
  if (vector.startsWith('CVSS:3.1')) return 'CVSSv31';
  if (vector.startsWith('CVSS:3')) return 'CVSSv3';
  return /V2/i.test(type) ? 'CVSSv2' : 'other';
}

function sourceOf(id: string): { name: string; url?: string } {
  if (/^CVE-/.test(id)) return { name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` };
  if (/^GHSA-/.test(id)) return { name: 'GitHub', url: `https://github.com/advisories/${id}` };
  return { name: 'OSV', url: `https://osv.dev/vulnerability/${id}` };
}

/** `pkg:oci/<name>@<digest>?repository_url=<registry/path>` (purl-spec OCI type), when the digest is known. */
function imagePurl(scan: ScanResult): string | undefined {
  const d = scan.image.digest;
  if (d === undefined) return undefined;
  const ref = scan.image.ref.replace(/@.*$/, '');
  const repo = ref.replace(/:[^/:]*$/, '');
  const name = repo.split('/').pop() ?? repo;
  if (!/^[a-z0-9._-]+$/.test(name)) return undefined;
  return `pkg:oci/${name}@${encodeURIComponent(d)}?repository_url=${encodeURIComponent(repo)}`;
}

function prop(name: string, value: string | undefined): Json[] {
  return value === undefined || value === '' ? [] : [{ name, value }];
}

/**
 * CycloneDX 1.6 SBOM for `portcullis sbom`: the image and its inventory only. An SBOM states what is in the
 * image, not what a policy thinks of it, so it has no vulnerabilities, verdict or policy digest.
 */
export function renderSbom(scan: ScanResult, opts: RenderOptions): string {
  return toBom(scan, undefined, opts);
}

/**
 * CycloneDX 1.6 BOM: the image as metadata component, the OS and every package (purl, layer and path as
 * properties), and one vulnerability per vulnerable package finding with ratings and `affects`. Suppressed
 * findings carry VEX `analysis`: `not_affected` for a permanent exception, `in_triage` for one with an expiry
 * (a temporary acceptance), `detail` = the exception's reason. Non-vulnerability findings are not BOM content.
 * The verdict (decision, policy digest, warnings) goes on the image component as `portcullis:` properties.
 */
export function renderCycloneDx(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  return toBom(scan, evaluation, opts);
}

/** Without an evaluation: the inventory alone (renderSbom). */
function toBom(scan: ScanResult, evaluation: Evaluation | undefined, opts: RenderOptions): string {
  const refs = new Map<string, string>();
  const used = new Set<string>();
  const uniqueRef = (base: string): string => {
    let ref = base;
    for (let n = 2; used.has(ref); n++) ref = `${base}#${n}`;
    used.add(ref);
    return ref;
  };
  used.add('image');
  const components: Json[] = [];
  if (scan.image.os) {
    used.add('os');
    components.push({
      type: 'operating-system',
      'bom-ref': 'os',
      name: scan.image.os.family,
      version: scan.image.os.version,
    });
  }
  for (const p of scan.packages) {
    const ref = uniqueRef(p.purl);
    if (!refs.has(p.purl)) refs.set(p.purl, ref);
    components.push({
      type: 'library',
      'bom-ref': ref,
      name: p.name,
      version: p.version,
      purl: p.purl,
      ...(p.licenses &&
        p.licenses.length > 0 && { licenses: p.licenses.map((l) => ({ license: { name: l } })) }),
      properties: [
        ...prop('portcullis:package:type', p.type),
        ...prop('portcullis:package:sourceName', p.sourceName),
        ...prop('portcullis:package:sourceVersion', p.sourceVersion),
        ...prop('portcullis:layer:digest', p.layerDigest),
        ...prop('portcullis:path', p.path),
      ],
    });
  }

  const vulnerabilities = sortFindings(selectFindings(evaluation?.findings ?? [], opts, true))
    .filter(
      (f): f is Finding & { package: NonNullable<Finding['package']> } =>
        f.type === 'vulnerability' && !!f.package,
    )
    .map((f) => {
      let ref = refs.get(f.package.purl);
      if (ref === undefined) {
        // A finding whose package is not in the inventory still needs a component to point at.
        ref = uniqueRef(f.package.purl);
        refs.set(f.package.purl, ref);
        components.push({
          type: 'library',
          'bom-ref': ref,
          name: f.package.name,
          version: f.package.version,
          purl: f.package.purl,
        });
      }
      // the database that gave the severity (its own, or a GHSA/NVD alias's)
      const ratingSource = f.severitySource !== undefined ? { source: { name: f.severitySource } } : {};
      const ratings: Json[] = (f.cvss ?? []).map((c) => ({
        ...ratingSource,
        ...(typeof c.score === 'number' && { score: c.score }),
        severity: SEVERITY[f.severity],
        method: ratingMethod(c.type, c.vector),
        vector: c.vector,
      }));
      if (ratings.length === 0) ratings.push({ ...ratingSource, severity: SEVERITY[f.severity] });
      const s = f.suppressedBy;
      const advisories = (f.references ?? []).filter((r) => /^https?:\/\//.test(r)).map((url) => ({ url }));
      return {
        'bom-ref': uniqueRef(`vuln:${f.id}:${f.package.purl}`),
        id: f.id,
        source: sourceOf(f.id),
        ...((f.aliases ?? []).length > 0 && {
          references: (f.aliases ?? []).map((a) => ({ id: a, source: sourceOf(a) })),
        }),
        ratings,
        description: truncate(f.description ?? f.title, 10_000),
        ...(f.package.fixedVersion !== undefined && {
          recommendation: `Upgrade ${f.package.name} to ${f.package.fixedVersion}`,
        }),
        ...(advisories.length > 0 && { advisories }),
        ...(s && {
          analysis: {
            state: s.expires !== undefined ? 'in_triage' : 'not_affected',
            detail: [
              s.reason,
              s.owner && `owner: ${s.owner}`,
              s.ticket && `ticket: ${s.ticket}`,
              s.expires && `expires: ${s.expires}`,
            ]
              .filter(Boolean)
              .join('; '),
          },
        }),
        affects: [{ ref, versions: [{ version: f.package.version, status: 'affected' }] }],
      };
    });

  const purl = imagePurl(scan);
  const bom = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${opts.newId()}`,
    version: 1,
    metadata: {
      timestamp: opts.now.toISOString(),
      tools: { components: [{ type: 'application', name: 'portcullis', version: opts.toolVersion }] },
      component: {
        type: 'container',
        'bom-ref': 'image',
        name: scan.image.ref,
        ...(scan.image.digest !== undefined && { version: scan.image.digest }),
        ...(purl !== undefined && { purl }),
        properties: [
          ...prop('portcullis:image:configDigest', scan.image.configDigest),
          ...scan.image.layers.map((l, i) => ({ name: `portcullis:layer:${i}:digest`, value: l.digest })),
          ...prop('portcullis:verdict:decision', evaluation?.verdict.decision),
          ...prop('portcullis:policy:digest', evaluation?.verdict.policyDigest),
          ...(evaluation?.verdict.warnings ?? []).map((value, i) => ({
            name: `portcullis:verdict:warning:${i}`,
            value,
          })),
        ],
      },
    },
    components,
    dependencies: [{ ref: 'image', dependsOn: components.map((c) => c['bom-ref'] as string) }],
    ...(evaluation !== undefined && { vulnerabilities }),
  };
  return `${JSON.stringify(bom, null, 2)}\n`;
}
