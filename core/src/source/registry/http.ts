import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { SourceLimits } from '../types.js';

/** One HTTP response with its body still unread. */
export type HttpResponse = Dispatcher.ResponseData<unknown>;

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

const HEADERS_TIMEOUT = 'UND_ERR_HEADERS_TIMEOUT';
const BODY_TIMEOUT = 'UND_ERR_BODY_TIMEOUT';
const CONNECT_TIMEOUT = 'UND_ERR_CONNECT_TIMEOUT';

/** One request as the transport sends it; `what` names what is read, for errors (`manifest REF`, `blob D of REPO`). */
export interface RequestInit {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  what?: string | undefined;
}

/**
 * REGISTRY_TIMEOUT for a request or body that ran out of time (headers deadline, body idle deadline, or
 * the caller's signal, whose PortcullisError reason wins), naming the host, what was read and the URL path
 * (which names the repository); undefined when `err` is no timeout.
 */
export function toTimeoutError(
  err: unknown,
  url: URL,
  opts: { limits: SourceLimits; signal?: AbortSignal | undefined; what?: string | undefined },
): PortcullisError | undefined {
  const where = `${url.host}: reading ${opts.what ?? url.pathname} (${url.pathname})`;
  if (opts.signal?.aborted) {
    const reason: unknown = opts.signal.reason;
    const detail = isPortcullisError(reason) ? reason.message : 'aborted';
    return new PortcullisError('REGISTRY_TIMEOUT', `${where}: ${detail}`, { cause: err });
  }
  const code = errorCode(err);
  if (code.includes(HEADERS_TIMEOUT)) {
    return new PortcullisError(
      'REGISTRY_TIMEOUT',
      `${where}: no response within ${opts.limits.registryHeadersTimeoutMs} ms (headers deadline)`,
      { cause: err },
    );
  }
  if (code.includes(CONNECT_TIMEOUT)) {
    return new PortcullisError(
      'REGISTRY_TIMEOUT',
      `${where}: no connection within ${opts.limits.registryHeadersTimeoutMs} ms (headers deadline)`,
      { cause: err },
    );
  }
  if (code.includes(BODY_TIMEOUT)) {
    return new PortcullisError(
      'REGISTRY_TIMEOUT',
      `${where}: no data for ${opts.limits.registryBodyIdleTimeoutMs} ms (body idle deadline)`,
      { cause: err },
    );
  }
  return undefined;
}

/**
 * The response body with its failures turned into stable errors naming the host and what was read: a
 * timeout or the image deadline is REGISTRY_TIMEOUT, a dropped connection REGISTRY_UNAVAILABLE (undici
 * says only "other side closed").
 */
export function toGuardedBody(
  res: HttpResponse,
  url: URL,
  opts: { limits: SourceLimits; signal?: AbortSignal | undefined; what?: string | undefined },
): Readable {
  const body = res.body;
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of body) yield chunk as Buffer;
    } catch (err) {
      // the image deadline aborts with its own PortcullisError as the reason: still say what was read
      const timeout = toTimeoutError(err, url, opts);
      if (timeout) throw timeout;
      if (isPortcullisError(err)) throw err;
      throw new PortcullisError(
        'REGISTRY_UNAVAILABLE',
        `${url.host}: reading ${opts.what ?? url.pathname} (${url.pathname}): ${(err as Error).message ?? String(err)}`,
        { cause: err },
      );
    }
  }
  const out = Readable.from(guarded(), { objectMode: false });
  // a reader that stops early must release the connection
  out.once('close', () => {
    if (!body.destroyed) abandonBody(res);
  });
  return out;
}

/** Options for the HTTP layer under the registry client. */
export interface TransportOptions {
  dispatcher?: Dispatcher | undefined;
  caCert?: string | Buffer | undefined;
  insecureRegistries?: string[] | undefined;
  limits: SourceLimits;
  /** Aborts every request and body of this transport (the image deadline); its reason is reported. */
  signal?: AbortSignal | undefined;
}

/** Scheme choice, retries, timeouts and error mapping for every registry request. */
export interface Transport {
  readonly limits: SourceLimits;
  /** The signal that aborts every request of this transport (the image deadline), if any. */
  readonly signal?: AbortSignal | undefined;
  /** May `host` be reached over plain HTTP (loopback or listed as insecure)? */
  isPlainHttpAllowed(host: string): boolean;
  /** `https://host` or, for hosts that may and only speak plain HTTP, `http://host`. */
  origin(host: string): Promise<string>;
  /**
   * One request, retried with backoff on connection errors, 5xx and 429. Returns any other response
   * (the caller reads or dumps its body). REGISTRY_UNAVAILABLE when retries run out, REGISTRY_TLS on
   * an untrusted certificate, REGISTRY_INSECURE_REFUSED for plain HTTP to a host not allowed it.
   */
  send(url: URL, init: RequestInit): Promise<HttpResponse>;
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
  // our own agent, so that connecting counts against the headers deadline too (undici's default is 10 s)
  const ownAgent =
    opts.dispatcher === undefined
      ? new Agent({
          connect: {
            timeout: opts.limits.registryHeadersTimeoutMs,
            ...(opts.caCert !== undefined ? { ca: [...rootCertificates, opts.caCert.toString()] } : {}),
          },
        })
      : undefined;
  const dispatcher: Dispatcher | undefined = opts.dispatcher ?? ownAgent;
  const insecure = new Set((opts.insecureRegistries ?? []).map((h) => h.toLowerCase()));
  const origins = new Map<string, Promise<string>>();
  const limits = opts.limits;

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

  const once = (url: URL, init: RequestInit) => {
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
      headersTimeout: limits.registryHeadersTimeoutMs,
      bodyTimeout: limits.registryBodyIdleTimeoutMs,
    };
    const signal = init.signal ?? opts.signal;
    if (signal) options.signal = signal;
    if (dispatcher) options.dispatcher = dispatcher;
    return request(url, options);
  };

  const send: Transport['send'] = async (url, init) => {
    let lastError: PortcullisError | undefined;
    for (let attempt = 0; attempt <= limits.maxRetries; attempt++) {
      if (attempt > 0) await sleep(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
      let res: HttpResponse;
      try {
        res = await once(url, init);
      } catch (err) {
        // a stalled server is not retried: the deadlines are what bound the wait
        const signal = init.signal ?? opts.signal;
        const timeout = toTimeoutError(err, url, { limits, signal, what: init.what });
        if (timeout) throw timeout;
        const mapped = toError(err, url);
        if (mapped.code !== 'REGISTRY_UNAVAILABLE') throw mapped;
        lastError = mapped;
        continue;
      }
      if (res.statusCode >= 500 || res.statusCode === 429) {
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
    signal: opts.signal,
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
