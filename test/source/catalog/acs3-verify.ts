/**
 * The ACR fake's own ACS3-HMAC-SHA256 check, written from the documented algorithm (darabonba-openapi
 * `utils/client.go`, as summarised in FORMATS-registries-ci.md §5) without the client's signer: it
 * rebuilds the canonical request from what arrived on the wire and compares signatures.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FakeRequest } from './fake-server.js';

/** Go QueryEscape + the SDK's replacements = RFC 3986 unreserved characters left bare. */
function escape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; code: string; message: string };

/** Verifies a received request against `secrets` (access key id → secret). */
export function verifyAcs3(req: FakeRequest, secrets: Record<string, string>, nowMs: number): VerifyResult {
  const auth = String(req.headers.authorization ?? '');
  const m = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, code: 'IncompleteSignature', message: 'Authorization is not ACS3-HMAC-SHA256' };
  const [, accessKeyId, signedList, signature] = m as unknown as [string, string, string, string];
  const secret = secrets[accessKeyId];
  if (secret === undefined)
    return { ok: false, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
  const signed = signedList.split(';');
  for (const need of [
    'host',
    'x-acs-action',
    'x-acs-content-sha256',
    'x-acs-date',
    'x-acs-signature-nonce',
    'x-acs-version',
  ]) {
    if (!signed.includes(need))
      return { ok: false, code: 'IncompleteSignature', message: `${need} is not signed` };
  }
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  if (req.headers['x-acs-content-sha256'] !== bodyHash) {
    return {
      ok: false,
      code: 'IncompleteSignature',
      message: 'x-acs-content-sha256 does not match the body',
    };
  }
  const date = String(req.headers['x-acs-date'] ?? '');
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(date) || Math.abs(Date.parse(date) - nowMs) > 15 * 60_000) {
    return {
      ok: false,
      code: 'InvalidTimeStamp.Expired',
      message: `x-acs-date ${date} is not within 15 minutes`,
    };
  }
  const [rawPath, rawQuery = ''] = req.rawUrl.split('?') as [string, string?];
  const params = [...new URLSearchParams(rawQuery)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalQuery = params.map(([k, v]) => `${escape(k)}=${escape(v)}`).join('&');
  const canonicalHeaders = [...signed]
    .sort()
    .map((name) => {
      const v = req.headers[name];
      const values = (Array.isArray(v) ? v : [v ?? '']).map((x) => String(x).trim()).sort();
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  const canonicalRequest = [
    req.method,
    rawPath || '/',
    canonicalQuery,
    canonicalHeaders,
    [...signed].sort().join(';'),
    bodyHash,
  ].join('\n');
  const toSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', secret).update(toSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature does not conform to Aliyun standards.',
    };
  }
  return { ok: true, accessKeyId };
}
