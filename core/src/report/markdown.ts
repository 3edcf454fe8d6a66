import type { Finding } from '../types/finding.js';
import { SEVERITIES } from '../types/finding.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import type { RenderOptions } from './options.js';
import { remediationFor } from './remediation.js';
import { groupByType, selectFindings, sortFindings } from './select.js';
import { toCountRows, toImageLine } from './summary.js';
import {
  shortDigest,
  toIdText,
  toLocationText,
  toPackageText,
  toPlainText,
  toSeverityText,
  TYPE_TITLES,
  truncate,
} from './text.js';

const DEFAULT_MAX_CHARS = 60_000;
const MAX_ROWS_PER_TYPE = 50;
const ICON = { allow: '✅', warn: '⚠️', deny: '❌' } as const;

/** Escapes text for a GitHub/GitLab markdown table cell: no HTML, no pipes, no line breaks. */
function cell(s: string, max = 120): string {
  return truncate(toPlainText(s), max)
    .replace(/\\/g, '\\\\')
    .replace(/[|<>*_[\]`~#]/g, (c) => `\\${c}`);
}

/** Inline code that cannot be broken out of (backticks removed; pipes escaped, which GFM tables need even in code). */
function code(s: string, max = 80): string {
  const t = truncate(toPlainText(s), max).replace(/`/g, "'").replace(/\|/g, '\\|');
  return t === '' ? '' : `\`${t}\``;
}

function findingRow(f: Finding): string {
  if (f.type === 'vulnerability' && f.package) {
    return `| ${toSeverityText(f)} | ${code(toIdText(f), 160)} | ${code(toPackageText(f), 160)} | ${code(f.package.version)} | ${f.package.fixedVersion !== undefined ? code(f.package.fixedVersion) : '—'} | ${cell(f.title)} |`;
  }
  return `| ${f.severity} | ${code(f.id)} | ${code(toLocationText(f))} | ${f.evidence !== undefined ? code(f.evidence) : ''} | ${cell(f.title)} |`;
}

/**
 * Markdown summary for PR comments and job summaries: verdict, reasons, warnings, counts, findings grouped by
 * type (capped per type), remediation, suppressed findings with their reasons. Capped at `maxChars`.
 */
export function renderMarkdown(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  const v = evaluation.verdict;
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const head: string[] = [
    `## ${ICON[v.decision]} Portcullis: ${v.decision} — ${code(scan.image.ref, 200)}`,
    '',
    `${scan.image.digest !== undefined ? `${code(shortDigest(scan.image.digest))} · ` : ''}${cell(toImageLine(scan), 300)} · policy ${code(shortDigest(v.policyDigest))}`,
    '',
  ];
  if (v.reasons.length > 0) head.push('**Reasons**', '', ...v.reasons.map((r) => `- ${cell(r, 500)}`), '');
  if (v.warnings.length > 0) head.push('**Warnings**', '', ...v.warnings.map((w) => `- ${cell(w, 500)}`), '');
  const rows = toCountRows(evaluation);
  if (rows.length > 0) {
    head.push(
      `| | ${SEVERITIES.join(' | ')} | total |`,
      `|---|${SEVERITIES.map(() => '---:').join('|')}|---:|`,
      ...rows.map((r) => `| ${r.label} | ${r.counts.join(' | ')} | ${r.total} |`),
      '',
    );
  }
  if (v.counts.suppressed > 0)
    head.push(`${v.counts.suppressed} finding(s) suppressed by policy exceptions.`, '');

  const sections: string[][] = [];
  const shown = sortFindings(selectFindings(evaluation.findings, opts, true));
  for (const [type, fs] of groupByType(shown.filter((f) => f.suppressedBy === undefined))) {
    const lines = [
      `### ${TYPE_TITLES[type]} (${fs.length})`,
      '',
      type === 'vulnerability'
        ? '| severity | id | package | installed | fixed | title |\n|---|---|---|---|---|---|'
        : '| severity | id | location | evidence (redacted) | title |\n|---|---|---|---|---|',
      ...fs.slice(0, MAX_ROWS_PER_TYPE).map(findingRow),
    ];
    if (fs.length > MAX_ROWS_PER_TYPE)
      lines.push('', `… and ${fs.length - MAX_ROWS_PER_TYPE} more (see the full report).`);
    sections.push([...lines, '']);
  }
  const rem = remediationFor(evaluation, scan);
  if (rem.packages.length > 0) {
    const lines = ['### Remediation', ''];
    if (rem.dockerfile.length > 0)
      lines.push('```dockerfile', ...rem.dockerfile.map((l) => toPlainText(l)), '```', '');
    for (const p of rem.packages.slice(0, MAX_ROWS_PER_TYPE)) {
      lines.push(
        `- ${code(p.name)} ${code(p.installed)} → ${p.fixedVersion !== undefined ? code(p.fixedVersion) : 'no fix yet'} (${cell(p.ecosystem)}: ${p.fixes
          .concat(p.unfixed)
          .map((id) => cell(id))
          .join(', ')})`,
      );
    }
    sections.push([...lines, '']);
  }
  const suppressed = shown.filter((f) => f.suppressedBy !== undefined);
  if (suppressed.length > 0) {
    sections.push([
      `### Suppressed (${suppressed.length})`,
      '',
      '| id | where | reason | owner | expires |',
      '|---|---|---|---|---|',
      ...suppressed
        .slice(0, MAX_ROWS_PER_TYPE)
        .map(
          (f) =>
            `| ${code(f.id)} | ${code(f.package ? f.package.name : toLocationText(f))} | ${cell(f.suppressedBy?.reason ?? '')} | ${cell(f.suppressedBy?.owner ?? '')} | ${f.suppressedBy?.expires ?? ''} |`,
        ),
      ...(suppressed.length > MAX_ROWS_PER_TYPE
        ? ['', `… and ${suppressed.length - MAX_ROWS_PER_TYPE} more.`]
        : []),
      '',
    ]);
  }
  const footer = `<sub>Portcullis ${cell(opts.toolVersion, 40)} · evaluated ${v.evaluatedAt}</sub>\n`;
  return capped(head.join('\n'), sections, footer, maxChars);
}

/** Adds whole sections while they fit; says what was left out. */
function capped(head: string, sections: string[][], footer: string, maxChars: number): string {
  let out = `${head}\n`;
  let omitted = 0;
  for (const s of sections) {
    const text = `${s.join('\n')}\n`;
    if (out.length + text.length + footer.length + 120 > maxChars) {
      omitted++;
      continue;
    }
    out += text;
  }
  if (omitted > 0)
    out += `_${omitted} section(s) left out to stay under ${maxChars} characters; see the full report._\n\n`;
  out += footer;
  return out.length > maxChars ? `${out.slice(0, maxChars - 2)}…\n` : out;
}
