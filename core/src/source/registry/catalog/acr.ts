import { randomBytes } from 'node:crypto';
import { PortcullisError } from '../../../errors.js';
import { readBounded } from '../../bytes.js';
import {
  assertPageBudget,
  createApiContext,
  readArray,
  readSecretEnv,
  readString,
  sendApi,
  toApiUrl,
  toDigest,
  toIsoTime,
  toPullReference,
  type ApiContext,
} from './api.js';
import { EMPTY_PAYLOAD_SHA256, signAcs3, toAcsDate, type AcsCredentials } from './acs3.js';
import { createPullHooks, type TemporaryLogin } from './created.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

export const ACR_API_VERSION = '2018-12-01';
/** `PageSize` maximum of ListRepository / ListRepoTag. */
const MAX_PAGE_SIZE = 100;
/** Error codes of the Alibaba Cloud gateway that mean "these credentials are not accepted". */
const AUTH_CODES =
  /^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidSecurityToken|Forbidden|NoPermission|InvalidAuthorization|SignatureNonceUsed|InvalidTimeStamp)/i;
const NOT_FOUND_CODES = /NOT_EXIST|NOT_FOUND|NotFound/;

function readRequired(settings: RegistrySettings, field: string): string {
  const v = settings[field];
  if (typeof v !== 'string' || v === '') {
    throw new PortcullisError('USAGE_INVALID', `registry ${settings.name}: kind acr needs ${field}`);
  }
  return v;
}

function readOptional(settings: RegistrySettings, field: string): string | undefined {
  const v = settings[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '')
    throw new PortcullisError('USAGE_INVALID', `registry ${settings.name}: ${field} must be a string`);
  return v;
}

