import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { PortcullisError } from '../errors.js';
import type { Verdict } from '../types/scan.js';
import { toVerdictKey } from './keys.js';
import type { VerdictAlg, VerdictJwk, VerdictKey } from './keys.js';

/** JOSE `typ` of a signed verdict, so a verdict JWS cannot be confused with another token. */
export const VERDICT_JWS_TYPE = 'portcullis-verdict+jws';

export type KeyInput = KeyObject | VerdictJwk | VerdictKey;

function toKey(input: KeyInput): VerdictKey {
  return typeof input === 'object' && input !== null && 'alg' in input && 'kind' in input && 'key' in input
    ? (input as VerdictKey)
    : toVerdictKey(input as KeyObject | VerdictJwk);
}

/** Signs a verdict as a compact JWS (payload = the verdict JSON). The algorithm must fit the key. */
export async function signVerdict(
  verdict: Verdict,
  key: KeyInput,
  alg?: VerdictAlg,
  kid?: string,
): Promise<string> {
  return signJsonPayload(verdict, VERDICT_JWS_TYPE, key, alg, kid);
}

/**
 * Signs any JSON value as a compact JWS with the given `typ` (verdicts and pushed scan results share this, so
 * key checks and headers are the same for both). The algorithm must fit the key.
 */
export async function signJsonPayload(
  payload: unknown,
  typ: string,
  key: KeyInput,
  alg?: VerdictAlg,
  kid?: string,
): Promise<string> {
  const k = toKey(key);
  if (k.kind !== 'private') throw new PortcullisError('VERDICT_KEY_INVALID', 'signing needs a private key');
  const use = alg ?? k.alg;
  if (use !== k.alg) {
    throw new PortcullisError(
      'VERDICT_KEY_INVALID',
      `algorithm ${use} does not fit this key (it needs ${k.alg})`,
    );
  }
  const header = { alg: use, typ, ...((kid ?? k.kid) !== undefined && { kid: kid ?? k.kid }) };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(k.key);
}

/**
 * Verifies a compact JWS against any of the keys (those whose `kid` matches the header first) and returns the
 * verdict. Throws `VERDICT_SIGNATURE_INVALID` for a bad signature, wrong type or malformed payload.
 */
export async function verifyVerdict(jws: string, keys: KeyInput | KeyInput[]): Promise<Verdict> {
  let header: { alg?: string; kid?: string; typ?: string };
  try {
    header = decodeProtectedHeader(jws);
  } catch (err) {
    throw new PortcullisError('VERDICT_SIGNATURE_INVALID', 'not a compact JWS', { cause: err });
  }
  if (header.typ !== VERDICT_JWS_TYPE) {
    throw new PortcullisError('VERDICT_SIGNATURE_INVALID', `unexpected JWS typ ${String(header.typ)}`);
  }
  const candidates = (Array.isArray(keys) ? keys : [keys]).map(toKey).filter((k) => k.alg === header.alg);
  const ordered = [
    ...candidates.filter((k) => header.kid !== undefined && k.kid === header.kid),
    ...candidates.filter((k) => header.kid === undefined || k.kid !== header.kid),
  ];
  for (const k of ordered) {
    const pub = k.kind === 'private' ? createPublicKey(k.key) : k.key;
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(jws, pub, { algorithms: [k.alg] }));
    } catch {
      continue;
    }
    return toVerdict(payload);
  }
  throw new PortcullisError(
    'VERDICT_SIGNATURE_INVALID',
    ordered.length === 0
      ? `no key for algorithm ${String(header.alg)}`
      : 'signature does not verify with any key',
  );
}

function toVerdict(payload: Uint8Array): Verdict {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(payload));
  } catch (err) {
    throw new PortcullisError('VERDICT_SIGNATURE_INVALID', 'signed payload is not JSON', { cause: err });
  }
  const d = (v as { decision?: unknown } | null)?.decision;
  if (typeof v !== 'object' || v === null || (d !== 'allow' && d !== 'warn' && d !== 'deny')) {
    throw new PortcullisError('VERDICT_SIGNATURE_INVALID', 'signed payload is not a verdict');
  }
  return v as Verdict;
}
