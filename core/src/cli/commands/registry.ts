import { Command } from 'commander';
import type { TaskLogEntry, TaskRecord } from '../../tasks/types.js';
import { defaultDbPath, type CliIo } from '../io.js';
import { collect, parseScanners, readPolicyFlag } from './common.js';
import { formatEntry, formatProgress, toTaskExitCode } from './tasks-format.js';

interface RegistryScanFlags {
  policy?: string;
  registry: string[];
  scanners?: string;
  db?: string;
  store?: string;
  detach?: boolean;
  runTask?: string;
}

const STORE_HELP =
  'sqlite:PATH | redis://HOST:PORT (default: the SQLite file webhook serve --store sqlite uses)';

/** The argv a detached run gets: the same command, told which (already created) task to run. */
function toDetachedArgs(flags: RegistryScanFlags, id: string): string[] {
  return [
    'registry',
    'scan',
    '--run-task',
    id,
    ...(flags.policy ? ['--policy', flags.policy] : []),
    ...(flags.db ? ['--db', flags.db] : []),
    ...(flags.store ? ['--store', flags.store] : []),
  ];
}

export function createRegistryCommand(io: CliIo, setCode: (code: number) => void): Command {
  const registry = new Command('registry').description('scan whole registries (the policy’s registries:)');
  registry
    .command('scan')
    .description('start a registry-scan task and follow it (--detach: print its id and return)')
    .option('--policy <file>', 'policy file with registries: and scan: (default $PORTCULLIS_POLICY)')
    .option('--registry <name>', 'only this registry of the policy (repeatable)', collect, [])
    .option('--scanners <list>', 'vuln,secret,malware,baseline,buildinstruction (default: scan.scanners)')
    .option('--db <file>', 'vulnerability DB (default $PORTCULLIS_DB or ~/.cache/portcullis/db.sqlite)')
    .option('--store <spec>', STORE_HELP)
    .option('--detach', 'print the task id and run the task in the background')
    .addOption(
      new Command().createOption('--run-task <id>', 'run a created task (what --detach starts)').hideHelp(),
    )
    .action(async (flags: RegistryScanFlags) => {
      const [{ createRegistryScanTask, openScanStores, runRegistryScan }, policy] = await Promise.all([
        import('../../registry-scan/index.js'),
        readPolicyFlag(flags.policy, io.env),
      ]);
      const stores = openScanStores(flags.store, io.env);
      try {
        const request = {
          policy,
          registryNames: flags.registry,
          ...(flags.scanners ? { scanners: parseScanners(flags.scanners) } : {}),
          dbPath: flags.db ?? defaultDbPath(io.env),
          tasks: stores.tasks,
          verdicts: stores.verdicts,
          env: io.env,
        };
        let task: TaskRecord;
        if (flags.runTask) {
          const found = await stores.tasks.get(flags.runTask);
          if (!found) {
            const { PortcullisError } = await import('../../errors.js');
            throw new PortcullisError('TASK_NOT_FOUND', `no task ${flags.runTask} in the store`);
          }
          task = found;
        } else task = await createRegistryScanTask(request);
        if (flags.detach) {
          const { spawn } = await import('node:child_process');
          const entry = process.argv[1] as string;
          const child = spawn(
            process.execPath,
            [...process.execArgv, entry, ...toDetachedArgs(flags, task.id)],
            {
              detached: true,
              stdio: 'ignore',
              env: io.env,
            },
          );
          child.unref();
          io.stdout.write(`${task.id}\n`);
          setCode(0);
          return;
        }
        const tty = io.stderr.isTTY === true;
        io.stderr.write(`task ${task.id}: scanning ${task.scope.registries.join(', ')}\n`);
        const done = await runRegistryScan(task, {
          ...request,
          onEntry: (entry: TaskLogEntry, t: TaskRecord) => {
            if (tty) io.stderr.write(`\r\x1b[2K${formatProgress(t)}`);
            else io.stdout.write(`${formatEntry(entry)}\n`);
          },
        });
        if (tty) io.stderr.write('\r\x1b[2K');
        io.stdout.write(`task ${done.id} ${done.status}: ${formatProgress(done)}\n`);
        setCode(toTaskExitCode(done));
      } finally {
        await stores.close();
      }
    });
  return registry;
}
