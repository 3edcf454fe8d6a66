import { Command, CommanderError } from 'commander';
import { isPortcullisError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { createDbCommand } from './commands/db.js';
import { createDockerfileCommand } from './commands/dockerfile.js';
import { createPolicyCommand } from './commands/policy.js';
import { createPushCommand } from './commands/push.js';
import { createRegistryCommand } from './commands/registry.js';
import { createSbomCommand } from './commands/sbom.js';
import { createScanCommand } from './commands/scan.js';
import { createTasksCommand } from './commands/tasks.js';
import type { CliIo } from './io.js';

/** Exit codes, the public contract: 0 allow or warn, 1 the policy denies, 2 usage or runtime error. */
export const EXIT = { ok: 0, deny: 1, error: 2 } as const;

/** Prints one clear line per error (and every validation problem with its path), never a stack. */
export function reportError(io: CliIo, err: unknown): void {
  if (isPortcullisError(err)) {
    // a message may already list its problems on later lines: print each problem once, from the list
    const message = err.problems.length > 0 ? (err.message.split('\n')[0] ?? '') : err.message;
    io.stderr.write(`portcullis: ${err.code}: ${message}\n`);
    for (const p of err.problems) io.stderr.write(`  ${p.path}: ${p.message}\n`);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`portcullis: INTERNAL: ${message}\n`);
  if (io.env.PORTCULLIS_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
}

/**
 * Runs the CLI and resolves to the exit code. Long-running commands (`webhook serve`) resolve only when
 * they stop. Nothing here calls process.exit: `bin/main.ts` does, once.
 */
/** A command contributed by a package that core may not import (the webhook), wired in `bin/main.ts`. */
export type CommandFactory = (io: CliIo, setCode: (code: number) => void) => Command;

export async function runCli(
  argv: string[],
  io: CliIo,
  plugins: readonly CommandFactory[] = [],
): Promise<number> {
  let code: number = EXIT.ok;
  const setCode = (c: number): void => {
    code = c;
  };
  const program = new Command('portcullis')
    .description(
      'Container-image security: inventory, vulnerabilities, secrets, malware, baseline and build-instruction risks',
    )
    .version(TOOL_VERSION)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();
  for (const cmd of [
    createScanCommand(io, setCode),
    createSbomCommand(io, setCode),
    createDockerfileCommand(io, setCode),
    createDbCommand(io, setCode),
    createPolicyCommand(io, setCode),
    createPushCommand(io, setCode),
    createRegistryCommand(io, setCode),
    createTasksCommand(io, setCode),
    ...plugins.map((create) => create(io, setCode)),
  ]) {
    program.addCommand(cmd);
  }
  const exitOverride = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    c.commands.forEach(exitOverride);
  };
  program.commands.forEach(exitOverride);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with exit code 0; every usage mistake is 2
      return err.exitCode === 0 ? EXIT.ok : EXIT.error;
    }
    reportError(io, err);
    return EXIT.error;
  }
}
