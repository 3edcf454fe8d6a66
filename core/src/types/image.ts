/** Parts of the OCI / Docker image config that analyzers and reports use. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, unknown>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, unknown> | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number };
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: HistoryEntry[];
}

export interface HistoryEntry {
  created?: string;
  author?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface LayerInfo {
  /** Digest of the blob as stored (compressed). */
  digest: string;
  /** Digest of the uncompressed tar (rootfs.diff_ids). */
  diffId?: string;
  mediaType?: string;
  size?: number;
  /** history created_by of the entry that made this layer (empty layers skipped). */
  createdBy?: string;
}

/** Everything known about an image before its layers are read. */
export interface ImageMeta {
  /** Reference as the user gave it (normalised where it is a registry reference). */
  ref: string;
  /** Manifest digest (`sha256:…`), when the source has one. */
  digest?: string;
  /** Index digest the manifest was selected from, if any. */
  indexDigest?: string;
  configDigest: string;
  config: ImageConfig;
  layers: LayerInfo[];
  platform?: { os: string; architecture: string; variant?: string };
  repoTags?: string[];
}
