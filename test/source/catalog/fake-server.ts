/**
 * A loopback HTTP server for the catalog API fakes: a handler per request, every request recorded, and a
 * queue of scripted replies (429 with Retry-After, 401, a malformed body…) served before the handler.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path and query exactly as received (what a signature or double encoding is checked against). */
  rawUrl: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** Serialised as JSON unless it is a string (sent raw: malformed bodies). */
  body?: unknown;
}

export type FakeHandler = (req: FakeRequest, origin: string) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  requests: FakeRequest[];
  /** Serves `reply` for the next `times` requests, before the handler sees them. */
  failNext(reply: FakeReply, times?: number): void;
  /** Forgets recorded requests and unserved scripted replies (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake on a free loopback port; over HTTPS when `tls` (PEM key and certificate) is given. */
export async function startFake(
  handler: FakeHandler,
  tls?: { key: string; cert: string },
): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const scripted: FakeReply[] = [];
  let origin = '';
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawUrl = req.url ?? '/';
      const fr: FakeRequest = {
        method: req.method ?? 'GET',
        rawUrl,
        url: new URL(rawUrl, origin),
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(fr);
      const next = scripted.shift();
      Promise.resolve(next ?? handler(fr, origin))
        .then((reply) => {
          const body =
            reply.body === undefined
              ? ''
              : typeof reply.body === 'string'
                ? reply.body
                : JSON.stringify(reply.body);
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    });
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    failNext(reply, times = 1) {
      for (let i = 0; i < times; i++) scripted.push(reply);
    },
    reset() {
      requests.length = 0;
      scripted.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Collects an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** A sleep that records what it was asked to wait and returns at once. */
export function createRecordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}
