import { parseReference } from '../../core/src/index.js';
import { createTtlCache } from './scan-cache.js';

/** Turns an image reference into the manifest digest it points at now. */
export interface DigestResolver {
  resolveDigest(ref: string): Promise<string>;
  /** The digest a cache already holds for `ref` (normalised), without asking anyone; undefined if none. */
  peekDigest?(ref: string): string | undefined;
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
  const cache = createTtlCache<string>(opts);
  const inflight = new Map<string, Promise<string>>();
  return {
    size: () => cache.size(),
    peekDigest: (normalisedRef) => cache.get(normalisedRef),
    async resolveDigest(ref: string): Promise<string> {
      const r = parseReference(ref);
      if (r.digest) return r.digest;
      // Cache key: the normalised reference, so `nginx` and `docker.io/library/nginx:latest` share an entry.
      const key = r.toString();
      const hit = cache.get(key);
      if (hit !== undefined) return hit;
      const pending = inflight.get(key);
      if (pending) return pending;
      const p = inner
        .resolveDigest(ref)
        .then((digest) => {
          cache.set(key, digest);
          return digest;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
  };
}
