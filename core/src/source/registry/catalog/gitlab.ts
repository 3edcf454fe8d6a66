import { PortcullisError, isPortcullisError } from '../../../errors.js';
import { parseNextLink } from '../link.js';
import {
  assertPageBudget,
  createApiContext,
  fetchJson,
  headerValue,
  readArray,
  readObject,
  readSecretEnv,
  readString,
  toApiUrl,
  toDigest,
  toIsoTime,
  type ApiContext,
} from './api.js';
import { createPullHooks } from './created.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

const API = '/api/v4';
/** GitLab's `per_page` maximum (`doc/api/rest/_index.md`). */
const MAX_PER_PAGE = 100;

interface GitlabRepository {
  id: number;
  projectId: number;
  /** `group/project/name`, as pulled. */
  path: string;
  /** `registry.host/group/project/name`. */
  location: string | undefined;
}

function readIdList(settings: RegistrySettings, field: 'groups' | 'projects'): string[] {
  const v = settings[field];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => (typeof x !== 'string' && typeof x !== 'number') || x === '')) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: ${field} must be a list of ids or paths`,
    );
  }
  return v.map(String);
}

/**
 * Every item of a GitLab offset-paged list: `page`/`per_page`, next page from `X-Next-Page` (empty on the
 * last page), or from `Link rel="next"` when that header is absent (keyset answers, proxies that strip it).
 */
async function* listPaged(
  ctx: ApiContext,
  path: string,
  headers: () => Record<string, string>,
  what: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Record<string, unknown>> {
  let url: URL | undefined = toApiUrl(ctx, path, { per_page: Math.min(ctx.pageSize, MAX_PER_PAGE), page: 1 });
  const seen = new Set<string>();
  for (let page = 0; url !== undefined; page++) {
    assertPageBudget(ctx, page, what);
    signal?.throwIfAborted();
    if (seen.has(url.href))
      throw new PortcullisError('REGISTRY_API_ERROR', `${ctx.settings.name}: ${what}: pagination loops`);
    seen.add(url.href);
    const answer = await fetchJson(ctx, url, { method: 'GET', headers: headers(), signal });
    const items = readArray(ctx, answer.doc, undefined, what);
    yield* items;
    const nextPage = headerValue(answer.headers, 'x-next-page');
    if (nextPage !== undefined) {
      if (nextPage === '' || items.length === 0) return;
      if (!/^\d+$/.test(nextPage))
        throw new PortcullisError('REGISTRY_API_ERROR', `${ctx.settings.name}: ${what}: bad X-Next-Page`);
      url = new URL(url);
      url.searchParams.set('page', nextPage);
    } else {
      const link = parseNextLink(answer.headers.link, url, `${ctx.settings.name}: ${what}`);
      url = link === undefined ? undefined : new URL(link, url);
    }
  }
}

function toRepository(r: Record<string, unknown>): GitlabRepository | undefined {
  const path = readString(r, 'path');
  if (typeof r.id !== 'number' || typeof r.project_id !== 'number' || path === undefined) return undefined;
  return { id: r.id, projectId: r.project_id, path, location: readString(r, 'location') };
}

/**
 * GitLab `/api/v4` container registry: repositories of groups and projects, tags of each, and one tag
 * details call per tag for its digest and `created_at` (manifest creation: the creation time). Auth:
 * `PRIVATE-TOKEN`, or `JOB-TOKEN` (`tokenKind: job`, the default for `CI_JOB_TOKEN`) from `credentials.tokenEnv`.
 */
export function createGitlabLister(settings: RegistrySettings, opts: CatalogListerOptions): CatalogLister {
  const tokenEnv = settings.credentials?.tokenEnv;
  const tokenKind = settings.tokenKind ?? (tokenEnv === 'CI_JOB_TOKEN' ? 'job' : 'private');
  if (tokenKind !== 'private' && tokenKind !== 'job') {
    throw new PortcullisError('USAGE_INVALID', `registry ${settings.name}: tokenKind must be private or job`);
  }
  const ctx = createApiContext(
    settings,
    opts,
    tokenEnv
      ? `${tokenEnv} (a token with read_api or read_registry)`
      : 'credentials.tokenEnv (none is configured)',
  );
  const groups = readIdList(settings, 'groups');
  const projects = readIdList(settings, 'projects');
  if (groups.length === 0 && projects.length === 0) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: kind gitlab needs groups or projects`,
    );
  }
  const headers = (): Record<string, string> => {
    if (!tokenEnv) return {};
    const token = readSecretEnv(settings, ctx.env, tokenEnv, 'credentials.tokenEnv');
    return tokenKind === 'job' ? { 'job-token': token } : { 'private-token': token };
  };
  const known = new Map<string, GitlabRepository>();

  async function* listAll(signal?: AbortSignal): AsyncGenerator<GitlabRepository> {
    const sources = [
      ...groups.map((g) => ({
        path: `${API}/groups/${encodeURIComponent(g)}/registry/repositories`,
        what: `group ${g}`,
      })),
      ...projects.map((p) => ({
        path: `${API}/projects/${encodeURIComponent(p)}/registry/repositories`,
        what: `project ${p}`,
      })),
    ];
    const seen = new Set<number>();
    for (const s of sources) {
      for await (const item of listPaged(ctx, s.path, headers, `repositories of ${s.what}`, signal)) {
        const repo = toRepository(item);
        // A project listed also through its group is yielded once.
        if (!repo || seen.has(repo.id)) continue;
        seen.add(repo.id);
        known.set(repo.path, repo);
        yield repo;
      }
    }
  }

  const findRepository = async (path: string, signal?: AbortSignal): Promise<GitlabRepository> => {
    if (!known.has(path)) for await (const _ of listAll(signal)) void _;
    const repo = known.get(path);
    if (!repo)
      throw new PortcullisError(
        'REGISTRY_NOT_FOUND',
        `registry ${settings.name}: no repository ${path} in its groups or projects`,
      );
    return repo;
  };

  const pullPrefix = (repo: GitlabRepository) =>
    settings.registryHost !== undefined || repo.location === undefined
      ? `${ctx.pullHost}/${repo.path}`
      : repo.location;

  return {
    async *listRepositories(signal) {
      for await (const repo of listAll(signal)) yield repo.path;
    },
    async *listImages(repository, signal) {
      const repo = await findRepository(repository, signal);
      const base = `${API}/projects/${repo.projectId}/registry/repositories/${repo.id}/tags`;
      for await (const t of listPaged(ctx, base, headers, `tags of ${repository}`, signal)) {
        const tag = readString(t, 'name');
        if (tag === undefined) continue;
        let details: Record<string, unknown>;
        try {
          const url = toApiUrl(ctx, `${base}/${encodeURIComponent(tag)}`);
          const { doc } = await fetchJson(ctx, url, { method: 'GET', headers: headers(), signal });
          details = readObject(ctx, doc, `tag ${repository}:${tag}`);
        } catch (err) {
          // Deleted between the list and the details call: it no longer exists to scan.
          if (isPortcullisError(err) && err.code === 'REGISTRY_NOT_FOUND') continue;
          throw err;
        }
        const image: CatalogImage = {
          registry: settings.name,
          repository,
          reference: `${pullPrefix(repo)}:${tag}`,
          tag,
        };
        const digest = toDigest(readString(details, 'digest'));
        if (digest !== undefined) image.digest = digest;
        const createdAt = toIsoTime(readString(details, 'created_at'));
        if (createdAt !== undefined) image.createdAt = createdAt;
        yield image;
      }
    },
    ...createPullHooks(settings, opts),
    close: () => ctx.transport.close(),
  };
}
