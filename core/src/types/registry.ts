/** The registry APIs a catalog can be listed from. */
export type RegistryKind = 'distribution' | 'harbor' | 'quay' | 'gitlab' | 'acr';

export const REGISTRY_KINDS: readonly RegistryKind[] = ['distribution', 'harbor', 'quay', 'gitlab', 'acr'];

/**
 * One entry of the policy file's `registries:` list (parsed). Kind-specific fields:
 * - harbor `{ projects?: string[] }` (default: every project the account sees)
 * - quay `{ namespaces: string[] }` (API token in `credentials.tokenEnv`)
 * - gitlab `{ groups?: string[]; projects?: string[]; tokenKind?: 'private' | 'job' }` (token in `credentials.tokenEnv`)
 * - acr `{ instanceId: string; regionId: string; accessKeyIdEnv: string; accessKeySecretEnv: string;
 *   securityTokenEnv?: string; endpoint?: string; namespaces?: string[] }`: `url` is the instance's registry
 *   endpoint (pulls), `endpoint` the OpenAPI one (default `https://cr.<regionId>.aliyuncs.com`)
 */
export interface RegistrySettings {
  name: string;
  kind: RegistryKind;
  /** API base (`https://harbor.example.com`). */
  url: string;
  /** `host[:port]` for pulls when it differs from url's (GitLab, ACR). */
  registryHost?: string;
  /**
   * Env var names (never the secrets themselves) or a docker config file. `tokenEnv` is the API token
   * for quay (OAuth bearer) and gitlab (`PRIVATE-TOKEN`, or `JOB-TOKEN` for `CI_JOB_TOKEN`).
   */
  credentials?: { usernameEnv?: string; passwordEnv?: string; tokenEnv?: string; dockerConfig?: string };
  repositories?: { include?: string[]; exclude?: string[] };
  autoAddNew?: boolean;
  throttle?: { imagesPerHour: number };
  /** Images scanned at once per task (default 2); the throttle still holds. */
  concurrency?: number;
  tags?: { latest?: number };
  insecure?: boolean;
  /** PEM file path of an extra CA to trust. */
  caCert?: string;
  [k: string]: unknown;
}
