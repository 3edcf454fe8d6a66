import { createHash, createHmac } from 'node:crypto';

/** `hex(sha256(""))`: the hashed payload of a request without a body. */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** An access key pair (never logged). */
export interface AcsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
}

/** What the signature covers. */
export interface Acs3Request {
  method: string;
  /** Path without query; empty means `/`. */
  path: string;
  query: Record<string, string>;
  /** Header names in any case; `host`, `content-type` and `x-acs-*` are signed. */
  headers: Record<string, string | string[]>;
  /** `hex(sha256(body))`, also sent as `x-acs-content-sha256`. */
  payloadHash: string;
}

/**
 * Percent-encoding of the darabonba SDK: Go `url.QueryEscape`, then `+`→`%20`, `*`→`%2A`, `%7E`→`~`,
 * which leaves exactly RFC 3986's unreserved characters bare.
 */
export function encodeAcsComponent(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function toCanonicalUri(path: string): string {
  if (path === '') return '/';
  return path.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
}

function toCanonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${encodeAcsComponent(k)}=${encodeAcsComponent(query[k] ?? '')}`)
    .join('&');
}

/** Signed headers: names lower-cased and sorted; repeated names' values sorted and joined with `,`. */
function toCanonicalHeaders(headers: Acs3Request['headers']): { canonical: string; signed: string } {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const n = name.toLowerCase();
    if (!(n.startsWith('x-acs-') || n === 'host' || n === 'content-type')) continue;
    const list = byName.get(n) ?? [];
    for (const v of Array.isArray(value) ? value : [value]) list.push(v.trim());
    byName.set(n, list);
  }
  const names = [...byName.keys()].sort();
  const canonical = names.map((n) => `${n}:${byName.get(n)!.sort().join(',')}\n`).join('');
  return { canonical, signed: names.join(';') };
}

/** The canonical request and signed header list (exposed for tests and for the fake's diagnostics). */
export function toAcs3CanonicalRequest(req: Acs3Request): {
  canonicalRequest: string;
  signedHeaders: string;
} {
  const { canonical, signed } = toCanonicalHeaders(req.headers);
  const canonicalRequest = [
    req.method.toUpperCase(),
    toCanonicalUri(req.path),
    toCanonicalQuery(req.query),
    canonical,
    signed,
    req.payloadHash,
  ].join('\n');
  return { canonicalRequest, signedHeaders: signed };
}

/** The `Authorization` value: `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=…`. */
export function signAcs3(req: Acs3Request, creds: AcsCredentials): string {
  const { canonicalRequest, signedHeaders } = toAcs3CanonicalRequest(req);
  const stringToSign = `${ACS3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const signature = createHmac('sha256', creds.accessKeySecret).update(stringToSign).digest('hex');
  return `${ACS3_ALGORITHM} Credential=${creds.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
}

/** `x-acs-date`: UTC `yyyy-MM-ddTHH:mm:ssZ` (no milliseconds). */
export function toAcsDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
