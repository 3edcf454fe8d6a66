/**
 * Real `portcullis` processes for end-to-end tests. `webhook serve`: started on a free loopback port with the
 * caller's arguments and environment, waited for until it says it listens (with a deadline and its stderr in
 * the error), and stopped with SIGTERM (SIGKILL if it does not end) so no test leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request, type Dispatcher } from 'undici';
import { expect } from 'vitest';
import { podRequest, toReview } from '../webhook/helpers.js';
import { ROOT } from './env.js';
import { freePort } from './free-port.js';

export interface WebhookProcessOptions {
  /** The whole environment of the process (give HOME: the default DB and store paths live under it). */
  env: NodeJS.ProcessEnv;
  /** Port to serve on; a free one by default. */
  port?: number;
  /** How long start-up may take before `startWebhook` gives up (default 30 s). */
  deadlineMs?: number;
}

/** A running `portcullis …` child process and what it printed so far. */
export interface PortcullisProcess {
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (its start-up and error lines). */
  stderr(): string;
  /** Everything it wrote to stdout so far (the webhook's JSON-lines log). */
  stdout(): string;
  /** Resolves with the exit code (null after a signal) once the process has ended and its output is read. */
  exited: Promise<number | null>;
  /** Ends the process: SIGTERM (or `signal`), SIGKILL after `graceMs`; resolves with its exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface WebhookProcess extends PortcullisProcess {
  port: number;
  /** `https://127.0.0.1:PORT`. */
  url: string;
}

const LAST_LINES = 20;

/** The last lines of a process's output, for error messages. */
export function toTail(text: string, lines = LAST_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Spawns `node bin/portcullis.js ARGS…` (cwd: the repository) with exactly `env`, without waiting for it. */
export function spawnPortcullis(args: string[], env: NodeJS.ProcessEnv): PortcullisProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'portcullis.js'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  // 'close', not 'exit': by then stdout and stderr have been read to the end
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  return { child, stderr: () => stderr, stdout: () => stdout, exited, stop };
}

/** Spawns `portcullis webhook serve --host 127.0.0.1 --port PORT ARGS…` without waiting for it. */
export async function spawnWebhook(args: string[], opts: WebhookProcessOptions): Promise<WebhookProcess> {
  const port = opts.port ?? (await freePort());
  const proc = spawnPortcullis(
    ['webhook', 'serve', '--host', '127.0.0.1', '--port', String(port), ...args],
    opts.env,
  );
  return { ...proc, port, url: `https://127.0.0.1:${port}` };
}

/**
 * Starts `webhook serve` and resolves once it prints `listening on https://127.0.0.1:PORT/validate`. Throws,
 * with the tail of its stderr, when it exits first or is not listening by the deadline (then it is killed).
 */
export async function startWebhook(args: string[], opts: WebhookProcessOptions): Promise<WebhookProcess> {
  const proc = await spawnWebhook(args, opts);
  const ready = `listening on ${proc.url}/validate`;
  const deadline = Date.now() + (opts.deadlineMs ?? 30_000);
  while (!proc.stderr().includes(ready)) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      await proc.exited;
      const how = proc.child.exitCode ?? proc.child.signalCode;
      throw new Error(`webhook serve exited (${how}) before listening; stderr:\n${toTail(proc.stderr())}`);
    }
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error(
        `webhook serve was not listening on ${proc.url} after ${opts.deadlineMs ?? 30_000} ms; stderr:\n${toTail(proc.stderr())}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}

/**
 * Starts a webhook that receives pushed scans, as the push tests run it: `DIR/webhook.json` (its trustedKeys /
 * oidcIssuers), its own TLS certificate, unknown images denied (only a push makes one known), verdicts in
 * `DIR/verdicts.sqlite`, HOME=DIR; `extra` adds flags (`--policy FILE`).
 */
export async function startPushReceiver(
  dir: string,
  certs: { cert: string; key: string },
  extra: string[] = [],
): Promise<WebhookProcess> {
  return startWebhook(
    [
      '--config',
      join(dir, 'webhook.json'),
      '--tls-cert',
      certs.cert,
      '--tls-key',
      certs.key,
      '--unknown',
      'deny',
      '--store',
      `sqlite:${join(dir, 'verdicts.sqlite')}`,
      ...extra,
    ],
    { env: { PATH: process.env.PATH, HOME: dir } },
  );
}

/** What the webhook answered to an AdmissionReview. */
export interface AdmissionReply {
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: number; message: string };
    warnings?: string[];
  };
}

/** Sends the AdmissionReview of a pod running `image` to `URL/validate`; the webhook must answer HTTP 200. */
export async function reviewPod(
  url: string,
  image: string,
  uid: string,
  dispatcher: Dispatcher,
): Promise<AdmissionReply> {
  const res = await request(`${url}/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toReview(podRequest([image], { uid }))),
    dispatcher,
  });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as AdmissionReply;
}
