import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { minimatch } from 'minimatch';
import { PortcullisError, SCAN_JWS_TYPE, isPortcullisError, type ScanResult } from '../../core/src/index.js';
import type { OidcIssuerConfig, TrustedKeyConfig } from './config.js';
import type { StoredScan, VerdictStore } from './store/index.js';

/** Re-exported for the webhook's callers; the push contract (type, signer, client) lives in core. */
export { SCAN_JWS_TYPE };

/** A verified push, ready to store. */
export interface VerifiedPush {
  scan: ScanResult;
  method: 'jws' | 'oidc';
  /** Key id, or `issuer repository@ref` for OIDC. Never the token itself. */
  pushedBy: string;
}

interface TrustedKey {
  kid?: string;
  alg: string;
  key: KeyObject;
}

/** Known well-known JWKS locations of CI issuers. */
const JWKS_DEFAULTS: Record<string, string> = {
  'https://token.actions.githubusercontent.com':
    'https://token.actions.githubusercontent.com/.well-known/jwks',
  'https://gitlab.com': 'https://gitlab.com/oauth/discovery/keys',
};

function algFor(key: KeyObject): string {
  const t = key.asymmetricKeyType;
  if (t === 'ed25519') return 'EdDSA';
  if (t === 'ec') {
    const c = key.asymmetricKeyDetails?.namedCurve;
    return c === 'secp384r1' ? 'ES384' : 'ES256';
  }
  if (t === 'rsa') return 'RS256';
  throw new PortcullisError('VERDICT_KEY_INVALID', `unsupported key type ${t ?? 'unknown'}`);
}

