import { createHash } from 'node:crypto';
import { renderReport, type Evaluation, type RenderOptions, type ScanResult } from '../../core/src/index.js';
import type { AnnotationPlan } from './annotations.js';

/** GitHub's cap on a PR comment body (characters); the job summary's (1 MiB) is far above it. */
export const COMMENT_MAX_CHARS = 65_536;

/**
 * The hidden marker that finds this Action's comment again: one per job and target, so two Portcullis steps
 * in one workflow (two images) keep two comments, and a re-run edits its own.
 */
export function toCommentMarker(job: string, target: string): string {
  const key = createHash('sha256').update(`${job}\0${target}`).digest('hex').slice(0, 16);
  return `<!-- portcullis-action:${key} -->`;
}

export interface SummaryFacts {
  /** Whether the step fails, and why, in one line. */
  gate: string;
  newFindings: number;
  knownFindings: number;
  baseline: boolean;
  annotations: AnnotationPlan;
}

/**
 * The job summary, which is also the sticky PR comment: the Action's own lines (gate, baseline split,
 * annotations that did not fit), then the report's markdown (verdict, reasons, counts by type and severity,
 * findings, remediation, suppressed findings with their exceptions), capped under the comment limit.
 */
export function renderSummary(
  scan: ScanResult,
  evaluation: Evaluation,
  facts: SummaryFacts,
  marker: string,
  opts: RenderOptions,
): string {
  const lines = [marker, '', `**Check:** ${facts.gate}`];
  if (facts.baseline) {
    lines.push(
      '',
      `**New findings:** ${facts.newFindings} (${facts.knownFindings} already in \`baseline-report\`: listed below, not gating)`,
    );
  }
  const { omitted } = facts.annotations;
  const more = (['error', 'warning', 'notice'] as const).filter((l) => omitted[l] > 0);
  if (more.length > 0) {
    lines.push(
      '',
      `**Annotations:** GitHub shows 10 per level; ${more
        .map((l) => `${omitted[l]} more ${l}${omitted[l] === 1 ? '' : 's'}`)
        .join(', ')} not annotated (all are in the tables below, the report and the SARIF).`,
    );
  }
  const head = `${lines.join('\n')}\n\n`;
  const body = renderReport('markdown', scan, evaluation, {
    ...opts,
    maxChars: COMMENT_MAX_CHARS - 1_000 - head.length,
  });
  return head + body;
}
