import { PortcullisError } from '../../../errors.js';
import { createAcrLister } from './acr.js';
import { createDistributionLister } from './distribution.js';
import { createGitlabLister } from './gitlab.js';
import { createHarborLister } from './harbor.js';
import { createQuayLister } from './quay.js';
import {
  REGISTRY_KINDS,
  type CatalogLister,
  type CatalogListerOptions,
  type RegistrySettings,
} from './types.js';

/** Creates the lister for a registry's kind. USAGE_INVALID for an unknown kind or missing kind settings. */
export function createCatalogLister(
  settings: RegistrySettings,
  opts: CatalogListerOptions = {},
): CatalogLister {
  switch (settings.kind) {
    case 'distribution':
      return createDistributionLister(settings, opts);
    case 'harbor':
      return createHarborLister(settings, opts);
    case 'quay':
      return createQuayLister(settings, opts);
    case 'gitlab':
      return createGitlabLister(settings, opts);
    case 'acr':
      return createAcrLister(settings, opts);
    default:
      throw new PortcullisError(
        'USAGE_INVALID',
        `registry ${String(settings.name)}: kind ${JSON.stringify(settings.kind)} is not one of ${REGISTRY_KINDS.join(', ')}`,
      );
  }
}

export { toRegistrySourceOptions } from './api.js';
export { signAcs3, toAcs3CanonicalRequest, type Acs3Request, type AcsCredentials } from './acs3.js';
export { REGISTRY_KINDS } from './types.js';
export type {
  CatalogImage,
  CatalogLister,
  CatalogListerOptions,
  CreateCatalogLister,
  RegistryKind,
  RegistrySettings,
} from './types.js';
