import type { Dispatcher } from 'undici';
import type { SourceOptions } from '../../types.js';

// the `registries:` entry is written in the policy file and read here: one shape, in core's shared types
export { REGISTRY_KINDS, type RegistryKind, type RegistrySettings } from '../../../types/registry.js';
import type { RegistrySettings } from '../../../types/registry.js';

/** One image (a tag, or an untagged digest) found in a registry's catalog. */
export interface CatalogImage {
  /** Settings name. */
  registry: string;
  /** Repository path as pulled (`team-a/app`). */
  repository: string;
  /** Full pull reference `host[:port]/repo:tag` or `…@digest` (for the existing registry client). */
  reference: string;
  tag?: string;
  digest?: string;
  /** RFC 3339: push/update time when the API has one. */
  updatedAt?: string;
  /** RFC 3339: creation time (fallback for the time range). */
  createdAt?: string;
}

/** Lists what a registry holds, following every page. */
export interface CatalogLister {
  /** Repository paths (as pulled), every page followed. */
  listRepositories(signal?: AbortSignal): AsyncIterable<string>;
  /** Images of one repository (one per tag), every page followed. */
  listImages(repository: string, signal?: AbortSignal): AsyncIterable<CatalogImage>;
  /**
   * Creation time of an image whose listing carried no time (the `distribution` kind): read from the
   * image config's `created` through the registry client. Lazy so plain listing pulls no configs;
   * undefined when the config has no `created`.
   */
  resolveCreatedAt(image: CatalogImage, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * Options for pulling this registry's images through the registry client (`openImage`,
   * `createRegistryClient`): CA, insecure hosts, credentials from the env vars — or, for `acr` without
   * configured credentials, a temporary login from GetAuthorizationToken, renewed before it expires.
   */
  resolvePullOptions(signal?: AbortSignal): Promise<SourceOptions>;
  /** Releases connections the lister opened itself. */
  close(): Promise<void>;
}

/** Options for `createCatalogLister`. */
export interface CatalogListerOptions {
  /** undici dispatcher for every request (tests inject one). */
  dispatcher?: Dispatcher;
  /** Where the `…Env` settings are read from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Clock for signed requests (ACR's `x-acs-date`); default `new Date()`. */
  now?: () => Date;
  /** Waits between retries (429 Retry-After, 5xx); tests inject one that does not wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Retries after a 429/5xx before giving up (default 3). */
  maxRetries?: number;
  /** Longest Retry-After honoured, in ms (default 60 000); longer waits give up with REGISTRY_RATE_LIMITED. */
  maxRetryAfterMs?: number;
  /** Page size asked for (default 100; each API's own maximum applies). */
  pageSize?: number;
}

export type CreateCatalogLister = (settings: RegistrySettings, opts?: CatalogListerOptions) => CatalogLister;
