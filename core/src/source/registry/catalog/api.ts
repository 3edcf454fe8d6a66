import { readFileSync } from 'node:fs';
import { PortcullisError, isPortcullisError } from '../../../errors.js';
import { readBounded } from '../../bytes.js';
import { resolveLimits, type SourceOptions } from '../../types.js';
import { createCredentialLookup, type Credentials } from '../credentials.js';
import { createTransport, readErrorText, type HttpResponse, type SendInit, type Transport } from '../http.js';
import type { CatalogListerOptions, RegistrySettings } from './types.js';

const DEFAULT_PAGE_SIZE = 100;

/** What every lister needs: the settings, one transport (CA, loopback rule, retries) and its limits. */
export interface ApiContext {
  settings: RegistrySettings;
  /** `settings.url` parsed; API paths are appended to its path. */
  base: URL;
  /** `host[:port]` images are pulled from. */
  pullHost: string;
  env: NodeJS.ProcessEnv;
  transport: Transport;
  pageSize: number;
  maxPages: number;
  maxJsonBytes: number;
  /** What a user should check after a 401/403 (`HARBOR_USER and HARBOR_PASSWORD`). */
  authHint: string;
}

/** A parsed JSON answer with its headers and the URL that was asked. */
export interface ApiAnswer {
  doc: unknown;
  headers: HttpResponse['headers'];
  url: URL;
}

/** `settings.url` as a URL; USAGE_INVALID naming the registry when it is not an http(s) URL. */
export function parseBaseUrl(settings: RegistrySettings): URL {
  let base: URL;
  try {
    base = new URL(settings.url);
  } catch (err) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: url ${JSON.stringify(settings.url)} is not a URL`,
      {
        cause: err,
      },
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: url must be http(s), not ${base.protocol}`,
    );
  }
  return base;
}

