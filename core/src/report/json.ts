import type { Finding } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import type { RenderOptions } from './options.js';
import { remediationFor } from './remediation.js';
import { selectFindings } from './select.js';

/**
 * The stable JSON report (DESIGN.md "Public contract", schemaVersion 1). Only the fields the contract names are
 * written (plus verdict `warnings`/`counts` and top-level `remediation`, which are additive); unknown values are
 * `null` so every key is always present.
 */
export function renderJson(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  return [...renderJsonChunks(scan, evaluation, opts)].join('');
}

/** Stands in for the findings array while the rest of the report is serialised (never a real value). */
const FINDINGS_SLOT = '\u0000portcullis:findings\u0000';

/**
 * The JSON report in pieces, one per finding: the same text as `renderJson`, but a writer can send each piece
 * as it comes, so 200,000 findings never sit in memory as one report object and one string.
 */
export function* renderJsonChunks(
  scan: ScanResult,
  evaluation: Evaluation,
  opts: RenderOptions,
): Generator<string> {
  const v = evaluation.verdict;
  const findings = selectFindings(evaluation.findings, opts, true);
  const report = {
    schemaVersion: 1,
    // when the scan ran and what it ran with: `portcullis push REPORT.json` reads these back into a ScanResult
    scannedAt: scan.scannedAt,
    analyzers: { ...pickNumbers(scan.analyzers) },
    // a report that leaves findings out (a --severity filter) must not pass for a whole scan when pushed
    ...(findings.length !== evaluation.findings.length && { findingsFiltered: true }),
    image: {
      ref: scan.image.ref,
      digest: scan.image.digest ?? null,
      configDigest: scan.image.configDigest,
      os: scan.image.os ? { family: scan.image.os.family, version: scan.image.os.version } : null,
      layers: scan.image.layers.map((l) => ({
        digest: l.digest,
        diffId: l.diffId ?? null,
        createdBy: l.createdBy ?? null,
      })),
    },
    packages: scan.packages.map((p) => ({
      name: p.name,
      version: p.version,
      ecosystem: p.ecosystem,
      purl: p.purl,
      ...(p.sourceName !== undefined && { sourceName: p.sourceName }),
      layerDigest: p.layerDigest,
      path: p.path,
    })),
    findings: FINDINGS_SLOT as unknown,
    verdict: {
      decision: v.decision,
      reasons: [...v.reasons],
      policyDigest: v.policyDigest,
      dbBuiltAt: v.dbBuiltAt ?? null,
      warnings: [...v.warnings],
      counts: {
        byType: { ...pickNumbers(v.counts.byType) },
        bySeverity: { ...pickNumbers(v.counts.bySeverity) },
        suppressed: v.counts.suppressed,
      },
    },
    remediation: remediationFor(evaluation, scan),
    notes: [...scan.notes, ...(evaluation.notes ?? [])].map((n) => ({
      code: n.code,
      message: n.message,
      ...(n.path !== undefined && { path: n.path }),
      ...(n.layerDigest !== undefined && { layerDigest: n.layerDigest }),
    })),
  };
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const slot = JSON.stringify(FINDINGS_SLOT);
  const at = text.indexOf(slot);
  if (findings.length === 0) {
    yield text.slice(0, at) + '[]' + text.slice(at + slot.length);
    return;
  }
  // what JSON.stringify(…, null, 2) writes for an array at depth 1: items indented by 4, one per line
  yield `${text.slice(0, at)}[\n`;
  for (let i = 0; i < findings.length; i++) {
    const item = JSON.stringify(toJsonFinding(findings[i] as Finding), null, 2).replace(/\n/g, '\n    ');
    yield `    ${item}${i < findings.length - 1 ? ',' : ''}\n`;
  }
  yield `  ]${text.slice(at + slot.length)}`;
}

/** Copies only numeric counts, so nothing but numbers can travel through the counts objects. */
function pickNumbers(o: Partial<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(o)) if (typeof n === 'number') out[k] = n;
  return out;
}

function toJsonFinding(f: Finding): Record<string, unknown> {
  const l = f.location;
  return {
    type: f.type,
    id: f.id,
    ...(f.ruleId !== undefined && f.ruleId !== f.id && { ruleId: f.ruleId }),
    ...(f.aliases !== undefined && f.aliases.length > 0 && { aliases: [...f.aliases] }),
    severity: f.severity,
    title: f.title,
    location: {
      ...(l.layerDigest !== undefined && { layerDigest: l.layerDigest }),
      ...(l.path !== undefined && { path: l.path }),
      ...(l.line !== undefined && { line: l.line }),
      // ENV, label, history and config findings have no file: say where they are instead of an empty location
      ...(l.source !== undefined && { source: l.source }),
    },
    ...(f.fixedVersions !== undefined &&
      f.fixedVersions.length > 0 && { fixedVersions: [...f.fixedVersions] }),
    ...(f.hidden === true && { hidden: true }),
    ...(f.package && {
      package: {
        name: f.package.name,
        version: f.package.version,
        ...(f.package.fixedVersion !== undefined && { fixedVersion: f.package.fixedVersion }),
        ecosystem: f.package.ecosystem,
        purl: f.package.purl,
      },
    }),
    ...(f.severitySource !== undefined && { severitySource: f.severitySource }),
    ...(f.evidence !== undefined && { evidence: f.evidence }),
    ...(f.suppressedBy && {
      suppressedBy: {
        index: f.suppressedBy.index,
        reason: f.suppressedBy.reason,
        ...(f.suppressedBy.owner !== undefined && { owner: f.suppressedBy.owner }),
        ...(f.suppressedBy.ticket !== undefined && { ticket: f.suppressedBy.ticket }),
        ...(f.suppressedBy.expires !== undefined && { expires: f.suppressedBy.expires }),
      },
    }),
  };
}
