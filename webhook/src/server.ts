import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, basename } from 'node:path';
import { PortcullisError } from '../../core/src/index.js';
import { createWebhookApp, type WebhookApp, type WebhookDeps } from './app.js';
import { createCorePolicyEngine, loadCorePolicyEngine } from './core-wiring.js';
import type { WebhookConfig } from './config.js';
import { createLogger } from './logger.js';
import { createVerdictStore } from './store/index.js';
import type { VerdictStore } from './store/index.js';

/** A running webhook server. */
export interface WebhookServer {
  port: number;
  server: Server;
  webhook: WebhookApp;
  store: VerdictStore;
  /** Re-reads cert and key now (also done automatically when the files change). */
  reloadTls(): Promise<void>;
  /** Stops accepting, finishes in-flight requests, stops scans and closes the store it opened. */
  close(): Promise<void>;
}

/**
 * Everything but the config. `store` defaults to the one the config names; `policy` to `config.policyFile`
 * (reloaded on change) or the embedded default policy; `scanImage` is core's scan, wired by the CLI.
 */
export type WebhookServerDeps = Omit<WebhookDeps, 'config' | 'store' | 'policy'> & {
  store?: VerdictStore;
  policy?: WebhookDeps['policy'];
};

async function readTls(config: WebhookConfig): Promise<{ cert: Buffer; key: Buffer }> {
  const { certFile, keyFile } = config.tls;
  if (!certFile || !keyFile)
    throw new PortcullisError(
      'WEBHOOK_CONFIG_INVALID',
      'the webhook serves HTTPS only: tls.certFile and tls.keyFile are required',
    );
  try {
    const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
    return { cert, key };
  } catch (err) {
    throw new PortcullisError('WEBHOOK_CONFIG_INVALID', `reading TLS files: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Starts the HTTPS webhook. The serving cert and key are re-read when their files change (cert-manager
 * renewals, Secret updates) and swapped in with `setSecureContext`, without a restart; a broken pair is logged
 * and the previous one kept.
 */
export async function startWebhookServer(
  config: WebhookConfig,
  deps: WebhookServerDeps = {},
): Promise<WebhookServer> {
  const logger = deps.logger ?? createLogger({ level: config.logLevel });
  // TLS and policy first: a bad file must not leave a store connection behind.
  const tls = await readTls(config);
  const filePolicy =
    deps.policy === undefined && config.policyFile
      ? await loadCorePolicyEngine(config.policyFile, logger)
      : undefined;
  const policy = deps.policy ?? filePolicy ?? createCorePolicyEngine();
  const ownsStore = deps.store === undefined;
  const store = deps.store ?? createVerdictStore(config.store, { commandTimeoutMs: config.storeTimeoutMs });
  const webhook = createWebhookApp({ ...deps, config, store, logger, policy });
  const server = createServer({ ...tls, minVersion: 'TLSv1.2' }, webhook.requestListener);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = (config.timeoutSeconds + 5) * 1000;

  const reloadTls = async (): Promise<void> => {
    const next = await readTls(config);
    server.setSecureContext({ ...next, minVersion: 'TLSv1.2' });
    logger.info('serving certificate reloaded', { certFile: config.tls.certFile });
  };
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const files = [config.tls.certFile as string, config.tls.keyFile as string];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      // Directories, not files: Secret volumes are updated by swapping a `..data` symlink.
      const w = watch(dir, (_e, name) => {
        if (name !== null && !files.some((f) => basename(f) === name) && !name.startsWith('..')) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          reloadTls().catch((err: unknown) =>
            logger.error('certificate reload failed; keeping the previous one', { error: err }),
          );
        }, 200);
      });
      w.on('error', () => {});
      watchers.push(w);
    } catch (err) {
      logger.warn('cannot watch TLS files; renewals need a restart', { dir, error: err });
    }
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    // a failed start leaves nothing running: watchers, the scan queue and the store it opened
    clearTimeout(timer);
    watchers.forEach((w) => w.close());
    await webhook.close();
    filePolicy?.close();
    if (ownsStore) await store.close();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new PortcullisError(
        'WEBHOOK_PORT_IN_USE',
        `port ${config.port} on ${config.host} is already in use (another webhook or process listens there; choose --port)`,
        { cause: err },
      );
    throw new PortcullisError(
      'WEBHOOK_CONFIG_INVALID',
      `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const port = (server.address() as AddressInfo).port;
  logger.info('webhook listening', { host: config.host, port, store: store.kind });
  return {
    port,
    server,
    webhook,
    store,
    reloadTls,
    async close() {
      clearTimeout(timer);
      watchers.forEach((w) => w.close());
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await webhook.close();
      filePolicy?.close();
      if (ownsStore) await store.close();
    },
  };
}
