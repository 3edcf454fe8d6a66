import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ROOT } from '../helpers/env.js';
import { freePort } from '../helpers/free-port.js';

/** One `portcullis serve` process: its port, what it printed, and its JSON log lines. */
export interface ServeProcess {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  logLines: () => Record<string, unknown>[];
  kill9: () => Promise<void>;
  /** Calls `fn` with every JSON log line as it arrives (synchronously, in the stdout data handler). */
  onLog: (fn: (line: Record<string, unknown>) => void) => void;
  stop: () => Promise<number | null>;
}

/** Starts `node bin/portcullis.js serve ARGS --host 127.0.0.1 --port <free>` and waits until it listens. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'portcullis.js'), 'serve', '--host', '127.0.0.1', '--port', String(port), ...args],
    { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  let out = '';
  const listeners: ((line: Record<string, unknown>) => void)[] = [];
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  let pending = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
    pending += c.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      const parsed = JSON.parse(l) as Record<string, unknown>;
      listeners.forEach((fn) => fn(parsed));
    }
  });
  for (let i = 0; i < 600 && !err.includes('listening on https://'); i++) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!err.includes('listening on https://')) throw new Error(`serve did not start: ${err}`);
  return {
    child,
    port,
    stderr: () => err,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    onLog: (fn) => listeners.push(fn),
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

// the processes serve temporary self-signed certificates (no --tls-cert): trust is not the subject here
const agent = new Agent({ connect: { rejectUnauthorized: false } });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes, read field by field
type ApiReply = { status: number; body: any };

/** One API call over HTTPS: status and JSON body. */
export async function callApi(
  port: number,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<ApiReply> {
  const res = await request(`https://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    dispatcher: agent,
  });
  return { status: res.statusCode, body: await res.body.json() };
}

/** Polls `check` every 200 ms until it returns a value, or throws after `ms`. */
export async function waitFor<T>(
  what: string | (() => string),
  check: () => Promise<T | undefined> | T | undefined,
  ms = 120_000,
): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
}
