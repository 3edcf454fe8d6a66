import type { VerdictStore } from '../store/verdict-store.js';
import type { TaskStore } from './types.js';

/** `scan.retention` in ms. */
export interface Retention {
  tasksMs?: number;
  vulnerabilitiesMs?: number;
}

/**
 * Deletes tasks (with their logs) created more than `tasksMs` ago, and scan results not stored again (not seen
 * by any scan or push) within `vulnerabilitiesMs`.
 */
export async function applyRetention(
  retention: Retention,
  stores: { tasks: TaskStore; verdicts?: Pick<VerdictStore, 'deleteStoredBefore'> },
  now: number,
): Promise<{ tasks: number; results: number }> {
  const cutoff = (ms: number): string => new Date(now - ms).toISOString();
  const tasks =
    retention.tasksMs === undefined ? 0 : await stores.tasks.deleteTasksBefore(cutoff(retention.tasksMs));
  const results =
    retention.vulnerabilitiesMs === undefined || !stores.verdicts
      ? 0
      : await stores.verdicts.deleteStoredBefore(cutoff(retention.vulnerabilitiesMs));
  return { tasks, results };
}
