import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PortcullisError } from '../errors.js';
import { REPORT_FORMATS, type ReportFormat, type RenderOptions } from '../report/options.js';
import { parseChoice } from '../choices.js';
import type { Evaluation, ScanResult } from '../types/scan.js';
import { TOOL_VERSION } from '../version.js';

/** Where the CLI writes; injected so tests can capture output without a subprocess. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

export { defaultDbPath } from '../vulndb/path.js';

export function toReportFormat(value: string): ReportFormat {
  // case-insensitive: `SARIF` can only mean sarif; a typo is refused with the list and the closest format
  return parseChoice(value, REPORT_FORMATS, '--format');
}

/** `--report sarif=out.sarif` → [format, path]. */
export function parseReportSpec(spec: string): [ReportFormat, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) {
    throw new PortcullisError('USAGE_INVALID', `--report takes FORMAT=FILE, got "${spec}"`);
  }
  return [toReportFormat(spec.slice(0, i)), spec.slice(i + 1)];
}

export async function writeOutput(io: CliIo, text: string, path?: string): Promise<void> {
  if (!path || path === '-') {
    io.stdout.write(text.endsWith('\n') ? text : text + '\n');
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text.endsWith('\n') ? text : text + '\n');
}

export function renderOptions(
  io: CliIo,
  format: ReportFormat,
  toFile: boolean,
  extra: Partial<RenderOptions> = {},
): RenderOptions {
  const color = format === 'table' && !toFile && io.stdout.isTTY === true && io.env.NO_COLOR === undefined;
  return { now: io.now(), newId: randomUUID, toolVersion: TOOL_VERSION, color, ...extra };
}

/** Renders the main output and every extra `--report FORMAT=FILE`. */
export async function emitReports(
  io: CliIo,
  scan: ScanResult,
  evaluation: Evaluation,
  main: { format: ReportFormat; output?: string; reports: string[]; extra?: Partial<RenderOptions> },
): Promise<void> {
  const outputs: [ReportFormat, string | undefined][] = [
    [main.format, main.output],
    ...main.reports.map(parseReportSpec),
  ];
  const { renderReportChunks } = await import('../report/index.js');
  for (const [format, path] of outputs) {
    const chunks = renderReportChunks(
      format,
      scan,
      evaluation,
      renderOptions(io, format, path !== undefined && path !== '-', main.extra),
    );
    await writeChunks(io, chunks, path);
  }
}

/** Bytes gathered before one write: few syscalls, without holding a whole large report. */
const WRITE_BATCH = 1024 * 1024;

/** Writes a report piece by piece (stdout or a file), waiting for the reader; ends it with a newline. */
async function writeChunks(io: CliIo, chunks: Iterable<string>, path?: string): Promise<void> {
  const toStdout = !path || path === '-';
  if (!toStdout) await mkdir(dirname(path), { recursive: true });
  const out: NodeJS.WritableStream = toStdout ? io.stdout : createWriteStream(path);
  const write = (text: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (out.write(text, (err) => (err ? reject(err) : undefined))) resolve();
      else out.once('drain', resolve);
    });
  let batch = '';
  let last = '';
  for (const chunk of chunks) {
    if (chunk === '') continue;
    batch += chunk;
    last = chunk;
    if (batch.length >= WRITE_BATCH) {
      await write(batch);
      batch = '';
    }
  }
  if (!last.endsWith('\n')) batch += '\n';
  await write(batch);
  if (!toStdout)
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
}

/** A one-line progress indicator on stderr, only on a TTY. */
export function createProgress(
  io: CliIo,
  enabled: boolean,
): {
  layer: (e: { index: number; bytes: number; total?: number; done: boolean }) => void;
  done: () => void;
} {
  if (!enabled || io.stderr.isTTY !== true) return { layer: () => undefined, done: () => undefined };
  const state = new Map<number, { bytes: number; total?: number; done: boolean }>();
  let last = 0;
  const draw = (force: boolean): void => {
    const t = Date.now();
    if (!force && t - last < 100) return;
    last = t;
    const parts = [...state.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([i, s]) => {
        const mb = (s.bytes / 1048576).toFixed(1);
        const of = s.total ? `/${(s.total / 1048576).toFixed(1)}` : '';
        return `layer ${i + 1}: ${s.done ? 'done' : `${mb}${of} MB`}`;
      });
    io.stderr.write(`\r\x1b[2K${parts.join('  ')}`);
  };
  return {
    layer: (e) => {
      state.set(e.index, {
        bytes: e.bytes,
        ...(e.total !== undefined ? { total: e.total } : {}),
        done: e.done,
      });
      draw(e.done);
    },
    done: () => io.stderr.write('\r\x1b[2K'),
  };
}
