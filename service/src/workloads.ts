import type { TaskStore } from '../../core/src/index.js';

/** A workload seen running an image by a runtime scan. */
export interface WorkloadSighting {
  /** `namespace/pod` */
  workload: string;
  task: string;
  at: string;
}

/** How many recent runtime tasks are read: enough for "where it runs now", bounded for the store. */
const RUNTIME_TASKS = 5;

/**
 * Where images run, from the logs of the newest runtime scans (the task log records the pods using each
 * image): digest → the most recent sighting per workload.
 */
export async function readWorkloads(tasks: TaskStore): Promise<Map<string, WorkloadSighting[]>> {
  const runtime = (await tasks.list({ limit: 200 })).filter((t) => t.trigger === 'runtime');
  const out = new Map<string, Map<string, WorkloadSighting>>();
  for (const t of runtime.slice(0, RUNTIME_TASKS))
    for (const entry of await tasks.readLog(t.id)) {
      if (!entry.digest) continue;
      const seen = out.get(entry.digest) ?? new Map<string, WorkloadSighting>();
      out.set(entry.digest, seen);
      for (const workload of entry.usedBy ?? [])
        if (!seen.has(workload)) seen.set(workload, { workload, task: t.id, at: entry.at });
    }
  return new Map(
    [...out].map(([d, m]) => [d, [...m.values()].sort((a, b) => a.workload.localeCompare(b.workload))]),
  );
}

/** Where one image runs (empty when no runtime scan has seen it). */
export async function findWorkloads(tasks: TaskStore, digest: string): Promise<WorkloadSighting[]> {
  return (await readWorkloads(tasks)).get(digest) ?? [];
}
