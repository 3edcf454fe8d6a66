import { parseReference } from '../../core/src/index.js';

/** Turns an image reference into the manifest digest it points at now. */
export interface DigestResolver {
  resolveDigest(ref: string): Promise<string>;
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
      const r = parseReference(ref);
      if (r.digest) return r.digest;
      // Cache key: the normalised reference, so `nginx` and `docker.io/library/nginx:latest` share an entry.
      const key = r.toString();
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return hit.digest;
      const pending = inflight.get(key);
      if (pending) return pending;
      const p = inner
        .resolveDigest(ref)
        .then((digest) => {
          if (cache.size >= opts.maxEntries) {
            // Evict the oldest insertion; Map keeps insertion order.
            const oldest = cache.keys().next().value;
            if (oldest !== undefined) cache.delete(oldest);
          }
          cache.delete(key);
          if (opts.ttlMs > 0) cache.set(key, { digest, expires: now() + opts.ttlMs });
          return digest;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
  };
}
