import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, TEST_REGISTRY } from '../helpers/env.js';
import { importOsv, type Policy, type TaskClock } from '../../core/src/index.js';
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

/** A virtual clock: sleeps resolve when the test advances time past them. */
export function createVirtualClock(start: string) {
  let now = Date.parse(start);
  const sleepers: { until: number; resolve: () => void }[] = [];
  const clock: TaskClock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const s = { until: now + Math.max(0, ms), resolve };
        sleepers.push(s);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      }),
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));
  /** Moves time forward, waking each sleeper at its own time (and letting its loop re-arm) in order. */
  const advance = async (ms: number): Promise<void> => {
    const end = now + ms;
    for (;;) {
      const due = sleepers.filter((x) => x.until <= end).sort((x, y) => x.until - y.until)[0];
      if (!due) break;
      now = Math.max(now, due.until);
      sleepers.splice(sleepers.indexOf(due), 1);
      due.resolve();
      for (let i = 0; i < 10; i++) await settle();
    }
    now = end;
  };
  return { clock, advance };
}

/** A TCP proxy in front of the loopback registry that counts the bytes clients send through it. */
export async function startCountingProxy(
  target: string,
): Promise<{ port: number; sent: () => number; server: Server }> {
  const [host, port] = target.split(':') as [string, string];
  let sent = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    client.on('data', (d: Buffer) => (sent += d.length));
    client.pipe(upstream).pipe(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, sent: () => sent, server };
}

/** The CLI as bin/main.ts composes it: core's runCli with the service's `serve` and `affected` commands. */
export async function runServiceCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const [{ runCli }, { createAffectedCommand, createServeCommand }, { Writable }] = await Promise.all([
    import('../../core/src/cli/program.js'),
    import('../../service/src/cli.js'),
    import('node:stream'),
  ]);
  let stdout = '';
  let stderr = '';
  const sink = (add: (s: string) => void) =>
    new Writable({ write: (c: Buffer, _e, cb) => (add(c.toString()), cb()) });
  const code = await runCli(
    args,
    { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), env, now: () => new Date() },
    [createServeCommand, createAffectedCommand],
  );
  return { code, stdout, stderr };
}
