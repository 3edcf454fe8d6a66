import type { TaskLogEntry, TaskRecord } from '../../tasks/types.js';

/** `in scope 40, scanned 30, skipped 5 (time range), failed 1, not scanned 4` */
export function formatProgress(t: TaskRecord): string {
  const p = t.progress;
  return `in scope ${p.inScope}, scanned ${p.scanned}, skipped ${p.skipped} (time range), failed ${p.failed}, not scanned ${p.notScanned}`;
}

function formatFindings(f: TaskLogEntry['findings']): string {
  if (!f) return '';
  return ` critical ${f.critical} high ${f.high} medium ${f.medium} low ${f.low} unknown ${f.unknown}`;
}

/** One log entry, one line: `scanned  host/repo:tag sha256:… 1.2s critical 0 high 3 …` or `failed   ref: cause`. */
export function formatEntry(e: TaskLogEntry): string {
  const head = `${e.outcome.padEnd(11)} ${e.reference}${e.digest ? ` ${e.digest}` : ''}`;
  if (e.outcome === 'scanned')
    return `${head} ${(e.durationMs / 1000).toFixed(1)}s${formatFindings(e.findings)}`;
  return `${head}: ${e.cause ?? ''}`;
}

/** 0 succeeded, 1 ended with work left (partial, timed-out, cancelled), 2 failed. */
export function toTaskExitCode(t: TaskRecord): number {
  if (t.status === 'succeeded') return 0;
  if (t.status === 'failed') return 2;
  return 1;
}

export function formatTask(t: TaskRecord): string[] {
  return [
    `task ${t.id}`,
    `  status    ${t.status}${t.cancelRequested && t.status === 'running' ? ' (cancel requested)' : ''}`,
    `  trigger   ${t.trigger}`,
    `  scope     registries ${t.scope.registries.join(', ')}; scanners ${t.scope.scanners.join(',')}${t.scope.timeRange ? `; time range ${t.scope.timeRange}` : ''}${t.scope.timeout ? `; timeout ${t.scope.timeout}` : ''}`,
    `  progress  ${formatProgress(t)}`,
    `  created   ${t.createdAt}`,
    ...(t.startedAt ? [`  started   ${t.startedAt}`] : []),
    ...(t.finishedAt ? [`  finished  ${t.finishedAt}`] : []),
  ];
}
