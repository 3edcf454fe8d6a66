import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, TEST_REGISTRY } from '../helpers/env.js';
import { importOsv, type Policy } from '../../core/src/index.js';
import { createLogger, type Logger } from '../../service/src/logger.js';
import { parseTokensFile, toTokenDigest } from '../../service/src/tokens.js';

export const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
export const READ_TOKEN = 'read-token-fedcba9876543210';

/** A tokens file as an operator writes it: names, roles, digests (no tokens). */
export const TOKENS_YAML = [
  'tokens:',
  `  - { name: ci-admin, role: admin, sha256: ${toTokenDigest(ADMIN_TOKEN)} }`,
  `  - { name: dashboard, role: read, sha256: ${toTokenDigest(READ_TOKEN)} }`,
].join('\n');
export const TOKENS = parseTokensFile(TOKENS_YAML);

/** The loopback registry as a policy `registries:` entry, and a second name for it throttled to 1 image/hour. */
export const LOOPBACK_POLICY: Policy = {
  apiVersion: 'portcullis/v1',
  registries: [
    {
      name: 'loopback',
      kind: 'distribution',
      url: `http://${TEST_REGISTRY}`,
      credentials: { usernameEnv: 'LOOPBACK_USER', passwordEnv: 'LOOPBACK_PASSWORD' },
    },
    {
      name: 'slow',
      kind: 'distribution',
      url: `http://${TEST_REGISTRY}`,
      throttle: { imagesPerHour: 1 },
    },
  ],
};

export const SERVICE_OSV = join(FIXTURES, 'service', 'osv');

/** A scratch dir with a vulnerability DB imported from `service/osv/<set>`. */
export function createDb(set: 'v1' | 'v2'): { dir: string; dbPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-service-'));
  const dbPath = join(dir, 'vuln.db');
  importOsv(dbPath, [join(SERVICE_OSV, set)]);
  return { dir, dbPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A logger whose lines the test reads. */
export function createCapturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }), lines };
}
