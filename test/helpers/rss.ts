import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './env.js';

const run = promisify(execFile);

/** What `test/helpers/rss-child.ts` reports about one CLI run. */
export interface ChildRun {
  code: number;
  stderr: string;
  /** Peak resident set of the child process. */
  maxRssBytes: number;
}

/**
 * Runs `portcullis ARGS…` in a child node with a `heapMb` V8 heap (default 64) and reports its exit code,
 * stderr and peak RSS (`env` adds to this process's environment, e.g. `TMPDIR`). A small heap makes a leak into the JS heap crash loudly; the RSS covers the rest.
 */
export async function runCliInChild(
  args: string[],
  opts: { heapMb?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ChildRun> {
  const { stdout } = await run(
    process.execPath,
    [
      `--max-old-space-size=${opts.heapMb ?? 64}`,
      '--import',
      'tsx',
      join(ROOT, 'test', 'helpers', 'rss-child.ts'),
      JSON.stringify(args),
    ],
    { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...opts.env } },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as ChildRun;
}
