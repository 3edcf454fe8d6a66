export { openImage, parseImageInput, type ImageInput } from './open.js';
export {
  parseReference,
  parseRepository,
  toImageReference,
  DEFAULT_DOMAIN,
  DOCKER_HUB_HOST,
  type ImageReference,
} from './reference.js';
export {
  DEFAULT_LIMITS,
  resolveLimits,
  type ImageSource,
  type ProgressEvent,
  type SourceLimits,
  type SourceOptions,
} from './types.js';
export {
  MEDIA_TYPES,
  MANIFEST_ACCEPT,
  DEFAULT_PLATFORM,
  parseManifestDocument,
  parsePlatform,
  isPlatformMatch,
  isAttestation,
  selectPlatform,
  toBareMediaType,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './manifest.js';
export { computeDigest, createDigestVerifier, isDigest, parseDigest, assertDigest } from './digest.js';
export { parseImageConfig, toImageMeta } from './meta.js';
export {
  createRegistryClient,
  toRegistryHost,
  type ManifestResult,
  type PingResult,
  type RegistryClient,
} from './registry/client.js';
export { openRegistryImage } from './registry/image.js';
export { isLoopbackHost } from './registry/http.js';
export {
  createCatalogLister,
  toRegistrySourceOptions,
  REGISTRY_KINDS,
  type CatalogImage,
  type CatalogLister,
  type CatalogListerOptions,
  type CreateCatalogLister,
  type RegistryKind,
  type RegistrySettings,
} from './registry/catalog/index.js';
