import { PortcullisError } from '../../../errors.js';
import {
  assertPageBudget,
  createApiContext,
  describeBasicCredentials,
  fetchJson,
  headerValue,
  readArray,
  readBasicCredentials,
  readString,
  toApiUrl,
  toBasicAuthorization,
  toDigest,
  toIsoTime,
  toPullReference,
  type ApiContext,
} from './api.js';
import { createPullHooks } from './created.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

const API = '/api/v2.0';
/** Harbor's `page_size` maximum (swagger `parameters.pageSize`). */
const MAX_PAGE_SIZE = 100;

/** A repository name inside its project, as Harbor wants it in a path: `/` encoded twice (`a%252Fb`). */
export function toHarborRepositorySegment(nameInProject: string): string {
  return encodeURIComponent(encodeURIComponent(nameInProject));
}

/** `team-a/app/web` → project `team-a`, repository `app/web`. */
function splitRepository(settings: RegistrySettings, repository: string): { project: string; rest: string } {
  const i = repository.indexOf('/');
  if (i <= 0 || i === repository.length - 1) {
    throw new PortcullisError(
      'REGISTRY_NOT_FOUND',
      `registry ${settings.name}: ${JSON.stringify(repository)} is not a Harbor repository name (project/repository)`,
    );
  }
  return { project: repository.slice(0, i), rest: repository.slice(i + 1) };
}

/** True when a `Link` header has a `rel="next"` entry (Harbor's `Link` query is unescaped, so it is not followed verbatim). */
function hasNextLink(link: string | string[] | undefined): boolean {
  const values = link === undefined ? [] : Array.isArray(link) ? link : [link];
  return values.some((v) => /;\s*rel\s*=\s*"?next"?/i.test(v));
}

/**
 * Every item of a paged Harbor list: `page`/`page_size`, built by us (facts: Harbor unescapes the query
 * in `Link`), stopping when `page*page_size >= X-Total-Count`, or, without that header, when there is no
 * `Link rel="next"`. An empty page always stops, so a lying total cannot loop.
 */
async function* listPaged(
  ctx: ApiContext,
  path: string,
  query: Record<string, string | boolean>,
  headers: () => Record<string, string>,
  what: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Record<string, unknown>> {
  const size = Math.min(ctx.pageSize, MAX_PAGE_SIZE);
  for (let page = 1; ; page++) {
    assertPageBudget(ctx, page - 1, what);
    signal?.throwIfAborted();
    const url = toApiUrl(ctx, path, { ...query, page, page_size: size });
    const answer = await fetchJson(ctx, url, { method: 'GET', headers: headers(), signal });
    const items = readArray(ctx, answer.doc, undefined, what);
    yield* items;
    const totalHeader = headerValue(answer.headers, 'x-total-count');
    const total = totalHeader === undefined ? NaN : Number(totalHeader);
    const more = Number.isFinite(total) ? page * size < total : hasNextLink(answer.headers.link);
    if (!more || items.length === 0) return;
  }
}

/** The later of two RFC 3339 times. */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/**
 * Harbor v2.0 API: projects (or `settings.projects`), their repositories, and artifacts with tags; one
 * image per tag (an untagged artifact is listed by digest). `push_time` is the update time. Basic auth
 * (robot accounts `robot$…`) from `credentials.usernameEnv`/`passwordEnv` or a docker config.
 */
export function createHarborLister(settings: RegistrySettings, opts: CatalogListerOptions): CatalogLister {
  const ctx = createApiContext(settings, opts, describeBasicCredentials(settings));
  const projects = settings.projects;
  if (projects !== undefined && (!Array.isArray(projects) || projects.some((p) => typeof p !== 'string'))) {
    throw new PortcullisError('USAGE_INVALID', `registry ${settings.name}: projects must be a list of names`);
  }
  const headers = (): Record<string, string> => {
    const creds = readBasicCredentials(ctx);
    return creds ? { authorization: toBasicAuthorization(creds) } : {};
  };

  async function* listProjects(signal?: AbortSignal): AsyncGenerator<string> {
    if (projects !== undefined) {
      yield* projects as string[];
      return;
    }
    for await (const p of listPaged(
      ctx,
      `${API}/projects`,
      { with_detail: false },
      headers,
      'projects',
      signal,
    )) {
      const name = readString(p, 'name');
      if (name !== undefined) yield name;
    }
  }

  return {
    async *listRepositories(signal) {
      for await (const project of listProjects(signal)) {
        const path = `${API}/projects/${encodeURIComponent(project)}/repositories`;
        for await (const r of listPaged(ctx, path, {}, headers, `repositories of ${project}`, signal)) {
          const name = readString(r, 'name');
          if (name !== undefined) yield name;
        }
      }
    },
    async *listImages(repository, signal) {
      const { project, rest } = splitRepository(settings, repository);
      const path = `${API}/projects/${encodeURIComponent(project)}/repositories/${toHarborRepositorySegment(rest)}/artifacts`;
      const what = `artifacts of ${repository}`;
      for await (const a of listPaged(ctx, path, { with_tag: true }, headers, what, signal)) {
        const digest = toDigest(readString(a, 'digest'));
        const pushed = toIsoTime(readString(a, 'push_time'));
        const tags = readArray(ctx, a, 'tags', what);
        const base = { registry: settings.name, repository };
        if (tags.length === 0 && digest !== undefined) {
          const image: CatalogImage = {
            ...base,
            reference: toPullReference(ctx.pullHost, repository, undefined, digest),
            digest,
          };
          if (pushed !== undefined) image.updatedAt = pushed;
          yield image;
        }
        for (const t of tags) {
          const tag = readString(t, 'name');
          if (tag === undefined) continue;
          const image: CatalogImage = {
            ...base,
            reference: toPullReference(ctx.pullHost, repository, tag, undefined),
            tag,
          };
          if (digest !== undefined) image.digest = digest;
          // A tag moved onto an older artifact was still updated when it moved.
          const updatedAt = later(pushed, toIsoTime(readString(t, 'push_time')));
          if (updatedAt !== undefined) image.updatedAt = updatedAt;
          yield image;
        }
      }
    },
    ...createPullHooks(settings, opts),
    close: () => ctx.transport.close(),
  };
}
