import { PortcullisError } from '../errors.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { renderCodeQuality } from './codequality.js';
import { renderCycloneDx } from './cyclonedx.js';
import { renderGitlab } from './gitlab.js';
import { renderJson, renderJsonChunks } from './json.js';
import { renderMarkdown } from './markdown.js';
import { REPORT_FORMATS } from './options.js';
import type { RenderOptions, ReportFormat } from './options.js';
import { renderSarif } from './sarif.js';
import { renderTable } from './table.js';

export { REPORT_FORMATS, isReportFormat } from './options.js';
export type { RenderOptions, ReportFormat } from './options.js';
export { remediationFor } from './remediation.js';
export { parseJsonReport } from './read-json.js';
export type { PackageRemediation, Remediation } from './remediation.js';
export { toGitlabTime, GITLAB_CS_SCHEMA_VERSION } from './gitlab.js';
export { SARIF_SCHEMA_URI } from './sarif.js';
export { IMAGE_URI_BASE, toReportLocation, toFingerprint } from './locations.js';
export type { ReportLocation } from './locations.js';
export {
  renderCodeQuality,
  renderCycloneDx,
  renderGitlab,
  renderJson,
  renderMarkdown,
  renderSarif,
  renderTable,
};
export { renderSbom } from './cyclonedx.js';
export { renderJsonChunks } from './json.js';

const RENDERERS: Record<
  ReportFormat,
  (scan: ScanResult, evaluation: Evaluation, opts: RenderOptions) => string
> = {
  table: renderTable,
  json: renderJson,
  sarif: renderSarif,
  gitlab: renderGitlab,
  codequality: renderCodeQuality,
  cyclonedx: renderCycloneDx,
  markdown: renderMarkdown,
};

/**
 * Renders a scan and its evaluation in one format. Pure: the same inputs (clock and ids included) give the same
 * bytes. Throws `REPORT_FORMAT_UNKNOWN` for an unknown format name.
 */
/** `renderReport` as pieces to write one after another (the same bytes, joined). */
export function renderReportChunks(
  format: ReportFormat,
  scan: ScanResult,
  evaluation: Evaluation,
  opts: RenderOptions,
): Iterable<string> {
  // JSON (the format pipelines keep) streams finding by finding; the others are bounded or capped in size
  if (format === 'json') return renderJsonChunks(scan, evaluation, opts);
  return [renderReport(format, scan, evaluation, opts)];
}

export function renderReport(
  format: ReportFormat,
  scan: ScanResult,
  evaluation: Evaluation,
  opts: RenderOptions,
): string {
  const render = (RENDERERS as Partial<Record<string, typeof renderJson>>)[format];
  if (!render) {
    throw new PortcullisError(
      'REPORT_FORMAT_UNKNOWN',
      `unknown report format "${String(format)}": expected one of ${REPORT_FORMATS.join(', ')}`,
    );
  }
  return render(scan, evaluation, opts);
}
