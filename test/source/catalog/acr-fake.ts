/** Loopback fake of the ACR EE OpenAPI (`cr` 2018-12-01): every request's ACS3 signature verified by `acs3-verify.ts`. */
import { verifyAcs3 } from './acs3-verify.js';
import type { FakeReply, FakeRequest } from './fake-server.js';
import type { FixtureRepo } from './fixture-images.js';

export const INSTANCE = 'cri-portcullis0test';
export const KEY_ID = 'LTAI-test-key-id';
export const KEY_SECRET = 'acr-test-secret-value';
export const env = { ACR_AK: KEY_ID, ACR_SK: KEY_SECRET };
export const TEMP_USER = 'cr_temp_user';
export const TEMP_TOKEN = 'acr-temporary-token';

export function acrOk(action: string, body: Record<string, unknown>): FakeReply {
  return { body: { Code: 'success', IsSuccess: true, RequestId: `req-${action}`, ...body } };
}

/** PageNo/PageSize slice with TotalCount as a string, as both SDKs type it. */
export function acrPage(q: URLSearchParams, field: string, items: unknown[], action: string): FakeReply {
  const no = Number(q.get('PageNo') ?? '1');
  const size = Number(q.get('PageSize') ?? '30');
  if (size > 100)
    return { status: 400, body: { Code: 'PARAM_INVALID', Message: 'PageSize', RequestId: 'x' } };
  return acrOk(action, {
    PageNo: no,
    PageSize: size,
    TotalCount: String(items.length),
    [field]: items.slice((no - 1) * size, no * size),
  });
}

export function createAcrHandler(repos: FixtureRepo[], clock: () => number) {
  const all = [
    ...repos,
    {
      path: 'team-b/api',
      real: false,
      tags: [
        {
          name: 'v3',
          digest: `sha256:${'cd'.repeat(32)}`,
          updatedMs: 1_700_000_000_000,
          createdMs: 1_600_000_000_000,
        },
      ],
    },
  ];
  const ids = new Map(all.map((r, i) => [`crr-${i}`, r]));
  const nonces = new Set<string>();
  return (req: FakeRequest): FakeReply => {
    const v = verifyAcs3(req, { [KEY_ID]: KEY_SECRET }, clock());
    if (!v.ok) {
      const status = v.code.startsWith('InvalidAccessKeyId') ? 404 : 400;
      return {
        status,
        body: { RequestId: 'r', HostId: 'cr.cn-hangzhou.aliyuncs.com', Code: v.code, Message: v.message },
      };
    }
    const nonce = String(req.headers['x-acs-signature-nonce']);
    if (nonces.has(nonce))
      return { status: 400, body: { Code: 'SignatureNonceUsed', Message: 'nonce used' } };
    nonces.add(nonce);
    if (req.method !== 'POST' || req.url.pathname !== '/' || req.headers['x-acs-version'] !== '2018-12-01') {
      return { status: 400, body: { Code: 'InvalidParameter', Message: 'bad request form' } };
    }
    const q = req.url.searchParams;
    if (q.get('InstanceId') !== INSTANCE) return acrOk('x', { Code: 'INSTANCE_NOT_EXIST', IsSuccess: false });
    const action = String(req.headers['x-acs-action']);
    if (action === 'GetAuthorizationToken') {
      return acrOk(action, {
        TempUsername: TEMP_USER,
        AuthorizationToken: TEMP_TOKEN,
        ExpireTime: clock() + 3_600_000,
      });
    }
    if (action === 'ListNamespace') {
      const names = [...new Set(all.map((r) => r.path.split('/')[0]!))];
      return acrPage(
        q,
        'Namespaces',
        names.map((n, i) => ({
          NamespaceId: `crn-${i}`,
          NamespaceName: n,
          NamespaceStatus: 'NORMAL',
          InstanceId: INSTANCE,
          AutoCreateRepo: true,
        })),
        action,
      );
    }
    if (action === 'ListRepository') {
      const ns = q.get('RepoNamespaceName');
      const name = q.get('RepoName');
      const list = [...ids]
        .filter(
          ([, r]) =>
            (ns === null || r.path.startsWith(`${ns}/`)) && (name === null || r.path.endsWith(`/${name}`)),
        )
        .map(([id, r]) => ({
          RepoId: id,
          RepoNamespaceName: r.path.split('/')[0],
          RepoName: r.path.split('/').slice(1).join('/'),
          RepoStatus: 'NORMAL',
          RepoType: 'PRIVATE',
          CreateTime: 1_600_000_000_000,
          ModifiedTime: 1_700_000_000_000,
          InstanceId: INSTANCE,
        }));
      return acrPage(q, 'Repositories', list, action);
    }
    if (action === 'ListRepoTag') {
      const repo = ids.get(q.get('RepoId') ?? '');
      if (!repo) return acrOk(action, { Code: 'REPO_NOT_EXIST', IsSuccess: false });
      const images = repo.tags.map((t) => ({
        Tag: t.name,
        Digest: t.digest.replace(/^sha256:/, ''),
        ImageId: t.digest.slice(7, 19),
        ImageSize: 1234,
        ImageCreate: String(t.createdMs),
        ImageUpdate: String(t.updatedMs),
        Status: 'NORMAL',
      }));
      return acrPage(q, 'Images', images, action);
    }
    return { status: 400, body: { Code: 'InvalidAction.NotFound', Message: action } };
  };
}