/** Turns configured keys into KeyObjects once (bad keys fail at start-up, not at the first push). */
export function toTrustedKeys(cfg: TrustedKeyConfig[]): TrustedKey[] {
  return cfg.map((k, i) => {
    let key: KeyObject;
    try {
      key = k.publicKeyPem
        ? createPublicKey(k.publicKeyPem)
        : createPublicKey({ key: k.jwk as JsonWebKey, format: 'jwk' });
    } catch (err) {
      throw new PortcullisError('VERDICT_KEY_INVALID', `trustedKeys[${i}]: unreadable public key`, {
        cause: err,
      });
    }
    if (key.type !== 'public')
      throw new PortcullisError('VERDICT_KEY_INVALID', `trustedKeys[${i}]: not a public key`);
    const kid = k.kid ?? (typeof k.jwk?.kid === 'string' ? k.jwk.kid : undefined);
    return { alg: k.alg || algFor(key), key, ...(kid !== undefined ? { kid } : {}) };
  });
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Checks the shape of a pushed ScanResult (what the decision code relies on). */
export function assertPushedScan(v: unknown, now: Date): ScanResult {
  const bad = (why: string): PortcullisError =>
    new PortcullisError('WEBHOOK_PUSH_INVALID', `pushed scan result ${why}`);
  if (typeof v !== 'object' || v === null) throw bad('is not an object');
  const s = v as Partial<ScanResult>;
  if (s.schemaVersion !== 1) throw bad('needs schemaVersion 1');
  if (
    !s.image ||
    typeof s.image.ref !== 'string' ||
    typeof s.image.digest !== 'string' ||
    !DIGEST.test(s.image.digest)
  )
    throw bad('needs image.ref and image.digest (sha256:…)');
  if (!Array.isArray(s.findings) || !Array.isArray(s.packages) || !Array.isArray(s.notes))
    throw bad('needs findings, packages and notes lists');
  for (const f of s.findings)
    if (
      typeof f !== 'object' ||
      f === null ||
      typeof f.id !== 'string' ||
      typeof f.severity !== 'string' ||
      typeof f.type !== 'string'
    )
      throw bad('has a malformed finding');
  const at = typeof s.scannedAt === 'string' ? Date.parse(s.scannedAt) : NaN;
  if (Number.isNaN(at)) throw bad('needs scannedAt (RFC 3339)');
  if (at > now.getTime() + 5 * 60_000) throw bad('has scannedAt in the future');
  return s as ScanResult;
}

export interface PushVerifier {
  verify(body: unknown, authorization: string | undefined): Promise<VerifiedPush>;
}

/**
 * Verifies pushes: `{ jws }` signed by a trusted key, or `{ scan, token }` (or `Authorization: Bearer`) with a CI
 * OIDC token checked against its issuer's JWKS, audience, expiry, claim rules, image scope and replay (jti).
 */
export function createPushVerifier(opts: {
  trustedKeys: TrustedKeyConfig[];
  oidcIssuers: OidcIssuerConfig[];
  store: VerdictStore;
  now?: () => Date;
}): PushVerifier {
  const now = opts.now ?? (() => new Date());
  const keys = toTrustedKeys(opts.trustedKeys);
  const issuers = new Map<string, { cfg: OidcIssuerConfig; jwks: JWTVerifyGetKey }>();
  for (const cfg of opts.oidcIssuers) {
    const jwks = cfg.jwks
      ? createLocalJWKSet(cfg.jwks as Parameters<typeof createLocalJWKSet>[0])
      : createRemoteJWKSet(
          new URL(cfg.jwksUri ?? JWKS_DEFAULTS[cfg.issuer] ?? `${cfg.issuer}/.well-known/jwks`),
        );
    issuers.set(cfg.issuer, { cfg, jwks });
  }
  const sigInvalid = (m: string, cause?: unknown): PortcullisError =>
    new PortcullisError('VERDICT_SIGNATURE_INVALID', m, cause === undefined ? {} : { cause });
  const tokenInvalid = (m: string, cause?: unknown): PortcullisError =>
    new PortcullisError('WEBHOOK_TOKEN_INVALID', m, cause === undefined ? {} : { cause });

  async function verifyJws(jws: string): Promise<VerifiedPush> {
    let header;
    try {
      header = decodeProtectedHeader(jws);
    } catch (err) {
      throw sigInvalid('not a compact JWS', err);
    }
    if (header.typ !== SCAN_JWS_TYPE)
      throw sigInvalid(`unexpected JWS typ ${String(header.typ)} (want ${SCAN_JWS_TYPE})`);
    const candidates = keys.filter(
      (k) =>
        k.alg === header.alg && (header.kid === undefined || k.kid === undefined || k.kid === header.kid),
    );
    for (const k of candidates) {
      let payload: Uint8Array;
      try {
        ({ payload } = await compactVerify(jws, k.key, { algorithms: [k.alg] }));
      } catch {
        continue;
      }
      let scan: unknown;
      try {
        scan = JSON.parse(new TextDecoder().decode(payload));
      } catch (err) {
        throw new PortcullisError('WEBHOOK_PUSH_INVALID', 'signed payload is not JSON', { cause: err });
      }
      return { scan: assertPushedScan(scan, now()), method: 'jws', pushedBy: `key:${k.kid ?? k.alg}` };
    }
    throw sigInvalid(
      candidates.length === 0
        ? 'no trusted key for this signature'
        : 'signature does not verify with any trusted key',
    );
  }

  async function verifyOidc(token: string, scanRaw: unknown): Promise<VerifiedPush> {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch (err) {
      throw tokenInvalid('token is not a JWT', err);
    }
    const entry = iss !== undefined ? issuers.get(iss) : undefined;
    if (!entry) throw tokenInvalid(`token issuer ${iss ?? '(none)'} is not trusted`);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, entry.jwks, {
        issuer: entry.cfg.issuer,
        audience: entry.cfg.audience,
        requiredClaims: ['exp', 'jti'],
        currentDate: now(),
        clockTolerance: 30,
      }));
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const why =
        code === 'ERR_JWT_EXPIRED' ? 'token expired' : `token rejected (${code || (err as Error).message})`;
      throw tokenInvalid(why, err);
    }
    for (const [claim, patterns] of Object.entries(entry.cfg.claims)) {
      const value = claims[claim];
      if (typeof value !== 'string' || !patterns.some((p) => minimatch(value, p)))
        throw tokenInvalid(`claim ${claim}=${JSON.stringify(value)} is not allowed for ${entry.cfg.issuer}`);
    }
    const scan = assertPushedScan(scanRaw, now());
    if (entry.cfg.images.length > 0 && !entry.cfg.images.some((p) => minimatch(scan.image.ref, p)))
      throw tokenInvalid(`image ${scan.image.ref} is outside what this CI identity may push for`);
    // Replay protection across replicas: each jti is accepted once, until the token would have expired.
    const ttl = Math.max(1, (claims.exp as number) - Math.floor(now().getTime() / 1000) + 60);
    if (!(await opts.store.claimOnce(`jti:${entry.cfg.issuer}:${String(claims.jti)}`, ttl)))
      throw tokenInvalid('token was already used (replay)');
    const who = claims.repository ?? claims.project_path ?? claims.sub;
    return {
      scan,
      method: 'oidc',
      pushedBy: `${entry.cfg.issuer} ${String(who)}@${String(claims.ref ?? '')}`,
    };
  }

  return {
    async verify(body, authorization) {
      if (typeof body !== 'object' || body === null)
        throw new PortcullisError('WEBHOOK_PUSH_INVALID', 'body must be a JSON object');
      const b = body as { jws?: unknown; token?: unknown; scan?: unknown };
      if (typeof b.jws === 'string') return verifyJws(b.jws);
      const bearer = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
      const token = typeof b.token === 'string' ? b.token : bearer;
      if (token !== undefined) {
        if (b.scan === undefined)
          throw new PortcullisError('WEBHOOK_PUSH_INVALID', 'an OIDC push needs {scan, token}');
        return verifyOidc(token, b.scan);
      }
      throw new PortcullisError('WEBHOOK_PUSH_INVALID', 'expected {jws} or {scan, token}');
    },
  };
}

/** HTTP status for a push error code. */
export function toPushStatus(err: unknown): number {
  if (!isPortcullisError(err)) return 500;
  switch (err.code) {
    case 'WEBHOOK_PUSH_INVALID':
      return 400;
    case 'VERDICT_SIGNATURE_INVALID':
    case 'WEBHOOK_TOKEN_INVALID':
      return 401;
    case 'WEBHOOK_STORE_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** Stores a verified push unless a newer scan of the same digest is already stored (a replayed old JWS cannot roll back). */
export async function storePush(store: VerdictStore, push: VerifiedPush, now: Date): Promise<StoredScan> {
  const digest = push.scan.image.digest as string;
  const existing = await store.get(digest);
  const entry: StoredScan = {
    digest,
    scan: push.scan,
    scannedAt: push.scan.scannedAt,
    storedAt: now.toISOString(),
    origin: push.method === 'jws' ? 'push-jws' : 'push-oidc',
    pushedBy: push.pushedBy,
  };
  if (existing && Date.parse(existing.scannedAt) > Date.parse(entry.scannedAt)) return existing;
  await store.put(entry);
  return entry;
}
