import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { SourceLimits } from '../types.js';

/** One HTTP response with its body still unread. */
export type HttpResponse = Dispatcher.ResponseData<unknown>;

const HEADERS_TIMEOUT_MS = 30_000;
const BODY_TIMEOUT_MS = 60_000;
const RETRY_BASE_DELAY_MS = 100;
const ERROR_BODY_BYTES = 4096;

/** True for 127.0.0.0/8, localhost and [::1] (with or without a port). */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

// Errors that mean "the certificate is not trusted", as opposed to "the server does not speak TLS".
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME/;
const NOT_TLS_ERROR =
  /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|EPROTO|UNKNOWN_PROTOCOL|ECONNRESET|UND_ERR_SOCKET/;

function errorCode(err: unknown): string {
  const codes: string[] = [];
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') codes.push(c);
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string') codes.push(m.toUpperCase().replace(/\s+/g, '_'));
  }
  return codes.join(' ');
}

/** True when the server answered in something other than TLS (e.g. a plain-HTTP registry). */
export function isNotTlsError(err: unknown): boolean {
  const code = errorCode(err);
  return NOT_TLS_ERROR.test(code) && !CERT_ERROR.test(code);
}

/** Options for the HTTP layer under the registry client. */
export interface TransportOptions {
  dispatcher?: Dispatcher | undefined;
  caCert?: string | Buffer | undefined;
  insecureRegistries?: string[] | undefined;
  limits: SourceLimits;
  /** Longest `Retry-After` honoured on a 429/503 (longer ones are cut to this); default 60 s. */
  maxRetryAfterMs?: number;
  /** Waits between attempts (tests inject one that records instead of waiting). */
  sleep?: (ms: number) => Promise<unknown>;
  /** Clock for `Retry-After` given as an HTTP date (tests). */
  now?: () => number;
}

/** Default bound on a server-requested wait: registries ask for seconds, never for an unbounded stall. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/**
 * How long to wait before retry `attempt` (1-based). A 429/503 `Retry-After` (delta-seconds or an HTTP date) is
 * honoured, as registries require (Docker Hub rate limits), but never longer than `maxMs`; without one (or for a
 * malformed one) the exponential backoff applies.
 */
export function toRetryDelayMs(
  attempt: number,
  retryAfter: string | undefined,
  opts: { now: number; maxMs: number },
): number {
  const backoff = RETRY_BASE_DELAY_MS * 2 ** (attempt - 1);
  const value = retryAfter?.trim();
  if (!value) return backoff;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    if (Number.isNaN(at)) return backoff;
    ms = at - opts.now;
  }
  return Math.min(Math.max(ms, backoff), opts.maxMs);
}

/** Scheme choice, retries, timeouts and error mapping for every registry request. */
export interface Transport {
  readonly limits: SourceLimits;
  /** May `host` be reached over plain HTTP (loopback or listed as insecure)? */
  isPlainHttpAllowed(host: string): boolean;
  /** `https://host` or, for hosts that may and only speak plain HTTP, `http://host`. */
  origin(host: string): Promise<string>;
  /**
   * One request, retried with backoff on connection errors, 5xx and 429. Returns any other response
   * (the caller reads or dumps its body). REGISTRY_UNAVAILABLE when retries run out, REGISTRY_TLS on
   * an untrusted certificate, REGISTRY_INSECURE_REFUSED for plain HTTP to a host not allowed it.
   */
  send(url: URL, init: { method: 'GET' | 'HEAD'; headers?: Record<string, string> }): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** First bytes of an error body, for messages (registry error JSON is short). */
export async function readErrorText(res: HttpResponse): Promise<string> {
  let text = '';
  try {
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length >= ERROR_BODY_BYTES) break;
    }
  } catch {
    // the status is what matters; the body is only decoration
  } finally {
    abandonBody(res);
  }
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(': ');
  } catch {
    // not registry error JSON
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}

/** Drops a body we will not read; undici reports that as an abort, which nobody needs to hear. */
export function abandonBody(res: HttpResponse): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

/** Discards a response body so the connection can be reused. */
export async function discardBody(res: HttpResponse): Promise<void> {
  await res.body.dump({ limit: 64 * 1024 }).catch(() => abandonBody(res));
}

