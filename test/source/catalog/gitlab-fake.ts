/** Loopback fake of GitLab's `/api/v4` container registry endpoints, from gitlab `doc/api/container_registry.md`. */
import { TEST_REGISTRY } from '../../helpers/env.js';
import type { FakeReply, FakeRequest } from './fake-server.js';
import type { FixtureRepo } from './fixture-images.js';

export const PRIVATE_TOKEN = 'glpat-test-token';
export const JOB_TOKEN = 'job-token-test';
export const env = { GITLAB_TOKEN: PRIVATE_TOKEN };
export const unauthorized: FakeReply = { status: 401, body: { message: '401 Unauthorized' } };

/** Offset paging; `linkOnly` answers like a keyset page (only `Link rel="next"`). */
export function gitlabPage(req: FakeRequest, origin: string, items: unknown[], linkOnly = false): FakeReply {
  const page = Number(req.url.searchParams.get('page') ?? '1');
  const per = Math.min(Number(req.url.searchParams.get('per_page') ?? '20'), 100);
  const pages = Math.max(1, Math.ceil(items.length / per));
  const next = page < pages ? String(page + 1) : '';
  const headers: Record<string, string> = {};
  const links: string[] = [];
  const link = (p: number, rel: string) => {
    const u = new URL(req.url.pathname, origin);
    u.search = req.url.search;
    u.searchParams.set('page', String(p));
    links.push(`<${u.href}>; rel="${rel}"`);
  };
  if (next) link(page + 1, 'next');
  if (!linkOnly) {
    link(1, 'first');
    link(pages, 'last');
    Object.assign(headers, {
      'x-next-page': next,
      'x-page': String(page),
      'x-per-page': String(per),
      'x-total': String(items.length),
      'x-total-pages': String(pages),
    });
  }
  if (links.length) headers.link = links.join(', ');
  return { headers, body: items.slice((page - 1) * per, page * per) };
}

interface Project {
  id: number;
  repoId: number;
  repo: FixtureRepo;
}

export function createGitlabHandler(repos: FixtureRepo[]) {
  const projects: Project[] = repos.map((repo, i) => ({ id: 11 + i, repoId: 101 + i, repo }));
  const toEntity = (p: Project) => ({
    id: p.repoId,
    name: '',
    path: p.repo.path,
    project_id: p.id,
    location: `${TEST_REGISTRY}/${p.repo.path}`,
    created_at: '2026-01-01T00:00:00.000Z',
    cleanup_policy_started_at: null,
    status: null,
  });
  return (req: FakeRequest, origin: string): FakeReply => {
    const priv = req.headers['private-token'];
    const job = req.headers['job-token'];
    if ((priv !== undefined && priv !== PRIVATE_TOKEN) || (job !== undefined && job !== JOB_TOKEN))
      return unauthorized;
    if (priv === undefined && job === undefined)
      return { status: 404, body: { message: '404 Group Not Found' } };
    const raw = req.rawUrl.split('?')[0]!;
    let m = /^\/api\/v4\/groups\/([^/]+)\/registry\/repositories$/.exec(raw);
    if (m) {
      if (job !== undefined) return unauthorized; // the group endpoint does not take job tokens
      const group = decodeURIComponent(m[1]!);
      if (group !== 'fixtures' && group !== '7')
        return { status: 404, body: { message: '404 Group Not Found' } };
      return gitlabPage(req, origin, projects.map(toEntity));
    }
    m = /^\/api\/v4\/projects\/([^/]+)\/registry\/repositories$/.exec(raw);
    if (m) {
      const id = decodeURIComponent(m[1]!);
      const p = projects.find((x) => String(x.id) === id || x.repo.path === id);
      if (!p) return { status: 404, body: { message: '404 Project Not Found' } };
      return gitlabPage(req, origin, [toEntity(p)]);
    }
    m = /^\/api\/v4\/projects\/(\d+)\/registry\/repositories\/(\d+)\/tags(?:\/([^/]+))?$/.exec(raw);
    if (m) {
      const p = projects.find((x) => x.id === Number(m![1]) && x.repoId === Number(m![2]));
      if (!p) return { status: 404, body: { message: '404 Repository Not Found' } };
      const tags = p.repo.tags;
      if (m[3] === undefined) {
        return gitlabPage(
          req,
          origin,
          tags.map((t) => ({
            name: t.name,
            path: `${p.repo.path}:${t.name}`,
            location: `${TEST_REGISTRY}/${p.repo.path}:${t.name}`,
          })),
          true,
        );
      }
      const t = tags.find((x) => x.name === decodeURIComponent(m![3]!));
      if (!t) return { status: 404, body: { message: '404 Tag Not Found' } };
      return {
        body: {
          name: t.name,
          path: `${p.repo.path}:${t.name}`,
          location: `${TEST_REGISTRY}/${p.repo.path}:${t.name}`,
          revision: t.digest.slice(7),
          short_revision: t.digest.slice(7, 16),
          digest: t.digest,
          created_at: new Date(t.createdMs).toISOString().replace('Z', '+00:00'),
          total_size: 1234,
        },
      };
    }
    return { status: 404, body: { message: '404 Not Found' } };
  };
}
