import type { Problem } from '../../core/src/index.js';
import type { OidcIssuerConfig, TrustedKeyConfig } from './config.js';
import { isObj } from './raw.js';

/** `trustedKeys`: keys whose JWS-signed scan results are accepted on POST /v1/verdicts. */
export function parseTrustedKeys(v: unknown, problems: Problem[]): TrustedKeyConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.push({ path: '/trustedKeys', message: 'must be a list' });
    return [];
  }
  const out: TrustedKeyConfig[] = [];
  v.forEach((k: unknown, i) => {
    const p = `/trustedKeys/${i}`;
    if (!isObj(k) || typeof k.alg !== 'string')
      return problems.push({ path: p, message: 'needs alg and publicKeyPem or jwk' });
    if (typeof k.publicKeyPem !== 'string' && !isObj(k.jwk))
      return problems.push({ path: p, message: 'needs publicKeyPem or jwk' });
    out.push({
      alg: k.alg,
      ...(typeof k.kid === 'string' ? { kid: k.kid } : {}),
      ...(typeof k.publicKeyPem === 'string' ? { publicKeyPem: k.publicKeyPem } : {}),
      ...(isObj(k.jwk) ? { jwk: k.jwk } : {}),
    });
    return undefined;
  });
  return out;
}

/** `oidcIssuers`: CI identity providers whose tokens may push scan results, with their claim rules. */
export function parseOidcIssuers(v: unknown, problems: Problem[]): OidcIssuerConfig[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.push({ path: '/oidcIssuers', message: 'must be a list' });
    return [];
  }
  const out: OidcIssuerConfig[] = [];
  v.forEach((o: unknown, i) => {
    const p = `/oidcIssuers/${i}`;
    if (!isObj(o)) return problems.push({ path: p, message: 'must be a mapping' });
    const before = problems.length;
    if (typeof o.issuer !== 'string' || !/^https:\/\//.test(o.issuer))
      problems.push({ path: `${p}/issuer`, message: 'must be an https:// URL' });
    if (typeof o.audience !== 'string' || !o.audience)
      problems.push({ path: `${p}/audience`, message: 'is required' });
    if (o.jwksUri !== undefined && (typeof o.jwksUri !== 'string' || !/^https?:\/\//.test(o.jwksUri)))
      problems.push({ path: `${p}/jwksUri`, message: 'must be a URL' });
    if (o.jwks !== undefined && !(isObj(o.jwks) && Array.isArray(o.jwks.keys)))
      problems.push({ path: `${p}/jwks`, message: 'must be a JWKS {keys: [...]}' });
    const claims: Record<string, string[]> = {};
    if (!isObj(o.claims) || Object.keys(o.claims).length === 0)
      problems.push({ path: `${p}/claims`, message: 'needs at least one claim rule (e.g. repository)' });
    else
      for (const [c, pats] of Object.entries(o.claims)) {
        const list = typeof pats === 'string' ? [pats] : pats;
        if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string'))
          problems.push({ path: `${p}/claims/${c}`, message: 'must be a pattern or a list of patterns' });
        else claims[c] = list as string[];
      }
    const images = o.images === undefined ? [] : o.images;
    if (!Array.isArray(images) || images.some((x) => typeof x !== 'string'))
      problems.push({ path: `${p}/images`, message: 'must be a list of patterns' });
    if (problems.length > before) return undefined;
    out.push({
      issuer: o.issuer as string,
      audience: o.audience as string,
      claims,
      images: images as string[],
      ...(typeof o.jwksUri === 'string' ? { jwksUri: o.jwksUri } : {}),
      ...(isObj(o.jwks) ? { jwks: o.jwks as { keys: Record<string, unknown>[] } } : {}),
    });
    return undefined;
  });
  return out;
}
