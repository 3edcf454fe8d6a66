import { createServer } from 'node:net';

/**
 * A free TCP port on `host`, found by binding port 0 and closing again: for processes that must be given a
 * port up front (`webhook serve --port`, `redis-server --port`) and for "nothing listens here" cases.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
