import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { ImageMeta, LayerInfo } from '../types/image.js';

/** An opened image: its metadata, and its layer blobs on demand. */
export interface ImageSource {
  meta: ImageMeta;
  /**
   * The layer blob as stored (maybe compressed). The stream verifies the bytes while they flow and
   * errors with SOURCE_DIGEST_MISMATCH at the end when they do not hash to `layer.digest`.
   */
  openLayer(layer: LayerInfo): Promise<Readable>;
  /** Releases file handles and temp files. Safe to call twice. */
  close(): Promise<void>;
}

/** Hard caps that keep hostile input from exhausting memory, disk or time. */
export interface SourceLimits {
  /** Largest manifest, index, config or token JSON read into memory. */
  maxJsonBytes: number;
  /** Most members a docker/oci archive may have. */
  maxArchiveMembers: number;
  /** Largest decompressed size of a gzip-compressed archive (it is unpacked to a temp file). */
  maxArchiveBytes: number;
  /**
   * Decompressed ÷ compressed size of a gzip-compressed archive, checked as it is unpacked once past
   * `archiveRatioFloorBytes`: the same bomb limit as for layers (`LayerLimits.maxRatio`).
   */
  maxArchiveRatio: number;
  /** Below this many decompressed bytes the archive's ratio is not checked. */
  archiveRatioFloorBytes: number;
  /** Deepest nesting of image indexes. */
  maxIndexDepth: number;
  /** Most redirects followed for one request. */
  maxRedirects: number;
  /** Retries after a 5xx, 429 or connection error (so `maxRetries + 1` attempts). */
  maxRetries: number;
  /** Most pages followed when listing tags or the catalog. */
  maxPages: number;
  /** Per registry request: most milliseconds until the response headers arrive. */
  registryHeadersTimeoutMs: number;
  /** Per registry response: most milliseconds without a body byte (a stalled or dripping server). */
  registryBodyIdleTimeoutMs: number;
  /**
   * One image from a registry, from its first manifest request to its last layer byte (layers stream while
   * the scan runs, so this bounds the whole scan of a registry image).
   */
  registryImageTimeoutMs: number;
}

export const DEFAULT_LIMITS: SourceLimits = {
  maxJsonBytes: 4 * 1024 * 1024,
  maxArchiveMembers: 100_000,
  maxArchiveBytes: 32 * 1024 * 1024 * 1024,
  maxArchiveRatio: 200,
  archiveRatioFloorBytes: 64 * 1024 * 1024,
  maxIndexDepth: 4,
  maxRedirects: 5,
  maxRetries: 3,
  maxPages: 1000,
  registryHeadersTimeoutMs: 30_000,
  registryBodyIdleTimeoutMs: 30_000,
  registryImageTimeoutMs: 15 * 60_000,
};

/** Something worth telling a user while an image is fetched. */
export type ProgressEvent =
  | { kind: 'manifest'; ref: string; digest: string; mediaType: string }
  | { kind: 'blob'; digest: string; bytes: number; total?: number; done: boolean }
  | { kind: 'decompress'; path: string; bytes: number };

/** Options for `openImage` and the registry client. */
export interface SourceOptions {
  /** `os/arch[/variant]` to select from an index; default `linux/amd64`. */
  platform?: string;
  username?: string;
  password?: string;
  /** Environment to read `PORTCULLIS_REGISTRY_AUTH=user:pass` from; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Docker config with `auths` (base64 `auth`); default `~/.docker/config.json`. */
  dockerConfigPath?: string;
  /** Hosts (`host:port`) that may be reached over plain HTTP besides loopback. */
  insecureRegistries?: string[];
  /** Extra CA certificate(s), PEM, trusted for registry TLS. Ignored when `dispatcher` is given. */
  caCert?: string | Buffer;
  /** undici dispatcher for every registry request (tests inject one). */
  dispatcher?: Dispatcher;
  /** Aborts every registry request (and body) of the client; its reason is the error reported. */
  signal?: AbortSignal;
  limits?: Partial<SourceLimits>;
  onProgress?: (e: ProgressEvent) => void;
  /** Directory for temp files (decompressed archives); default `os.tmpdir()`. */
  tmpDir?: string;
}

/** `limits` with every default filled in. */
export function resolveLimits(limits: Partial<SourceLimits> | undefined): SourceLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
