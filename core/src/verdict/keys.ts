import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PortcullisError } from '../errors.js';

/** Signature algorithms verdicts may use. */
export type VerdictAlg = 'EdDSA' | 'ES256';

/** A JSON Web Key as read from a file (only the fields used here are typed). */
export interface VerdictJwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  kid?: string;
  alg?: string;
  [k: string]: unknown;
}

/** A key ready for signing or verifying, with the algorithm its type implies. */
export interface VerdictKey {
  key: KeyObject;
  alg: VerdictAlg;
  kind: 'private' | 'public';
  kid?: string;
}

/** Ed25519 → EdDSA, P-256 → ES256; anything else is refused. */
export function toVerdictAlg(key: KeyObject): VerdictAlg {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'EdDSA';
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new PortcullisError(
    'VERDICT_KEY_INVALID',
    `unsupported key type ${type ?? 'unknown'}${type === 'ec' ? ` (${key.asymmetricKeyDetails?.namedCurve ?? '?'})` : ''}: expected Ed25519 or EC P-256`,
  );
}

/** Converts a KeyObject or JWK into a VerdictKey. */
export function toVerdictKey(input: KeyObject | VerdictJwk): VerdictKey {
  let key: KeyObject;
  let kid: string | undefined;
  if (isKeyObject(input)) {
    key = input;
  } else {
    try {
      const jwk = input as unknown as JsonWebKey;
      key =
        input.d !== undefined
          ? createPrivateKey({ key: jwk, format: 'jwk' })
          : createPublicKey({ key: jwk, format: 'jwk' });
    } catch (err) {
      throw new PortcullisError('VERDICT_KEY_INVALID', `invalid JWK: ${(err as Error).message}`, {
        cause: err,
      });
    }
    kid = typeof input.kid === 'string' ? input.kid : undefined;
  }
  if (key.type === 'secret') {
    throw new PortcullisError(
      'VERDICT_KEY_INVALID',
      'symmetric keys are not accepted: expected Ed25519 or EC P-256',
    );
  }
  return {
    key,
    alg: toVerdictAlg(key),
    kind: key.type === 'private' ? 'private' : 'public',
    ...(kid !== undefined && { kid }),
  };
}

function isKeyObject(v: unknown): v is KeyObject {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as KeyObject).export === 'function' &&
    'asymmetricKeyType' in v
  );
}

/**
 * Reads a signing or verification key: PEM (PKCS#8 private key or SPKI public key) or a JWK JSON file.
 * Throws `VERDICT_KEY_INVALID` for anything else; key material never appears in messages.
 */
export async function readKeyFile(path: string): Promise<VerdictKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PortcullisError('VERDICT_KEY_INVALID', `reading key ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseKey(text, path);
}

/** Parses key text (PEM or JWK JSON); `source` names it in errors. */
export function parseKey(text: string, source = 'key'): VerdictKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(trimmed);
    } catch {
      throw new PortcullisError('VERDICT_KEY_INVALID', `${source}: not valid JSON (expected a JWK)`);
    }
    if (typeof jwk !== 'object' || jwk === null || typeof (jwk as VerdictJwk).kty !== 'string') {
      throw new PortcullisError('VERDICT_KEY_INVALID', `${source}: expected a JWK with "kty"`);
    }
    return toVerdictKey(jwk as VerdictJwk);
  }
  const label = /-----BEGIN ([A-Z ]+)-----/.exec(trimmed)?.[1];
  try {
    if (label === 'PRIVATE KEY' || label === 'EC PRIVATE KEY') return toVerdictKey(createPrivateKey(trimmed));
    if (label === 'PUBLIC KEY') return toVerdictKey(createPublicKey(trimmed));
  } catch (err) {
    if ((err as { code?: unknown }).code === 'VERDICT_KEY_INVALID') throw err;
    throw new PortcullisError('VERDICT_KEY_INVALID', `${source}: unreadable ${label ?? ''} PEM`, {
      cause: err,
    });
  }
  throw new PortcullisError(
    'VERDICT_KEY_INVALID',
    `${source}: expected a PEM PKCS#8 private key, SPKI public key, or a JWK JSON object`,
  );
}
