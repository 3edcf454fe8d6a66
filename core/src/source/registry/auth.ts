import { PortcullisError } from '../../errors.js';
import { readBounded } from '../bytes.js';
import type { Credentials } from './credentials.js';
import { discardBody, readErrorText, toGuardedBody, type Transport } from './http.js';

/** One `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate` values (`Bearer realm="…",service="…",scope="…"`, `Basic realm="…"`). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  const token = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s+|$)/y;
  const param = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/y;
  for (const value of values) {
    let pos = 0;
    while (pos < value.length) {
      token.lastIndex = pos;
      const t = token.exec(value);
      if (!t) break;
      const challenge: Challenge = { scheme: t[1]!.toLowerCase(), params: {} };
      pos = token.lastIndex;
      for (;;) {
        param.lastIndex = pos;
        const p = param.exec(value);
        // A bare token followed by space is the next challenge's scheme, not a parameter.
        if (!p) break;
        challenge.params[p[1]!.toLowerCase()] =
          p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
        pos = param.lastIndex;
      }
      out.push(challenge);
      while (value[pos] === ',' || value[pos] === ' ') pos++;
    }
  }
  return out;
}

const DEFAULT_TOKEN_TTL_S = 60;
const TOKEN_EXPIRY_SKEW_MS = 5_000;

/** Answers challenges and caches the resulting Authorization headers per host and scope. */
export interface Authenticator {
  /** A cached Authorization header for this host/scope, if one is still valid. */
  cached(host: string, scope: string | undefined): string | undefined;
  /** Answers a 401's challenges; returns the header to retry with. REGISTRY_UNAUTHORIZED when it cannot. */
  respond(host: string, scope: string | undefined, challenges: Challenge[]): Promise<string>;
  /** Forgets what was cached for this host/scope (after it was refused). */
  forget(host: string, scope: string | undefined): void;
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** Creates the authenticator; `credentialsFor` never has its results logged. */
export function createAuthenticator(
  transport: Transport,
  credentialsFor: (host: string) => Credentials | undefined,
): Authenticator {
  const cache = new Map<string, { header: string; expiresAt: number }>();
  const key = (host: string, scope: string | undefined) => `${host} ${scope ?? ''}`;
  const basicKey = (host: string) => `${host} #basic`;

  const fetchToken = async (
    host: string,
    challenge: Challenge,
    scope: string | undefined,
  ): Promise<{ token: string; ttl: number }> => {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new PortcullisError(
        'REGISTRY_PROTOCOL',
        `${host} sent a Bearer challenge without a usable realm`,
      );
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const scopes = (challenge.params.scope ?? scope ?? '').split(' ').filter(Boolean);
    for (const s of scopes) url.searchParams.append('scope', s);
    const creds = credentialsFor(host);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (creds) headers.authorization = basicHeader(creds);
    const res = await transport.send(url, { method: 'GET', headers });
    if (res.statusCode === 401) {
      const detail = await readErrorText(res);
      throw new PortcullisError(
        'REGISTRY_UNAUTHORIZED',
        `token service ${url.host} refused ${creds ? 'the credentials' : 'anonymous access'}${detail ? ` (${detail})` : ''}`,
      );
    }
    if (res.statusCode === 403) {
      await discardBody(res);
      throw new PortcullisError(
        'REGISTRY_DENIED',
        `token service ${url.host} denied access to ${scopes.join(' ')}`,
      );
    }
    if (res.statusCode !== 200) {
      const detail = await readErrorText(res);
      throw new PortcullisError(
        'REGISTRY_PROTOCOL',
        `token service ${url.host} answered ${res.statusCode} ${detail}`,
      );
    }
    const what = `token from ${url.host}`;
    const guarded = toGuardedBody(res, url, { limits: transport.limits, signal: transport.signal, what });
    const body = await readBounded(guarded, transport.limits.maxJsonBytes, what);
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch (err) {
      throw new PortcullisError('REGISTRY_PROTOCOL', `token service ${url.host} sent invalid JSON`, {
        cause: err,
      });
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new PortcullisError('REGISTRY_PROTOCOL', `token service ${url.host} sent no token`);
    }
    const ttl =
      typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_TTL_S;
    return { token, ttl };
  };

  return {
    cached(host, scope) {
      // Basic credentials serve every scope of a host; tokens are per scope.
      const hit = cache.get(key(host, scope)) ?? cache.get(basicKey(host));
      if (hit && hit.expiresAt > Date.now()) return hit.header;
      return undefined;
    },
    forget(host, scope) {
      cache.delete(key(host, scope));
      cache.delete(basicKey(host));
    },
    async respond(host, scope, challenges) {
      const bearer = challenges.find((c) => c.scheme === 'bearer');
      if (bearer) {
        const { token, ttl } = await fetchToken(host, bearer, scope);
        const header = `Bearer ${token}`;
        cache.set(key(host, scope), { header, expiresAt: Date.now() + ttl * 1000 - TOKEN_EXPIRY_SKEW_MS });
        return header;
      }
      if (challenges.some((c) => c.scheme === 'basic')) {
        const creds = credentialsFor(host);
        if (!creds) {
          throw new PortcullisError(
            'REGISTRY_UNAUTHORIZED',
            `${host} requires credentials (Basic auth) and none were given`,
          );
        }
        const header = basicHeader(creds);
        cache.set(basicKey(host), { header, expiresAt: Number.POSITIVE_INFINITY });
        return header;
      }
      const schemes = challenges.map((c) => c.scheme).join(', ') || 'none';
      throw new PortcullisError(
        'REGISTRY_UNAUTHORIZED',
        `${host} answered 401 with unsupported auth (${schemes})`,
      );
    },
  };
}
