import { PortcullisError, isPortcullisError } from '../../../errors.js';
import { parseRepository } from '../../reference.js';
import type { SourceOptions } from '../../types.js';
import { createRegistryClient, type RegistryClient } from '../client.js';
import { describeBasicCredentials, parseBaseUrl, toPullReference, toRegistrySourceOptions } from './api.js';
import { readConfigCreatedAt } from './created.js';
import type { CatalogImage, CatalogLister, CatalogListerOptions, RegistrySettings } from './types.js';

const DEFAULT_PAGE_SIZE = 100;

/**
 * Docker Registry HTTP API v2 / OCI distribution: `/v2/_catalog` and `/v2/<name>/tags/list`, both
 * paged with `n` and followed through `Link` (the registry client resolves relative links and refuses
 * other origins). No times in either listing: `resolveCreatedAt` reads the config's `created` on demand.
 */
export function createDistributionLister(
  settings: RegistrySettings,
  opts: CatalogListerOptions,
): CatalogLister {
  let sourceOptions: SourceOptions | undefined;
  const host = settings.registryHost ?? parseBaseUrl(settings).host;
  const pageSize = opts.pageSize ?? DEFAULT_PAGE_SIZE;
  let client: RegistryClient | undefined;
  // Built on first use so unset credential env vars surface as a listing error, not a constructor throw.
  const getOptions = () => (sourceOptions ??= toRegistrySourceOptions(settings, opts));
  const getClient = () => (client ??= createRegistryClient(getOptions()));

  /** Keeps the code for everything but auth, which gets the contract's code and a hint what to check. */
  const toListingError = (err: unknown): unknown => {
    if (!isPortcullisError(err)) return err;
    if (err.code === 'REGISTRY_UNAUTHORIZED' || err.code === 'REGISTRY_DENIED') {
      return new PortcullisError(
        'REGISTRY_AUTH_FAILED',
        `${err.code === 'REGISTRY_DENIED' ? 403 : 401} from ${settings.name}: check ${describeBasicCredentials(settings)} (${err.message})`,
        { cause: err },
      );
    }
    const code = err.code === 'REGISTRY_PROTOCOL' ? 'REGISTRY_API_ERROR' : err.code;
    return new PortcullisError(code, `${settings.name}: ${err.message}`, { cause: err });
  };

  return {
    async *listRepositories(signal) {
      signal?.throwIfAborted();
      let repos: string[];
      try {
        repos = await getClient().listCatalog(host, { pageSize });
      } catch (err) {
        throw toListingError(err);
      }
      yield* repos;
    },
    async *listImages(repository, signal) {
      signal?.throwIfAborted();
      let tags: string[];
      try {
        tags = await getClient().listTags(parseRepository(`${host}/${repository}`), { pageSize });
      } catch (err) {
        throw toListingError(err);
      }
      for (const tag of tags) {
        const image: CatalogImage = {
          registry: settings.name,
          repository,
          reference: toPullReference(host, repository, tag, undefined),
          tag,
        };
        yield image;
      }
    },
    resolvePullOptions: () => Promise.resolve(getOptions()),
    async resolveCreatedAt(image, signal) {
      try {
        return await readConfigCreatedAt(image, getOptions(), signal);
      } catch (err) {
        throw toListingError(err);
      }
    },
    async close() {
      await client?.close();
    },
  };
}
