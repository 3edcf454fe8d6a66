import { parseReference, toImageReference } from '../../reference.js';
import type { SourceOptions } from '../../types.js';
import { openRegistryImage } from '../image.js';
import { toIsoTime, toRegistrySourceOptions } from './api.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

/**
 * The image config's `created` (build time; distribution has no push time), read through the existing
 * registry client: manifest (platform picked from an index), then the config blob. No layer is read.
 */
export async function readConfigCreatedAt(
  image: CatalogImage,
  options: SourceOptions,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (image.createdAt !== undefined) return image.createdAt;
  signal?.throwIfAborted();
  const parsed = parseReference(image.reference);
  // A digest pins what was listed, so a tag moved since listing does not change the answer.
  const ref =
    image.digest !== undefined
      ? toImageReference({ domain: parsed.domain, path: parsed.path, digest: image.digest })
      : parsed;
  const src = await openRegistryImage(ref, options);
  await src.close();
  return toIsoTime(src.meta.config.created);
}

/** A temporary pull login (ACR's GetAuthorizationToken) and when it stops working. */
export interface TemporaryLogin {
  username: string;
  password: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** How long before its expiry a temporary login is renewed. */
const LOGIN_RENEW_MARGIN_MS = 5 * 60_000;

/**
 * A lister's `resolvePullOptions` and `resolveCreatedAt`: pull options built on first use (credential env
 * vars are read then), with a temporary login when `fetchLogin` is given and no credentials are configured,
 * renewed before it expires.
 */
export function createPullHooks(
  settings: RegistrySettings,
  opts: CatalogListerOptions,
  fetchLogin?: (signal?: AbortSignal) => Promise<TemporaryLogin>,
): Pick<CatalogLister, 'resolvePullOptions' | 'resolveCreatedAt'> {
  let base: SourceOptions | undefined;
  let login: TemporaryLogin | undefined;
  const now = () => (opts.now ?? (() => new Date()))().getTime();
  const c = settings.credentials;
  const configured =
    c?.usernameEnv !== undefined || c?.passwordEnv !== undefined || c?.dockerConfig !== undefined;
  const resolvePullOptions = async (signal?: AbortSignal): Promise<SourceOptions> => {
    base ??= toRegistrySourceOptions(settings, opts);
    if (!fetchLogin || configured) return base;
    if (!login || login.expiresAt - LOGIN_RENEW_MARGIN_MS <= now()) login = await fetchLogin(signal);
    return { ...base, username: login.username, password: login.password };
  };
  return {
    resolvePullOptions,
    resolveCreatedAt: async (image, signal) =>
      readConfigCreatedAt(image, await resolvePullOptions(signal), signal),
  };
}
