/** Loopback fake of Quay's `/api/v1` repository and tag endpoints, from quay/quay `endpoints/api/`. */
import { randomBytes } from 'node:crypto';
import type { FakeReply, FakeRequest } from './fake-server.js';
import type { FixtureRepo } from './fixture-images.js';

export const TOKEN = 'quay-oauth-app-token';
export const env = { QUAY_TOKEN: TOKEN };
/** The fake's repository page size (Quay's REPOS_PER_PAGE is 100; 2 here to get several pages). */
export const REPOS_PER_PAGE = 2;

/** Quay formats dates with email.utils.formatdate: RFC 2822, `-0000`. */
export function toRfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '-0000');
}

export const invalidToken: FakeReply = {
  status: 401,
  body: {
    detail: 'Invalid token',
    error_message: 'Invalid token',
    error_type: 'invalid_token',
    title: 'invalid_token',
    status: 401,
  },
};

export function createQuayHandler(repos: FixtureRepo[]) {
  const tokens = new Map<string, number>();
  return (req: FakeRequest): FakeReply => {
    const auth = req.headers.authorization;
    if (auth !== undefined && auth !== `Bearer ${TOKEN}`) return invalidToken;
    const path = req.url.pathname;
    const q = req.url.searchParams;
    if (path === '/api/v1/repository') {
      const namespace = q.get('namespace');
      if (!namespace)
        return {
          status: 400,
          body: { message: 'namespace, starred or public are required for this API call' },
        };
      // A private namespace: anonymous callers see nothing (Quay filters by visibility).
      const visible = auth === undefined ? [] : repos.filter((r) => r.path.startsWith(`${namespace}/`));
      const token = q.get('next_page');
      const start = token === null ? 0 : tokens.get(token);
      if (start === undefined) return { status: 400, body: { message: 'Invalid next_page token' } };
      const slice = visible.slice(start, start + REPOS_PER_PAGE);
      const body: Record<string, unknown> = {
        repositories: slice.map((r) => ({
          namespace,
          name: r.path.slice(namespace.length + 1),
          description: null,
          is_public: false,
          kind: 'image',
          state: 'NORMAL',
        })),
      };
      if (start + REPOS_PER_PAGE < visible.length) {
        const next = randomBytes(12).toString('base64url');
        tokens.set(next, start + REPOS_PER_PAGE);
        body.next_page = next;
      }
      return { body };
    }
    const m = /^\/api\/v1\/repository\/([^/]+)\/([^/]+)\/tag\/$/.exec(path);
    if (m) {
      if (auth === undefined)
        return { status: 403, body: { detail: 'Unauthorized', status: 403, title: 'unauthorized' } };
      const repo = repos.find((r) => r.path === `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`);
      if (!repo) return { status: 404, body: { detail: 'Not Found', status: 404, title: 'not_found' } };
      const page = Number(q.get('page') ?? '1');
      const limit = Math.min(Math.max(Number(q.get('limit') ?? '50'), 1), 100);
      let tags = repo.tags.map((t) => ({
        name: t.name,
        reversion: false,
        start_ts: Math.floor(t.updatedMs / 1000),
        manifest_digest: t.digest,
        is_manifest_list: false,
        size: 1234,
        last_modified: toRfc2822(t.updatedMs),
      }));
      if (q.get('onlyActiveTags') !== 'true') {
        // Tag history: a dead tag that only appears without onlyActiveTags.
        tags = [
          ...tags,
          { ...tags[0]!, name: 'deleted-long-ago', end_ts: 1_600_000_000 } as (typeof tags)[number],
        ];
      }
      const slice = tags.slice((page - 1) * limit, page * limit);
      return { body: { tags: slice, page, has_additional: page * limit < tags.length } };
    }
    return { status: 404, body: { detail: 'Not Found', status: 404 } };
  };
}
