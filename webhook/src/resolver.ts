import { request, type Dispatcher } from 'undici';
import { PortcullisError, isPortcullisError } from '../../core/src/index.js';
import { parseImageReference } from './reference.js';

/** Turns an image reference into the manifest digest it points at now. */
export interface DigestResolver {
  resolveDigest(ref: string): Promise<string>;
}

/** Accept header for every manifest kind: without it registries answer schema1 or 404 (FORMATS.md "Seen on this machine"). */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface HeadResolverOptions {
  dispatcher?: Dispatcher;
  /** Hosts reachable over plain HTTP besides loopback. */
  insecureRegistries?: string[];
  timeoutMs?: number;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * A minimal registry HEAD resolver (anonymous or anonymous-bearer-token registries). Stopgap behind the
 * DigestResolver interface until core's registry client is wired in; it reads only Docker-Content-Digest.
 */
export function createHeadDigestResolver(opts: HeadResolverOptions = {}): DigestResolver {
  const insecure = new Set(opts.insecureRegistries ?? []);
  const timeout = opts.timeoutMs ?? 3000;
  const base = (opts.dispatcher ? { dispatcher: opts.dispatcher } : {}) as { dispatcher?: Dispatcher };
  const unavailable = (ref: string, why: string, cause?: unknown): PortcullisError =>
    new PortcullisError('REGISTRY_UNAVAILABLE', `resolving ${ref}: ${why}`, { cause });

  async function token(challenge: string, ref: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!params.realm)
      throw new PortcullisError('REGISTRY_UNAUTHORIZED', `resolving ${ref}: registry wants credentials`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    if (params.scope) url.searchParams.set('scope', params.scope);
    const res = await request(url, { ...base, method: 'GET', headersTimeout: timeout, bodyTimeout: timeout });
    const body = (await res.body.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const t = body.token ?? body.access_token;
    if (res.statusCode !== 200 || !t)
      throw new PortcullisError('REGISTRY_UNAUTHORIZED', `resolving ${ref}: token request refused`);
    return t;
  }

  return {
    async resolveDigest(ref: string): Promise<string> {
      const r = parseImageReference(ref);
      if (r.digest) return r.digest;
      const host = r.domain === 'docker.io' ? 'registry-1.docker.io' : r.domain;
      const scheme = isLoopback(host) || insecure.has(host) ? 'http' : 'https';
      const url = `${scheme}://${host}/v2/${r.repository}/manifests/${r.tag ?? 'latest'}`;
      try {
        const head = async (auth?: string): Promise<Dispatcher.ResponseData> =>
          request(url, {
            ...base,
            method: 'HEAD',
            headers: { accept: MANIFEST_ACCEPT, ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
            headersTimeout: timeout,
            bodyTimeout: timeout,
          });
        let res = await head();
        if (res.statusCode === 401) {
          const challenge = String(res.headers['www-authenticate'] ?? '');
          if (!/^bearer /i.test(challenge))
            throw new PortcullisError(
              'REGISTRY_UNAUTHORIZED',
              `resolving ${ref}: registry wants credentials`,
            );
          res = await head(await token(challenge, ref));
        }
        await res.body.dump();
        if (res.statusCode === 404)
          throw new PortcullisError('REGISTRY_NOT_FOUND', `resolving ${ref}: no such image or tag`);
        if (res.statusCode !== 200) throw unavailable(ref, `registry answered HTTP ${res.statusCode}`);
        const digest = res.headers['docker-content-digest'];
        if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest))
          throw new PortcullisError(
            'REGISTRY_PROTOCOL',
            `resolving ${ref}: registry sent no Docker-Content-Digest`,
          );
        return digest;
      } catch (err) {
        if (isPortcullisError(err)) throw err;
        throw unavailable(ref, (err as Error).message, err);
      }
    },
  };
}

/** Options of the digest cache: tag → digest answers are reused for `ttlMs`. */
export interface DigestCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Caches tag → digest answers for a TTL (tags move, so not for ever) and coalesces concurrent lookups of the
 * same reference. Digest references never reach the inner resolver: a digest is trusted as is.
 */
export function createCachingResolver(
  inner: DigestResolver,
  opts: DigestCacheOptions,
): DigestResolver & { size(): number } {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { digest: string; expires: number }>();
  const inflight = new Map<string, Promise<string>>();
  return {
    size: () => cache.size,
    async resolveDigest(ref: string): Promise<string> {
      const r = parseImageReference(ref);
      if (r.digest) return r.digest;
      const hit = cache.get(r.normalized);
      if (hit && hit.expires > now()) return hit.digest;
      const pending = inflight.get(r.normalized);
      if (pending) return pending;
      const p = inner
        .resolveDigest(ref)
        .then((digest) => {
          if (cache.size >= opts.maxEntries) {
            // Evict the oldest insertion; Map keeps insertion order.
            const oldest = cache.keys().next().value;
            if (oldest !== undefined) cache.delete(oldest);
          }
          cache.delete(r.normalized);
          if (opts.ttlMs > 0) cache.set(r.normalized, { digest, expires: now() + opts.ttlMs });
          return digest;
        })
        .finally(() => inflight.delete(r.normalized));
      inflight.set(r.normalized, p);
      return p;
    },
  };
}
