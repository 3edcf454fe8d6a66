import { ALL_SCANNERS, PortcullisError, type TaskRecord } from '../../core/src/index.js';
import type { ServiceDeps } from './app.js';
import { parseStartBody } from './runner.js';

type ActionDeps = Pick<ServiceDeps, 'tasks' | 'runner' | 'logger' | 'metrics' | 'startRuntime'>;

/**
 * Starts a task as `by` (a token name) from a Scan Now body: `{registries?, scanners?, runtime?}`. The API's
 * `POST /api/v1/tasks` and the console's Scan Now form both come here, so both log and count the same way.
 */
export async function startTask(deps: ActionDeps, by: string, body: unknown): Promise<TaskRecord> {
  const start = parseStartBody(body, ALL_SCANNERS);
  if (start.runtime) {
    if (!deps.startRuntime)
      throw new PortcullisError(
        'SERVICE_CONFIG_INVALID',
        'runtime scans need Kubernetes access (in-cluster service account or --kubeconfig)',
      );
    const started = await deps.startRuntime();
    deps.logger.info('admin: runtime scan started', { by, task: started.id });
    deps.metrics.tasksStarted.inc({ trigger: 'runtime' });
    const task = await deps.tasks.get(started.id);
    if (!task) throw new PortcullisError('TASK_NOT_FOUND', `no task ${started.id}`);
    return task;
  }
  const task = await deps.runner.start({ ...start, trigger: 'manual' });
  deps.metrics.tasksStarted.inc({ trigger: 'manual' });
  deps.logger.info('admin: task started', { by, task: task.id, registries: task.scope.registries });
  return task;
}

/** Requests a task's cancellation as `by`; resolves to the ended task when there is nothing to cancel. */
export async function cancelTask(
  deps: ActionDeps,
  by: string,
  id: string,
): Promise<{ cancelRequested: true } | { ended: TaskRecord }> {
  const task = await deps.tasks.get(id);
  if (!task) throw new PortcullisError('TASK_NOT_FOUND', `no task ${id}`);
  if (!(await deps.runner.cancel(id))) return { ended: task };
  deps.logger.info('admin: task cancel requested', { by, task: id });
  return { cancelRequested: true };
}
