import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the CLI and the webhook look for the vulnerability DB when none is named: `$PORTCULLIS_DB`, else
 * `~/.cache/portcullis/db.sqlite`. One function, so `db update` writes where `scan` and `webhook serve` read.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv): string {
  return env.PORTCULLIS_DB ?? join(env.HOME ?? homedir(), '.cache', 'portcullis', 'db.sqlite');
}