/** Creates the transport; builds an Agent trusting `caCert` when no dispatcher is injected. */
export function createTransport(opts: TransportOptions): Transport {
  const ownAgent =
    opts.dispatcher === undefined && opts.caCert !== undefined
      ? new Agent({ connect: { ca: [...rootCertificates, opts.caCert.toString()] } })
      : undefined;
  const dispatcher: Dispatcher | undefined = opts.dispatcher ?? ownAgent;
  const insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.toLowerCase()));
  const origins = new Map<string, Promise<string>>();
  const limits = opts.limits;
  const wait = opts.sleep ?? sleep;

  const isPlainHttpAllowed = (host: string): boolean => {
    const h = host.toLowerCase();
    return isLoopbackHost(h) || insecure.has(h) || insecure.has(h.replace(/:\d+$/, ''));
  };

  const toError = (err: unknown, url: URL): PortcullisError => {
    if (isPortcullisError(err)) return err;
    const code = errorCode(err);
    if (url.protocol === 'https:' && CERT_ERROR.test(code)) {
      return new PortcullisError(
        'REGISTRY_TLS',
        `TLS certificate of ${url.host} is not trusted (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    if (url.protocol === 'https:' && isNotTlsError(err) && !isPlainHttpAllowed(url.host)) {
      return new PortcullisError(
        'REGISTRY_INSECURE_REFUSED',
        `${url.host} does not speak TLS; plain HTTP is allowed only for loopback or --insecure-registry hosts`,
        { cause: err },
      );
    }
    return new PortcullisError(
      'REGISTRY_UNAVAILABLE',
      `${url.host}: ${(err as Error).message ?? String(err)}`,
      {
        cause: err,
      },
    );
  };

  const once = (url: URL, init: { method: 'GET' | 'HEAD'; headers?: Record<string, string> }) => {
    if (url.protocol === 'http:' && !isPlainHttpAllowed(url.host)) {
      throw new PortcullisError(
        'REGISTRY_INSECURE_REFUSED',
        `refusing plain HTTP to ${url.host}: allowed only for loopback or --insecure-registry hosts`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PortcullisError('REGISTRY_PROTOCOL', `unsupported URL scheme ${url.protocol}`);
    }
    const options: Parameters<typeof request>[1] = {
      method: init.method,
      headers: init.headers ?? {},
      headersTimeout: HEADERS_TIMEOUT_MS,
      bodyTimeout: BODY_TIMEOUT_MS,
    };
    if (dispatcher) options.dispatcher = dispatcher;
    return request(url, options);
  };

  const send: Transport['send'] = async (url, init) => {
    let lastError: PortcullisError | undefined;
    let retryAfter: string | undefined;
    for (let attempt = 0; attempt <= limits.maxRetries; attempt++) {
      if (attempt > 0)
        await wait(
          toRetryDelayMs(attempt, retryAfter, {
            now: (opts.now ?? Date.now)(),
            maxMs: opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
          }),
        );
      retryAfter = undefined;
      let res: HttpResponse;
      try {
        res = await once(url, init);
      } catch (err) {
        const mapped = toError(err, url);
        if (mapped.code !== 'REGISTRY_UNAVAILABLE') throw mapped;
        lastError = mapped;
        continue;
      }
      if (res.statusCode >= 500 || res.statusCode === 429) {
        const header = res.headers['retry-after'];
        if (res.statusCode === 429 || res.statusCode === 503)
          retryAfter = Array.isArray(header) ? header[0] : header;
        const detail = await readErrorText(res);
        lastError = new PortcullisError(
          'REGISTRY_UNAVAILABLE',
          `${init.method} ${url.href} answered ${res.statusCode}${detail ? ` (${detail})` : ''}`,
        );
        continue;
      }
      return res;
    }
    throw new PortcullisError(
      'REGISTRY_UNAVAILABLE',
      `${lastError?.message ?? url.host} (gave up after ${limits.maxRetries + 1} attempts)`,
      { cause: lastError },
    );
  };

  /** Loopback/insecure hosts: HTTPS first (as Docker does), plain HTTP when the server does not speak TLS. */
  const probe = async (host: string): Promise<string> => {
    if (!isPlainHttpAllowed(host)) return `https://${host}`;
    const url = new URL(`https://${host}/v2/`);
    try {
      const res = await once(url, { method: 'GET' });
      await discardBody(res);
      return `https://${host}`;
    } catch (err) {
      const mapped = toError(err, url);
      if (mapped.code === 'REGISTRY_TLS') throw mapped;
      return `http://${host}`;
    }
  };

  return {
    limits,
    isPlainHttpAllowed,
    origin(host) {
      let p = origins.get(host);
      if (!p) {
        p = probe(host);
        origins.set(host, p);
        p.catch(() => origins.delete(host));
      }
      return p;
    },
    send,
    async close() {
      await ownAgent?.close();
    },
  };
}