function readCaCert(settings: RegistrySettings): string | undefined {
  if (settings.caCert === undefined) return undefined;
  try {
    return readFileSync(settings.caCert, 'utf8');
  } catch (err) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: cannot read caCert ${settings.caCert}`,
      {
        cause: err,
      },
    );
  }
}

/** Hosts that may be reached over plain HTTP for these settings (besides loopback). */
function insecureHosts(settings: RegistrySettings, base: URL, pullHost: string): string[] | undefined {
  return settings.insecure === true ? [base.host, pullHost] : undefined;
}

/** Builds the context; `authHint` names the env vars that hold this kind's credentials. */
export function createApiContext(
  settings: RegistrySettings,
  opts: CatalogListerOptions,
  authHint: string,
): ApiContext {
  const base = parseBaseUrl(settings);
  const pullHost = settings.registryHost ?? base.host;
  const limits = resolveLimits(opts.maxRetries === undefined ? {} : { maxRetries: opts.maxRetries });
  const transport = createTransport({
    dispatcher: opts.dispatcher,
    caCert: readCaCert(settings),
    insecureRegistries: insecureHosts(settings, base, pullHost),
    limits,
    sleep: opts.sleep,
    maxRetryAfterMs: opts.maxRetryAfterMs,
  });
  return {
    settings,
    base,
    pullHost,
    env: opts.env ?? process.env,
    transport,
    pageSize: opts.pageSize ?? DEFAULT_PAGE_SIZE,
    maxPages: limits.maxPages,
    maxJsonBytes: limits.maxJsonBytes,
    authHint,
  };
}

/** Source options for pulling this registry's images through the existing registry client. */
export function toRegistrySourceOptions(
  settings: RegistrySettings,
  opts: CatalogListerOptions = {},
): SourceOptions {
  const base = parseBaseUrl(settings);
  const pullHost = settings.registryHost ?? base.host;
  const out: SourceOptions = {};
  if (opts.env) out.env = opts.env;
  if (opts.dispatcher) out.dispatcher = opts.dispatcher;
  if (opts.sleep) out.sleep = opts.sleep;
  if (opts.maxRetryAfterMs !== undefined) out.maxRetryAfterMs = opts.maxRetryAfterMs;
  if (opts.maxRetries !== undefined) out.limits = { maxRetries: opts.maxRetries };
  const ca = readCaCert(settings);
  if (ca !== undefined) out.caCert = ca;
  const insecure = insecureHosts(settings, base, pullHost);
  if (insecure) out.insecureRegistries = insecure;
  const c = settings.credentials;
  if (c?.dockerConfig !== undefined) out.dockerConfigPath = c.dockerConfig;
  if (c?.usernameEnv !== undefined || c?.passwordEnv !== undefined) {
    const creds = readEnvCredentials(settings, opts.env ?? process.env);
    if (creds) {
      out.username = creds.username;
      out.password = creds.password;
    }
  }
  return out;
}

/** The value of a `…Env` setting; REGISTRY_AUTH_FAILED naming the variable when it is unset. */
export function readSecretEnv(
  settings: RegistrySettings,
  env: NodeJS.ProcessEnv,
  name: string,
  field: string,
): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new PortcullisError(
      'REGISTRY_AUTH_FAILED',
      `registry ${settings.name}: ${field} names ${name}, which is not set`,
    );
  }
  return value;
}

/** `credentials.usernameEnv`/`passwordEnv` read from env; undefined when neither is configured. */
export function readEnvCredentials(
  settings: RegistrySettings,
  env: NodeJS.ProcessEnv,
): Credentials | undefined {
  const c = settings.credentials;
  if (c?.usernameEnv === undefined && c?.passwordEnv === undefined) return undefined;
  if (c.usernameEnv === undefined || c.passwordEnv === undefined) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `registry ${settings.name}: credentials need both usernameEnv and passwordEnv`,
    );
  }
  return {
    username: readSecretEnv(settings, env, c.usernameEnv, 'credentials.usernameEnv'),
    password: readSecretEnv(settings, env, c.passwordEnv, 'credentials.passwordEnv'),
  };
}

/** Username/password from the env settings, else the docker config's entry for the API host. */
export function readBasicCredentials(ctx: ApiContext): Credentials | undefined {
  const fromEnv = readEnvCredentials(ctx.settings, ctx.env);
  if (fromEnv) return fromEnv;
  const dockerConfig = ctx.settings.credentials?.dockerConfig;
  if (dockerConfig === undefined) return undefined;
  return createCredentialLookup({ env: {}, dockerConfigPath: dockerConfig })(ctx.base.host);
}

/** `Basic …` for credentials (never logged). */
export function toBasicAuthorization(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** The names of the env vars (or file) holding Basic credentials, for error hints. */
export function describeBasicCredentials(settings: RegistrySettings): string {
  const c = settings.credentials;
  if (c?.usernameEnv !== undefined || c?.passwordEnv !== undefined) {
    return [c.usernameEnv, c.passwordEnv].filter(Boolean).join(' and ');
  }
  if (c?.dockerConfig !== undefined) return `the ${c.dockerConfig} auths entry`;
  return 'credentials (none are configured: set credentials.usernameEnv/passwordEnv)';
}

/** `settings.url` + `path` (kept under the URL's own path) + query, skipping undefined values. */
export function toApiUrl(
  ctx: ApiContext,
  path: string,
  query: Record<string, string | number | boolean | undefined> = {},
): URL {
  const url = new URL(ctx.base.origin);
  url.pathname = ctx.base.pathname.replace(/\/+$/, '') + path;
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/** Throws SOURCE_LIMIT_EXCEEDED past the page budget, so a server that pages forever cannot hang a task. */
export function assertPageBudget(ctx: ApiContext, page: number, what: string): void {
  if (page >= ctx.maxPages) {
    throw new PortcullisError(
      'SOURCE_LIMIT_EXCEEDED',
      `${ctx.settings.name}: ${what}: more than ${ctx.maxPages} pages`,
    );
  }
}

/** Maps a non-success answer to the contract's codes, naming the registry, path and what to check. */
export async function toApiError(
  ctx: ApiContext,
  res: HttpResponse,
  method: string,
  url: URL,
): Promise<PortcullisError> {
  const detail = await readErrorText(res);
  const where = `${method} ${url.pathname}`;
  const suffix = detail ? `: ${detail}` : '';
  const status = res.statusCode;
  if (status === 401 || status === 403) {
    return new PortcullisError(
      'REGISTRY_AUTH_FAILED',
      `${status} from ${ctx.settings.name} (${where}): check ${ctx.authHint}${suffix}`,
    );
  }
  if (status === 404) {
    return new PortcullisError(
      'REGISTRY_NOT_FOUND',
      `404 from ${ctx.settings.name} (${where}): not found${suffix}`,
    );
  }
  return new PortcullisError('REGISTRY_API_ERROR', `${status} from ${ctx.settings.name} (${where})${suffix}`);
}

/** Parses a bounded JSON body; REGISTRY_API_ERROR when it is not JSON. */
export async function readJson(
  ctx: ApiContext,
  res: HttpResponse,
  method: string,
  url: URL,
): Promise<unknown> {
  const what = `${ctx.settings.name} ${method} ${url.pathname}`;
  const data = await readBounded(res.body, ctx.maxJsonBytes, what);
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch (err) {
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${what}: answered ${res.statusCode} with a body that is not JSON`,
      {
        cause: err,
      },
    );
  }
}

