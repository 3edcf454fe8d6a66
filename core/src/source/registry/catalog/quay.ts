import { PortcullisError } from '../../../errors.js';
import {
  assertPageBudget,
  createApiContext,
  fetchJson,
  readArray,
  readSecretEnv,
  readString,
  toApiUrl,
  toDigest,
  toIsoTime,
  toPullReference,
} from './api.js';
import { createPullHooks } from './created.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

/** Quay's tag page `limit` maximum (`endpoints/api/tag.py`). */
const MAX_TAG_PAGE = 100;

function readNamespaces(settings: RegistrySettings): string[] {
  const ns = settings.namespaces;
  if (!Array.isArray(ns) || ns.length === 0 || ns.some((n) => typeof n !== 'string' || n === '')) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: kind quay needs namespaces: [names] (Quay lists repositories per namespace)`,
    );
  }
  return ns as string[];
}

/**
 * Quay `/api/v1`: repositories per namespace (opaque `next_page` token), tags per repository
 * (`page` while `has_additional`, active tags only). `last_modified` is the update time. The API takes
 * only `Authorization: Bearer` (an OAuth application token, from `credentials.tokenEnv`); robots'
 * Basic credentials are for pulls.
 */
export function createQuayLister(settings: RegistrySettings, opts: CatalogListerOptions): CatalogLister {
  const tokenEnv = settings.credentials?.tokenEnv;
  if (tokenEnv !== undefined && typeof tokenEnv !== 'string') {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: credentials.tokenEnv must be a name`,
    );
  }
  const ctx = createApiContext(
    settings,
    opts,
    tokenEnv
      ? `${tokenEnv} (an OAuth application token with repo:read)`
      : 'credentials.tokenEnv (none is configured)',
  );
  const namespaces = readNamespaces(settings);
  const headers = (): Record<string, string> =>
    tokenEnv
      ? { authorization: `Bearer ${readSecretEnv(settings, ctx.env, tokenEnv, 'credentials.tokenEnv')}` }
      : {};

  return {
    async *listRepositories(signal) {
      for (const namespace of namespaces) {
        const what = `repositories of ${namespace}`;
        const seen = new Set<string>();
        let nextPage: string | undefined;
        for (let page = 0; ; page++) {
          assertPageBudget(ctx, page, what);
          signal?.throwIfAborted();
          const url = toApiUrl(ctx, '/api/v1/repository', { namespace, next_page: nextPage });
          const { doc } = await fetchJson(ctx, url, { method: 'GET', headers: headers(), signal });
          for (const r of readArray(ctx, doc, 'repositories', what)) {
            const name = readString(r, 'name');
            if (name !== undefined) yield `${readString(r, 'namespace') ?? namespace}/${name}`;
          }
          nextPage = readString(doc as Record<string, unknown>, 'next_page');
          if (nextPage === undefined) break;
          if (seen.has(nextPage)) {
            throw new PortcullisError(
              'REGISTRY_API_ERROR',
              `${settings.name}: ${what}: next_page repeats itself`,
            );
          }
          seen.add(nextPage);
        }
      }
    },
    async *listImages(repository, signal) {
      const what = `tags of ${repository}`;
      const path = `/api/v1/repository/${repository.split('/').map(encodeURIComponent).join('/')}/tag/`;
      const limit = Math.min(ctx.pageSize, MAX_TAG_PAGE);
      for (let page = 1; ; page++) {
        assertPageBudget(ctx, page - 1, what);
        signal?.throwIfAborted();
        const url = toApiUrl(ctx, path, { page, limit, onlyActiveTags: true });
        const { doc } = await fetchJson(ctx, url, { method: 'GET', headers: headers(), signal });
        const tags = readArray(ctx, doc, 'tags', what);
        for (const t of tags) {
          const tag = readString(t, 'name');
          if (tag === undefined) continue;
          const image: CatalogImage = {
            registry: settings.name,
            repository,
            reference: toPullReference(ctx.pullHost, repository, tag, undefined),
            tag,
          };
          const digest = toDigest(readString(t, 'manifest_digest'));
          if (digest !== undefined) image.digest = digest;
          // last_modified is RFC 2822 of start_ts; start_ts (epoch seconds) covers a missing or odd one.
          const updatedAt = toIsoTime(readString(t, 'last_modified')) ?? toIsoTime(t.start_ts, 's');
          if (updatedAt !== undefined) image.updatedAt = updatedAt;
          yield image;
        }
        if ((doc as Record<string, unknown>).has_additional !== true || tags.length === 0) return;
      }
    },
    ...createPullHooks(settings, opts),
    close: () => ctx.transport.close(),
  };
}