/** One signed OpenAPI call: POST `/`, business parameters in the query, empty body. */
async function callAcr(
  ctx: ApiContext,
  action: string,
  query: Record<string, string>,
  creds: () => AcsCredentials & { securityToken?: string },
  now: () => Date,
  signal: AbortSignal | undefined,
): Promise<Record<string, unknown>> {
  const url = toApiUrl(ctx, '/', query);
  const c = creds();
  // Signed anew for every attempt: a retried request must not reuse its nonce or an old date.
  const signedHeaders = (): Record<string, string> => {
    const headers: Record<string, string> = {
      host: url.host,
      accept: 'application/json',
      'x-acs-action': action,
      'x-acs-version': ACR_API_VERSION,
      'x-acs-date': toAcsDate(now()),
      'x-acs-signature-nonce': randomBytes(16).toString('hex'),
      'x-acs-content-sha256': EMPTY_PAYLOAD_SHA256,
    };
    if (c.securityToken !== undefined) {
      headers['x-acs-security-token'] = c.securityToken;
      headers['x-acs-accesskey-id'] = c.accessKeyId;
    }
    headers.authorization = signAcs3(
      { method: 'POST', path: url.pathname, query, headers, payloadHash: EMPTY_PAYLOAD_SHA256 },
      c,
    );
    return headers;
  };
  const res = await sendApi(ctx, url, { method: 'POST', headers: signedHeaders, signal });
  const what = `${ctx.settings.name} ${action}`;
  const data = await readBounded(res.body, ctx.maxJsonBytes, what);
  let doc: Record<string, unknown> | undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      doc = parsed as Record<string, unknown>;
  } catch {
    // reported below with the status
  }
  const code = doc ? readString(doc, 'Code') : undefined;
  const message = doc ? (readString(doc, 'Message') ?? '') : '';
  const detail = code ? `: ${code}${message ? ` ${message}` : ''}` : '';
  const status = res.statusCode;
  if (status === 401 || status === 403 || (code !== undefined && AUTH_CODES.test(code))) {
    throw new PortcullisError(
      'REGISTRY_AUTH_FAILED',
      `${status} from ${ctx.settings.name} (${action}): check ${ctx.authHint}${detail}`,
    );
  }
  if (status === 404 || (code !== undefined && NOT_FOUND_CODES.test(code))) {
    throw new PortcullisError(
      'REGISTRY_NOT_FOUND',
      `${status} from ${ctx.settings.name} (${action}): not found${detail}`,
    );
  }
  if (status < 200 || status > 299) {
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${status} from ${ctx.settings.name} (${action})${detail}`,
    );
  }
  if (!doc)
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${what}: answered ${status} with a body that is not a JSON object`,
    );
  if (doc.IsSuccess === false) {
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${ctx.settings.name} (${action}) did not succeed${detail}`,
    );
  }
  return doc;
}

/**
 * Alibaba Cloud Container Registry Enterprise Edition OpenAPI (`cr`, 2018-12-01): ListNamespace,
 * ListRepository and ListRepoTag, paged with `PageNo`/`PageSize` until `TotalCount`, every request signed
 * ACS3-HMAC-SHA256. `ImageUpdate`/`ImageCreate` (epoch ms) are the update/creation times. `url` is the
 * instance's registry endpoint that images are pulled from.
 */
export function createAcrLister(settings: RegistrySettings, opts: CatalogListerOptions): CatalogLister {
  const instanceId = readRequired(settings, 'instanceId');
  const regionId = readRequired(settings, 'regionId');
  const accessKeyIdEnv = readRequired(settings, 'accessKeyIdEnv');
  const accessKeySecretEnv = readRequired(settings, 'accessKeySecretEnv');
  const securityTokenEnv = readOptional(settings, 'securityTokenEnv');
  const endpoint = readOptional(settings, 'endpoint') ?? `https://cr.${regionId}.aliyuncs.com`;
  const namespaces = settings.namespaces;
  if (
    namespaces !== undefined &&
    (!Array.isArray(namespaces) || namespaces.some((n) => typeof n !== 'string'))
  ) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: namespaces must be a list of names`,
    );
  }
  let pullHost: string;
  try {
    pullHost = settings.registryHost ?? new URL(settings.url).host;
  } catch (err) {
    throw new PortcullisError('USAGE_INVALID', `registry ${settings.name}: url is not a URL`, { cause: err });
  }
  const ctx = createApiContext(
    { ...settings, url: endpoint, registryHost: pullHost },
    opts,
    `${accessKeyIdEnv} and ${accessKeySecretEnv}${securityTokenEnv ? ` and ${securityTokenEnv}` : ''} (a RAM key allowed cr:List*)`,
  );
  const now = opts.now ?? (() => new Date());
  const creds = () => {
    const c: AcsCredentials & { securityToken?: string } = {
      accessKeyId: readSecretEnv(settings, ctx.env, accessKeyIdEnv, 'accessKeyIdEnv'),
      accessKeySecret: readSecretEnv(settings, ctx.env, accessKeySecretEnv, 'accessKeySecretEnv'),
    };
    if (securityTokenEnv)
      c.securityToken = readSecretEnv(settings, ctx.env, securityTokenEnv, 'securityTokenEnv');
    return c;
  };
  const repoIds = new Map<string, string>();

  /** Every item of a `PageNo`-paged action, until `PageNo*PageSize >= TotalCount` or an empty page. */
  async function* listPaged(
    action: string,
    query: Record<string, string>,
    field: string,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Record<string, unknown>> {
    const size = Math.min(ctx.pageSize, MAX_PAGE_SIZE);
    for (let page = 1; ; page++) {
      assertPageBudget(ctx, page - 1, action);
      signal?.throwIfAborted();
      const doc = await callAcr(
        ctx,
        action,
        { ...query, InstanceId: instanceId, PageNo: String(page), PageSize: String(size) },
        creds,
        now,
        signal,
      );
      const items = readArray(ctx, doc, field, action);
      yield* items;
      // TotalCount is a string in both SDKs; accept a number too.
      const total = Number(doc.TotalCount);
      if (items.length === 0 || !Number.isFinite(total) || page * size >= total) return;
    }
  }

  async function* listNamespaces(signal?: AbortSignal): AsyncGenerator<string> {
    if (namespaces !== undefined) {
      yield* namespaces as string[];
      return;
    }
    for await (const n of listPaged('ListNamespace', {}, 'Namespaces', signal)) {
      const name = readString(n, 'NamespaceName');
      if (name !== undefined && readString(n, 'NamespaceStatus') !== 'DELETING') yield name;
    }
  }

  async function* listRepositories(signal?: AbortSignal): AsyncGenerator<string> {
    for await (const ns of listNamespaces(signal)) {
      const query = { RepoNamespaceName: ns, RepoStatus: 'NORMAL' };
      for await (const r of listPaged('ListRepository', query, 'Repositories', signal)) {
        const name = readString(r, 'RepoName');
        const id = readString(r, 'RepoId');
        if (name === undefined || id === undefined) continue;
        const path = `${readString(r, 'RepoNamespaceName') ?? ns}/${name}`;
        repoIds.set(path, id);
        yield path;
      }
    }
  }

  /** RepoId of `ns/name`: from an earlier listing, else one filtered ListRepository call. */
  const findRepoId = async (repository: string, signal?: AbortSignal): Promise<string> => {
    const i = repository.indexOf('/');
    if (!repoIds.has(repository) && i > 0) {
      const query = {
        RepoNamespaceName: repository.slice(0, i),
        RepoName: repository.slice(i + 1),
        RepoStatus: 'NORMAL',
      };
      for await (const r of listPaged('ListRepository', query, 'Repositories', signal)) {
        const id = readString(r, 'RepoId');
        const path = `${readString(r, 'RepoNamespaceName')}/${readString(r, 'RepoName')}`;
        if (id !== undefined && path === repository) repoIds.set(repository, id);
      }
    }
    const id = repoIds.get(repository);
    if (id === undefined) {
      throw new PortcullisError(
        'REGISTRY_NOT_FOUND',
        `registry ${settings.name}: no repository ${repository}`,
      );
    }
    return id;
  };

  const fetchLogin = async (signal?: AbortSignal): Promise<TemporaryLogin> => {
    const doc = await callAcr(ctx, 'GetAuthorizationToken', { InstanceId: instanceId }, creds, now, signal);
    const username = readString(doc, 'TempUsername');
    const password = readString(doc, 'AuthorizationToken');
    const expiresAt = Number(doc.ExpireTime);
    if (username === undefined || password === undefined || !Number.isFinite(expiresAt)) {
      throw new PortcullisError(
        'REGISTRY_API_ERROR',
        `${settings.name} (GetAuthorizationToken): no TempUsername, AuthorizationToken or ExpireTime`,
      );
    }
    return { username, password, expiresAt };
  };

  return {
    listRepositories,
    async *listImages(repository, signal) {
      const repoId = await findRepoId(repository, signal);
      for await (const t of listPaged('ListRepoTag', { RepoId: repoId }, 'Images', signal)) {
        const tag = readString(t, 'Tag');
        if (tag === undefined || readString(t, 'Status') === 'DELETING') continue;
        const image: CatalogImage = {
          registry: settings.name,
          repository,
          reference: toPullReference(pullHost, repository, tag, undefined),
          tag,
        };
        const digest = toDigest(readString(t, 'Digest'));
        if (digest !== undefined) image.digest = digest;
        const updatedAt = toIsoTime(t.ImageUpdate);
        if (updatedAt !== undefined) image.updatedAt = updatedAt;
        const createdAt = toIsoTime(t.ImageCreate);
        if (createdAt !== undefined) image.createdAt = createdAt;
        yield image;
      }
    },
    // Without configured pull credentials, the AccessKey gets a temporary login (valid 1 h).
    ...createPullHooks(settings, opts, fetchLogin),
    close: () => ctx.transport.close(),
  };
}
