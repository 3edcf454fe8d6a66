import { isPortcullisError } from '../errors.js';

/** The parts of a registry's settings a cause names. */
export interface CauseContext {
  name: string;
  credentials?: { usernameEnv?: string; passwordEnv?: string; dockerConfig?: string };
}

function credentialHint(ctx: CauseContext): string {
  const c = ctx.credentials;
  const envs = [c?.usernameEnv, c?.passwordEnv].filter((v): v is string => typeof v === 'string');
  if (envs.length > 0) return `check ${envs.join(' and ')}`;
  if (c?.dockerConfig) return `check the credentials in ${c.dockerConfig}`;
  return 'no credentials are configured for it (credentials.usernameEnv/passwordEnv or dockerConfig)';
}

/** The first line of the underlying error message, for context after the advice. */
function detail(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return (m.split('\n')[0] ?? '').slice(0, 300);
}

/**
 * Turns a pull or scan error into a cause a user can act on (`401 from harbor-prod: check HARBOR_USER`), with
 * the error code for scripts. Codes from the registry client and from the catalog listers are both mapped.
 */
export function toFailureCause(err: unknown, ctx: CauseContext): { cause: string; code: string } {
  // a string, not ErrorCode: the catalog listers add codes of their own (REGISTRY_AUTH_FAILED, …)
  const code: string = isPortcullisError(err) ? err.code : 'INTERNAL';
  const text = detail(err);
  const say = (cause: string): { cause: string; code: string } => ({ cause: `${cause} (${text})`, code });
  switch (code) {
    case 'REGISTRY_UNAUTHORIZED':
    case 'REGISTRY_AUTH_FAILED':
      return say(
        /\b403\b|denied/i.test(text)
          ? `403 from ${ctx.name}: the account may not pull this repository; ${credentialHint(ctx)}`
          : `401 from ${ctx.name}: ${credentialHint(ctx)}`,
      );
    case 'REGISTRY_DENIED':
      return say(`403 from ${ctx.name}: the account may not pull this repository; ${credentialHint(ctx)}`);
    case 'REGISTRY_NOT_FOUND':
      return say(`404 from ${ctx.name}: the image is gone (deleted or retagged after it was listed)`);
    case 'REGISTRY_RATE_LIMITED':
      return say(`429 from ${ctx.name}: still rate limited after retries; lower throttle.imagesPerHour`);
    case 'REGISTRY_UNAVAILABLE':
      if (/\b429\b/.test(text))
        return say(`429 from ${ctx.name}: still rate limited after retries; lower throttle.imagesPerHour`);
      return say(`${ctx.name} unreachable or failing (5xx / connection error); retried and gave up`);
    case 'REGISTRY_TLS':
      return say(`TLS to ${ctx.name} failed: trust its CA with caCert`);
    case 'REGISTRY_INSECURE_REFUSED':
      return say(`${ctx.name} speaks plain HTTP: allow it with insecure: true`);
    case 'SOURCE_DIGEST_MISMATCH':
      return say(
        `digest mismatch from ${ctx.name}: the content served does not match its digest (corrupt storage or a proxy rewriting it)`,
      );
    case 'SOURCE_MANIFEST_UNSUPPORTED':
      return say(`unsupported media type from ${ctx.name}: not a container image this scanner reads`);
    case 'SOURCE_PLATFORM_NOT_FOUND':
      return say(`no linux/amd64 image in this index`);
    case 'REGISTRY_PROTOCOL':
    case 'REGISTRY_API_ERROR':
    case 'SOURCE_MANIFEST_INVALID':
      return say(`${ctx.name} answered something that is not a valid registry response`);
    default:
      if (code.startsWith('LAYER_')) return say('a layer could not be read');
      return say(`scan failed [${code}]`);
  }
}
