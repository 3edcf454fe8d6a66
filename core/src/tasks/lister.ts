/**
 * The listing side of a task, as the engine needs it. Structurally the catalog lister's contract
 * (`core/src/source/registry/catalog/types.ts`: CatalogLister, CatalogImage), so the engine takes either the
 * real listers or an in-memory one in tests.
 */
export interface ListedImage {
  /** Settings name of the registry. */
  registry: string;
  /** Repository path as pulled (`team-a/app`). */
  repository: string;
  /** Full pull reference (`host[:port]/repo:tag` or `@digest`). */
  reference: string;
  tag?: string;
  digest?: string;
  /** RFC 3339 push/update time, when the registry's API has one. */
  updatedAt?: string;
  /** RFC 3339 creation time: the time range's fallback. */
  createdAt?: string;
  /** Looks the creation time up (image config) only when the time range needs it. */
  resolveCreatedAt?: () => Promise<string | undefined>;
}

export interface ImageLister {
  listRepositories(signal?: AbortSignal): AsyncIterable<string>;
  listImages(repository: string, signal?: AbortSignal): AsyncIterable<ListedImage>;
}