/** Sends one request, prefixing transport errors (429 exhaustion, TLS, refused HTTP) with the registry name. */
export async function sendApi(ctx: ApiContext, url: URL, init: SendInit): Promise<HttpResponse> {
  try {
    return await ctx.transport.send(url, init);
  } catch (err) {
    if (isPortcullisError(err)) {
      throw new PortcullisError(err.code, `${ctx.settings.name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** A GET (or signed POST) that must answer 2xx with JSON; every other answer is a coded error. */
export async function fetchJson(
  ctx: ApiContext,
  url: URL,
  init: SendInit & { headers?: Record<string, string> },
): Promise<ApiAnswer> {
  const res = await sendApi(ctx, url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  if (res.statusCode < 200 || res.statusCode > 299) throw await toApiError(ctx, res, init.method, url);
  return { doc: await readJson(ctx, res, init.method, url), headers: res.headers, url };
}

/** The first value of a header. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `doc[field]` as an array of objects; REGISTRY_API_ERROR when the shape is wrong. */
export function readArray(
  ctx: ApiContext,
  doc: unknown,
  field: string | undefined,
  what: string,
): Record<string, unknown>[] {
  const value = field === undefined ? doc : (doc as Record<string, unknown> | null)?.[field];
  if (value === undefined || value === null) {
    if (field !== undefined && typeof doc === 'object' && doc !== null) return [];
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${ctx.settings.name}: ${what}: expected ${field ? `"${field}"` : 'a JSON array'}`,
    );
  }
  if (!Array.isArray(value)) {
    throw new PortcullisError(
      'REGISTRY_API_ERROR',
      `${ctx.settings.name}: ${what}: ${field ? `"${field}"` : 'the answer'} is not an array`,
    );
  }
  return value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null);
}

/** A string field, or undefined. */
export function readString(obj: Record<string, unknown>, field: string): string | undefined {
  const v = obj[field];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * RFC 3339 from what registries send: epoch ms (number or digit string, ACR), epoch seconds when
 * `unit` says so (Quay), or a date string (RFC 3339 or RFC 2822). Undefined when unreadable.
 */
export function toIsoTime(value: unknown, unit: 'ms' | 's' = 'ms'): string | undefined {
  let ms: number;
  if (typeof value === 'number') ms = unit === 's' ? value * 1000 : value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) ms = Number(value) * (unit === 's' ? 1000 : 1);
  else if (typeof value === 'string' && value !== '') ms = Date.parse(value);
  else return undefined;
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** Normalises a digest: ACR sends bare hex. */
export function toDigest(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^[a-f0-9]{64}$/.test(value)) return `sha256:${value}`;
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(value) ? value : undefined;
}

/** `host/repo:tag`, or `host/repo@digest` for an untagged image. */
export function toPullReference(
  host: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
): string {
  if (tag !== undefined) return `${host}/${repository}:${tag}`;
  return `${host}/${repository}@${digest ?? ''}`;
}

/** The answer as a JSON object; REGISTRY_API_ERROR otherwise. */
export function readObject(ctx: ApiContext, doc: unknown, what: string): Record<string, unknown> {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PortcullisError('REGISTRY_API_ERROR', `${ctx.settings.name}: ${what}: expected a JSON object`);
  }
  return doc as Record<string, unknown>;
}
