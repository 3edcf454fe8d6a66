import type { Finding, Severity } from '../types/finding.js';
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

const ANSI: Record<Severity | 'allow' | 'warn' | 'deny' | 'bold' | 'dim', string> = {
  critical: '\u001b[1;31m',
  high: '\u001b[31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  unknown: '\u001b[37m',
  allow: '\u001b[1;32m',
  warn: '\u001b[1;33m',
  deny: '\u001b[1;31m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
};
const RESET = '\u001b[0m';

/** Pads to a width measured in code points (ANSI codes are added after padding). */
function pad(s: string, w: number): string {
  const n = [...s].length;
  return n >= w ? s : s + ' '.repeat(w - n);
}

// Loops, not `Math.max(...rows)` or `push(...lines)`: a report may have 200,000 rows, more arguments than a call
// can take (RangeError: Maximum call stack size exceeded).
function columns(rows: string[][], paint: (row: number, col: number, text: string) => string): string[] {
  const widths = (rows[0] ?? []).map(() => 0);
  for (const r of rows)
    for (let c = 0; c < widths.length; c++) {
      const n = [...(r[c] ?? '')].length;
      if (n > (widths[c] as number)) widths[c] = n;
    }
  return rows.map((r, i) =>
    `  ${r.map((v, c) => paint(i, c, c === r.length - 1 ? v : pad(v, widths[c] ?? 0))).join('  ')}`.trimEnd(),
  );
}

function append(out: string[], lines: readonly string[]): void {
  for (const l of lines) out.push(l);
}

function t(s: string, max: number): string {
  return truncate(toPlainText(s), max);
}

function findingCells(f: Finding): string[] {
  if (f.type === 'vulnerability' && f.package) {
    return [
      toSeverityText(f, true),
      t(toIdText(f), 80),
      t(toPackageText(f), 80),
      t(f.package.version, 30),
      t(f.package.fixedVersion ?? '-', 30),
      t(f.title, 80),
    ];
  }
  return [
    f.severity.toUpperCase(),
    t(f.id, 40),
    t(toLocationText(f), 60),
    t(f.evidence ?? '', 50),
    t(f.title, 60),
  ];
}

/**
 * Human table for terminals, grouped by type, most severe first. Colour only when `opts.color`; every value
 * from the image or advisories is stripped of control characters first, so it cannot inject escapes.
 */
export function renderTable(scan: ScanResult, evaluation: Evaluation, opts: RenderOptions): string {
  const c = (k: keyof typeof ANSI, s: string): string => (opts.color ? `${ANSI[k]}${s}${RESET}` : s);
  const v = evaluation.verdict;
  const out: string[] = [
    `${c('bold', t(scan.image.ref, 200))}${scan.image.digest !== undefined ? ` (${shortDigest(scan.image.digest)})` : ''}`,
    t(toImageLine(scan), 300),
    '',
  ];
  const shown = sortFindings(selectFindings(evaluation.findings, opts, true));
  for (const [type, fs] of groupByType(shown.filter((f) => f.suppressedBy === undefined))) {
    out.push(c('bold', `${TYPE_TITLES[type]} (${fs.length})`));
    const header =
      type === 'vulnerability'
        ? ['SEVERITY', 'ID', 'PACKAGE', 'INSTALLED', 'FIXED', 'TITLE']
        : ['SEVERITY', 'ID', 'LOCATION', 'EVIDENCE (REDACTED)', 'TITLE'];
    append(
      out,
      columns([header, ...fs.map(findingCells)], (row, col, text) =>
        row > 0 && col === 0
          ? c(fs[row - 1]?.severity ?? 'unknown', text)
          : row === 0
            ? c('dim', text)
            : text,
      ),
    );
    out.push('');
  }
  const suppressed = shown.filter((f) => f.suppressedBy !== undefined);
  if (suppressed.length > 0) {
    out.push(c('bold', `Suppressed (${suppressed.length})`));
    append(
      out,
      columns(
        [
          ['ID', 'WHERE', 'REASON', 'EXPIRES'],
          ...suppressed.map((f) => [
            t(f.id, 40),
            t(f.package ? f.package.name : toLocationText(f), 50),
            t(f.suppressedBy?.reason ?? '', 60),
            f.suppressedBy?.expires ?? '',
          ]),
        ],
        (row, _col, text) => (row === 0 ? c('dim', text) : text),
      ),
    );
    out.push('');
  }
  const rem = remediationFor(evaluation, scan);
  if (rem.packages.length > 0) {
    out.push(c('bold', 'Remediation'));
    for (const p of rem.packages) {
      out.push(
        `  ${t(p.name, 60)} ${t(p.installed, 40)} -> ${p.fixedVersion !== undefined ? t(p.fixedVersion, 40) : 'no fix yet'} (${[...p.fixes, ...p.unfixed].map((id) => t(id, 40)).join(', ')})`,
      );
    }
    for (const line of rem.dockerfile) out.push(`  ${toPlainText(line)}`);
    out.push('');
  }
  const rows = toCountRows(evaluation);
  if (rows.length > 0) {
    out.push(
      ...columns(
        [
          ['', ...SEVERITIES.map((s) => s.toUpperCase()), 'TOTAL'],
          ...rows.map((r) => [r.label, ...r.counts.map(String), String(r.total)]),
        ],
        (row, _col, text) => (row === 0 ? c('dim', text) : text),
      ),
      '',
    );
  }
  out.push(`Verdict: ${c(v.decision, v.decision.toUpperCase())}  (policy ${shortDigest(v.policyDigest)})`);
  for (const r of v.reasons) out.push(`  - ${t(r, 400)}`);
  if (v.warnings.length > 0) {
    out.push('Warnings:');
    for (const w of v.warnings) out.push(`  - ${c('warn', t(w, 400))}`);
  }
  return `${out.join('\n')}\n`;
}
