/**
 * The CI → webhook push client: a scan result, signed with a trusted key (`{jws}`) or sent with a CI OIDC
 * token (`{scan, token}`), is POSTed to the webhook's `/v1/verdicts`, which stores it so the next admission
 * review of that digest is judged by it. This is the only network code in core outside the registry client and
 * the DB downloader (see docs/ARCHITECTURE.md): the CLI's `scan --push` and `push`, the GitHub Action and the
 * GitLab template all send exactly this.
 */
import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../errors.js';
import type { ScanResult } from '../types/scan.js';
import type { VerdictKey } from './keys.js';
import { signJsonPayload, type KeyInput } from './sign.js';

/** JOSE `typ` of a signed scan result pushed by CI (the webhook refuses any other type on this route). */
export const SCAN_JWS_TYPE = 'portcullis-scan+jws';

/** Where the webhook accepts pushed scan results. */
const VERDICTS_PATH = '/v1/verdicts';
/** Enough of the server's answer to show its reason; a larger body is cut, never buffered whole. */
const MAX_REPLY_BYTES = 64 * 1024;

/** Signs a scan result as a compact JWS of type {@link SCAN_JWS_TYPE} (payload = the ScanResult JSON). */
export async function signScanResult(scan: ScanResult, key: KeyInput): Promise<string> {
  return signJsonPayload(scan, SCAN_JWS_TYPE, key);
}

export interface PushOptions {
  /** Webhook base URL (`https://host:8443`) or the full `…/v1/verdicts` URL. */
  url: string;
  /** Exactly one of `signKey` | `oidcToken`. */
  signKey?: VerdictKey;
  oidcToken?: string;
  /** PEM text of a CA to trust for the webhook's TLS (in addition to the system roots). */
  caCert?: string;
  dispatcher?: Dispatcher;
  /** Whole request, connect to last byte; default 30 s. */
  timeoutMs?: number;
}

export interface PushResult {
  status: number;
  digest: string;
  /** False when the webhook kept a newer scan of the same digest instead of this one. */
  stored: boolean;
  message?: string;
}

/** `https://host:8443` → `https://host:8443/v1/verdicts`; a URL already ending in the route is kept. */
export function toPushUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PortcullisError('PUSH_INVALID', `push URL ${JSON.stringify(url)} is not a URL`);
  }
  // the body carries a signed result or a bearer token: never over plain HTTP (the webhook serves HTTPS only)
  if (u.protocol !== 'https:')
    throw new PortcullisError('PUSH_INVALID', `push URL ${u.origin} must be https://`);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith(VERDICTS_PATH) ? path : `${path}${VERDICTS_PATH}`;
  return u;
}

/** What the push needs from a scan, checked before anything is signed or sent. */
function assertPushable(scan: ScanResult): string {
  const digest = scan.image?.digest;
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest))
    throw new PortcullisError(
      'PUSH_INVALID',
      `the scan of ${scan.image?.ref ?? 'this image'} has no manifest digest: admission is keyed by digest, so only an image with one (a registry image, an OCI layout or archive with a manifest) can be pushed`,
    );
  if (typeof scan.scannedAt !== 'string' || Number.isNaN(Date.parse(scan.scannedAt)))
    throw new PortcullisError('PUSH_INVALID', 'the scan result has no scannedAt (RFC 3339)');
  return digest;
}

/**
 * Sends a scan result to the webhook. Resolves when the webhook stored it (or kept a newer one); throws
 * `PUSH_REFUSED` (HTTP ≥ 400, with the status and the server's reason), `PUSH_UNREACHABLE` (connect, TLS,
 * timeout; names the URL) or `PUSH_INVALID` (credentials or the scan itself). The token never appears in errors.
 */
export async function pushScanResult(scan: ScanResult, opts: PushOptions): Promise<PushResult> {
  if ((opts.signKey === undefined) === (opts.oidcToken === undefined))
    throw new PortcullisError(
      'PUSH_INVALID',
      'a push needs exactly one credential: a signing key or a CI OIDC token',
    );
  if (opts.oidcToken !== undefined && opts.oidcToken.trim() === '')
    throw new PortcullisError('PUSH_INVALID', 'the OIDC token is empty');
  const digest = assertPushable(scan);
  const url = toPushUrl(opts.url);
  const body =
    opts.signKey !== undefined
      ? { jws: await signScanResult(scan, opts.signKey) }
      : { scan, token: opts.oidcToken as string };
  const scrub = (text: string): string =>
    opts.oidcToken ? text.split(opts.oidcToken).join('[REDACTED]') : text;

  const ownAgent =
    opts.dispatcher === undefined && opts.caCert !== undefined
      ? new Agent({ connect: { ca: [...rootCertificates, opts.caCert] } })
      : undefined;
  const dispatcher = opts.dispatcher ?? ownAgent;
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      throw new PortcullisError(
        'PUSH_UNREACHABLE',
        `pushing to ${url.href}: ${scrub(describeNetworkError(err))}`,
        { cause: err },
      );
    }
    let text: string;
    try {
      text = await readCapped(res.body);
    } catch (err) {
      throw new PortcullisError(
        'PUSH_UNREACHABLE',
        `pushing to ${url.href}: reading the answer: ${scrub(describeNetworkError(err))}`,
        { cause: err },
      );
    }
    const reply = parseReply(text);
    if (res.statusCode >= 400) {
      const reason = reply?.message
        ? `${reply.code ? `${reply.code}: ` : ''}${reply.message}`
        : text.trim().slice(0, 500) || 'no reason given';
      throw new PortcullisError(
        'PUSH_REFUSED',
        `${url.href} refused the scan of ${digest} (HTTP ${res.statusCode}): ${scrub(reason)}`,
      );
    }
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new PortcullisError(
        'PUSH_REFUSED',
        `${url.href} answered HTTP ${res.statusCode}, not a stored result`,
      );
    return {
      status: res.statusCode,
      digest: reply?.digest ?? digest,
      // the webhook answers with the scan it keeps: an older push than the stored one is not stored
      stored: reply?.scannedAt === undefined || reply.scannedAt === scan.scannedAt,
      ...(reply?.message ? { message: scrub(reply.message) } : {}),
    };
  } catch (err) {
    if (isPortcullisError(err)) throw err;
    throw new PortcullisError('PUSH_UNREACHABLE', `pushing to ${url.href}: ${scrub(String(err))}`, {
      cause: err,
    });
  } finally {
    await ownAgent?.close();
  }
}

interface Reply {
  code?: string;
  message?: string;
  digest?: string;
  scannedAt?: string;
}

function parseReply(text: string): Reply | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
    const out: Reply = {};
    for (const k of ['code', 'message', 'digest', 'scannedAt'] as const) {
      const s = str(k);
      if (s !== undefined) out[k] = s;
    }
    return out;
  } catch {
    return undefined;
  }
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    if (size + b.length > MAX_REPLY_BYTES) {
      chunks.push(b.subarray(0, MAX_REPLY_BYTES - size));
      body.destroy();
      break;
    }
    chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One readable reason for a failed connection (undici puts the useful part in `cause`). */
function describeNetworkError(err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: unknown };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timed out';
  const cause = e?.cause as { code?: string; message?: string } | undefined;
  const code = cause?.code ?? e?.code;
  const message = cause?.message ?? e?.message ?? String(err);
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code))
    return `TLS: ${message} (trust the webhook's CA with --push-ca-cert)`;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
