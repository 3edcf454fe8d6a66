import type { CatalogImage, CatalogLister } from '../source/registry/catalog/types.js';

/** One image as listed (a catalog lister's CatalogImage). */
export type ListedImage = CatalogImage;

/**
 * The listing side of a task, as the engine needs it: a catalog lister (`createCatalogLister`), or an in-memory
 * one in tests. `resolveCreatedAt` is asked only when the time range is on and the listing had no time.
 */
export type ImageLister = Pick<CatalogLister, 'listRepositories' | 'listImages'> &
  Partial<Pick<CatalogLister, 'resolveCreatedAt'>>;
