/** Loopback fake of the Harbor v2.0 API, from goharbor/harbor `api/v2.0/swagger.yaml`. */
import type { FakeReply, FakeRequest } from './fake-server.js';
import type { FixtureRepo } from './fixture-images.js';

export const USER = 'robot$fixtures+scanner';
export const PASSWORD = 'harbor-robot-secret';
export const env = { HARBOR_USER: USER, HARBOR_PASSWORD: PASSWORD };
export const unauthorized: FakeReply = {
  status: 401,
  body: { errors: [{ code: 'UNAUTHORIZED', message: 'unauthorized' }] },
};

/** A Harbor list page: the swagger's page/page_size, X-Total-Count, and a relative Link with prev/next. */
export function harborPage(req: FakeRequest, items: unknown[]): FakeReply {
  const page = Number(req.url.searchParams.get('page') ?? '1');
  const size = Number(req.url.searchParams.get('page_size') ?? '10');
  if (size > 100)
    return { status: 400, body: { errors: [{ code: 'BAD_REQUEST', message: 'page_size > 100' }] } };
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.url.searchParams);
    q.set('page', String(p));
    // Harbor unescapes the query it writes into Link (src/server/v2.0/handler/base.go).
    links.push(`<${req.url.pathname}?${decodeURIComponent(q.toString())}>; rel="${rel}"`);
  };
  if (page > 1) link(page - 1, 'prev');
  if (page * size < items.length) link(page + 1, 'next');
  const headers: Record<string, string> = { 'x-total-count': String(items.length) };
  if (links.length) headers.link = links.join(' , ');
  return { headers, body: items.slice((page - 1) * size, page * size) };
}

export function createHarborHandler(repos: FixtureRepo[]) {
  const extra: FixtureRepo = {
    path: 'team-a/app/web',
    real: false,
    tags: [
      {
        name: 'v2',
        digest: `sha256:${'ab'.repeat(32)}`,
        updatedMs: Date.parse('2026-11-20T00:00:00Z'),
        createdMs: 0,
      },
    ],
  };
  const all = [...repos, extra];
  const projects = [...new Set(all.map((r) => r.path.split('/')[0]!))];
  return (req: FakeRequest): FakeReply => {
    const auth = req.headers.authorization ?? '';
    if (auth !== `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`) return unauthorized;
    const raw = req.rawUrl.split('?')[0]!;
    if (raw === '/api/v2.0/projects') {
      return harborPage(
        req,
        projects.map((name, i) => ({
          project_id: i + 1,
          name,
          repo_count: 1,
          creation_time: '2026-01-01T00:00:00.000Z',
        })),
      );
    }
    let m = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories$/.exec(raw);
    if (m) {
      const project = decodeURIComponent(m[1]!);
      if (!projects.includes(project))
        return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: 'project not found' }] } };
      const list = all.filter((r) => r.path.startsWith(`${project}/`));
      return harborPage(
        req,
        list.map((r, i) => ({ id: i + 1, name: r.path, artifact_count: r.tags.length })),
      );
    }
    m = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts$/.exec(raw);
    if (m) {
      // The in-project name arrives encoded twice; a single-encoded slash is not routed (404).
      if (/%2F/i.test(m[2]!))
        return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: 'single-encoded' }] } };
      const name = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(decodeURIComponent(m[2]!))}`;
      const repo = all.find((r) => r.path === name);
      if (!repo)
        return {
          status: 404,
          body: { errors: [{ code: 'NOT_FOUND', message: `repository ${name} not found` }] },
        };
      if (req.url.searchParams.get('with_tag') !== 'true') return { status: 400, body: {} };
      const artifacts = repo.tags.map((t, i) => ({
        id: i + 1,
        type: 'IMAGE',
        digest: t.digest,
        push_time: new Date(t.updatedMs).toISOString(),
        tags: [
          {
            id: i + 1,
            name: t.name,
            push_time: new Date(t.updatedMs - 1000).toISOString(),
            immutable: false,
          },
        ],
      }));
      // One untagged artifact: listed by digest.
      artifacts.push({
        id: 99,
        type: 'IMAGE',
        digest: `sha256:${'0f'.repeat(32)}`,
        push_time: '2026-01-02T00:00:00.000Z',
        tags: [],
      });
      return harborPage(req, artifacts);
    }
    return { status: 404, body: { errors: [{ code: 'NOT_FOUND', message: 'no route' }] } };
  };
}
