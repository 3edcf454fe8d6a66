import { Command } from 'commander';
import { PortcullisError } from '../../errors.js';
import type { ScanStores } from '../../registry-scan/index.js';
import { writeOutput, type CliIo } from '../io.js';
import { formatEntry, formatProgress, formatTask } from './tasks-format.js';

const STORE_HELP = 'sqlite:PATH | redis://HOST:PORT (default: the SQLite file registry scan uses)';

export function createTasksCommand(io: CliIo, setCode: (code: number) => void): Command {
  const tasks = new Command('tasks').description(
    'registry-scan tasks: list, show (with the per-image log), cancel',
  );
  const withStores = async <T>(spec: string | undefined, fn: (s: ScanStores) => Promise<T>): Promise<T> => {
    const { openScanStores } = await import('../../registry-scan/index.js');
    const stores = openScanStores(spec, io.env);
    try {
      return await fn(stores);
    } finally {
      await stores.close();
    }
  };
  tasks
    .command('list')
    .description('tasks, newest first')
    .option('--json', 'print JSON')
    .option('--store <spec>', STORE_HELP)
    .action(async (flags: { json?: boolean; store?: string }) => {
      const list = await withStores(flags.store, (s) => s.tasks.list());
      if (flags.json) await writeOutput(io, JSON.stringify(list, null, 2));
      else if (list.length === 0) await writeOutput(io, 'no tasks');
      else
        await writeOutput(
          io,
          list
            .map((t) => `${t.id}  ${t.status.padEnd(9)}  ${t.createdAt}  ${t.trigger}  ${formatProgress(t)}`)
            .join('\n'),
        );
      setCode(0);
    });
  tasks
    .command('show')
    .description('one task: scope, status, counts, times; --log adds the per-image execution log')
    .argument('<id>')
    .option('--log', 'include the per-image log')
    .option('--json', 'print JSON ({ task, log? })')
    .option('--store <spec>', STORE_HELP)
    .action(async (id: string, flags: { log?: boolean; json?: boolean; store?: string }) => {
      const { task, log } = await withStores(flags.store, async (s) => ({
        task: await s.tasks.get(id),
        log: flags.log ? await s.tasks.readLog(id) : undefined,
      }));
      if (!task) throw new PortcullisError('TASK_NOT_FOUND', `no task ${id} in the store`);
      if (flags.json) await writeOutput(io, JSON.stringify({ task, ...(log ? { log } : {}) }, null, 2));
      else
        await writeOutput(
          io,
          [...formatTask(task), ...(log ? ['log:', ...log.map((e) => `  ${formatEntry(e)}`)] : [])].join(
            '\n',
          ),
        );
      setCode(0);
    });
  tasks
    .command('cancel')
    .description('ask a queued or running task to stop (the rest of its images are logged as not scanned)')
    .argument('<id>')
    .option('--store <spec>', STORE_HELP)
    .action(async (id: string, flags: { store?: string }) => {
      const result = await withStores(flags.store, async (s) => {
        const task = await s.tasks.get(id);
        if (!task) throw new PortcullisError('TASK_NOT_FOUND', `no task ${id} in the store`);
        return { task, cancelled: await s.tasks.requestCancel(id) };
      });
      if (!result.cancelled)
        throw new PortcullisError(
          'USAGE_INVALID',
          `task ${id} has ended (${result.task.status}); nothing to cancel`,
        );
      await writeOutput(io, `task ${id}: cancel requested`);
      setCode(0);
    });
  return tasks;
}
