// The composition root of the CLI: core's commands plus the webhook's and the scan service's, which core may
// not import.
import { runCli } from '../core/src/cli/program.js';
// the command module only: the webhook's server, stores and core load when `webhook …` runs
import { createWebhookCommand } from '../webhook/src/cli.js';
// likewise the scan service's: its server, queue and stores load when `serve …` runs
import { createAffectedCommand, createServeCommand } from '../service/src/cli.js';

const code = await runCli(
  process.argv.slice(2),
  {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    now: () => new Date(),
  },
  [createWebhookCommand, createServeCommand, createAffectedCommand],
);
// flush stdout before exiting (a pipe may still hold the report)
process.stdout.write('', () => process.exit(code));
