import type { Finding, Severity } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { IMAGE_URI_BASE, toFingerprint, toReportLocation } from './locations.js';
import type { RenderOptions } from './options.js';
import { selectFindings, sortFindings } from './select.js';
import { TYPE_TITLES, truncate } from './text.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** GitHub reads `security-severity` ("0.1"–"10.0"): >9 critical, 7–8.9 high, 4–6.9 medium, else low. */
const SEVERITY_SCORE: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  unknown: undefined,
};

function toLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}

function securitySeverity(f: Finding): string | undefined {
  // A CVSS base score is more precise than the band, when the advisory gives one.
  const scores = (f.cvss ?? [])
    .map((c) => c.score)
    .filter((s): s is number => typeof s === 'number' && s > 0);
  if (scores.length > 0)
    return Math.min(
      10,
      scores.reduce((a, b) => Math.max(a, b)),
    ).toFixed(1);
  return SEVERITY_SCORE[f.severity];
}

function ruleIdOf(f: Finding): string {
  return f.ruleId ?? f.id;
}

function helpText(f: Finding): { text: string; markdown: string } {
  const lines: string[] = [f.description || f.title || f.id];
  const md: string[] = [
    `**${escapeMd(f.title)}**`,
    ...(f.description !== undefined ? ['', escapeMd(f.description)] : []),
    '',
  ];
  if (f.package?.fixedVersion !== undefined) {
    lines.push(`Fix: upgrade ${f.package.name} to ${f.package.fixedVersion} or later.`);
    md.push(`Fix: upgrade \`${f.package.name}\` to \`${f.package.fixedVersion}\` or later.`);
  }
  if (f.remediation !== undefined) {
    lines.push(f.remediation);
    md.push(escapeMd(f.remediation));
  }
  for (const r of (f.references ?? []).slice(0, 5)) {
    lines.push(r);
    md.push(`- <${r}>`);
  }
  return {
    text: truncate(lines.filter((s) => s !== '').join('\n'), 8000),
    markdown: truncate(md.join('\n'), 8000),
  };
}

function escapeMd(s: string): string {
  return s.replace(/[<>[\]`*_|\\]/g, (c) => `\\${c}`);
}

function message(f: Finding): string {
  const parts = [`${f.id}: ${f.title}`];
  if ((f.aliases ?? []).length > 0) parts.push(`Aliases: ${(f.aliases ?? []).join(', ')}.`);
  if (f.severitySource !== undefined) parts.push(`Severity ${f.severity} (source: ${f.severitySource}).`);
  if (f.package) {
    const fix =
      f.package.fixedVersion !== undefined ? `, fixed in ${f.package.fixedVersion}` : ', no fix known';
    parts.push(`Package ${f.package.name} ${f.package.version}${fix}.`);
  }
  if (f.location.path !== undefined)
    parts.push(`Found at ${f.location.path}${f.hidden ? ' (deleted by a later layer)' : ''}.`);
  else if (f.location.source !== undefined) parts.push(`Found in ${f.location.source}.`);
  if (f.evidence !== undefined) parts.push(`Evidence (redacted): ${f.evidence}`);
  if (f.location.layerDigest !== undefined) parts.push(`Layer ${f.location.layerDigest}.`);
  return parts.join('\n');
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per rule/vulnerability id (with `security-severity`, help and
 * tags), one result per finding located as `locations.ts` describes, suppressed findings carried as SARIF
 * `suppressions` (kind external, status accepted, the exception's reason as justification).
 */
export function renderSarif(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  const findings = sortFindings(selectFindings(evaluation.findings, opts, true));
  const rules: Record<string, unknown>[] = [];
  const ruleIndex = new Map<string, number>();
  for (const f of findings) {
    const id = ruleIdOf(f);
    if (ruleIndex.has(id)) continue;
    ruleIndex.set(id, rules.length);
    const sev = securitySeverity(f);
    rules.push({
      id,
      name: truncate(id.replace(/[^A-Za-z0-9]+/g, ''), 255) || 'Finding',
      shortDescription: { text: truncate(f.title || f.id, 1024) },
      fullDescription: { text: truncate(f.description || f.title || f.id, 1024) },
      help: helpText(f),
      defaultConfiguration: { level: toLevel(f.severity) },
      ...(f.references?.[0] !== undefined && { helpUri: f.references[0] }),
      properties: {
        tags: ['security', f.type, TYPE_TITLES[f.type].toLowerCase()].slice(0, 20),
        precision: f.type === 'vulnerability' || f.type === 'malicious-sample' ? 'very-high' : 'high',
        ...(sev !== undefined && { 'security-severity': sev }),
      },
    });
  }
  const results = findings.map((f) => {
    const loc = toReportLocation(f, scan);
    return {
      ruleId: ruleIdOf(f),
      ruleIndex: ruleIndex.get(ruleIdOf(f)) ?? 0,
      level: toLevel(f.severity),
      message: { text: message(f) },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: loc.uri, ...(loc.inImage && { uriBaseId: IMAGE_URI_BASE }) },
            region: { startLine: loc.startLine, ...(loc.endLine !== undefined && { endLine: loc.endLine }) },
          },
        },
      ],
      partialFingerprints: { primaryLocationLineHash: `${toFingerprint(f, scan).slice(0, 32)}:1` },
      ...(f.suppressedBy && {
        suppressions: [{ kind: 'external', status: 'accepted', justification: f.suppressedBy.reason }],
      }),
      properties: {
        type: f.type,
        severity: f.severity,
        ...((f.aliases ?? []).length > 0 && { aliases: [...(f.aliases ?? [])] }),
        ...(f.severitySource !== undefined && { severitySource: f.severitySource }),
        ...(f.package && { package: f.package.purl }),
      },
    };
  });
  const sarif = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Portcullis',
            version: opts.toolVersion,
            ...(/^\d+\.\d+\.\d+/.test(opts.toolVersion) && { semanticVersion: opts.toolVersion }),
            rules,
          },
        },
        originalUriBaseIds: {
          [IMAGE_URI_BASE]: {
            uri: 'file:///',
            description: { text: `Root filesystem of the image ${scan.image.ref}` },
          },
        },
        results,
        // Verdict warnings (an exception about to expire, a stale DB, notes) are not results: SARIF reports them
        // as notifications of a run that still succeeded.
        invocations: [
          {
            executionSuccessful: true,
            ...(evaluation.verdict.warnings.length > 0 && {
              toolExecutionNotifications: evaluation.verdict.warnings.map((text) => ({
                level: 'warning',
                message: { text },
              })),
            }),
          },
        ],
        properties: {
          image: scan.image.ref,
          ...(scan.image.digest !== undefined && { imageDigest: scan.image.digest }),
          decision: evaluation.verdict.decision,
          policyDigest: evaluation.verdict.policyDigest,
        },
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
