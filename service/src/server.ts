import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import type { ServiceDeps } from './app.js';
import { createServiceApp } from './app.js';

/** A running HTTPS service. */
export interface ServiceServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** A throw-away self-signed certificate for `localhost` (and the host name given), when none is configured. */
export async function generateTemporaryCert(hostName = 'localhost'): Promise<{ cert: string; key: string }> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: hostName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: hostName },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Serves the API over HTTPS (TLS 1.2+) on `port` (0: a free one). */
export async function startServiceServer(
  listen: { host: string; port: number; tls: { cert: string | Buffer; key: string | Buffer } },
  deps: ServiceDeps,
): Promise<ServiceServer> {
  const app = createServiceApp(deps);
  const server = createServer({ ...listen.tls, minVersion: 'TLSv1.2' }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
