import { parse as parseYaml } from 'yaml';
import {
  PortcullisError,
  parseStoreSpec as parseCoreStoreSpec,
  toDurationMs,
  type Problem,
  type StoreSpec,
} from '../../core/src/index.js';
import { parseOidcIssuers, parseTrustedKeys } from './config-push.js';
import { isObj, type Raw } from './raw.js';

import {
  ADMISSION_MODES,
  UNKNOWN_IMAGE_MODES,
  type AdmissionMode,
  type FailureMode,
  type UnknownImageMode,
} from './modes.js';

export { ADMISSION_MODES, UNKNOWN_IMAGE_MODES } from './modes.js';
export type { AdmissionMode, FailureMode, UnknownImageMode } from './modes.js';

/** Where scan results live. */
export type StoreConfig = StoreSpec;

/** A key trusted to sign pushed verdicts (JWS): a PEM SPKI public key or a public JWK. */
export interface TrustedKeyConfig {
  kid?: string;
  /** JWS algorithm the key is used with (`ES256`, `EdDSA`, `RS256`, …). */
  alg: string;
  publicKeyPem?: string;
  jwk?: Record<string, unknown>;
}

/** A CI OIDC issuer whose tokens may push verdicts. */
export interface OidcIssuerConfig {
  /** `https://token.actions.githubusercontent.com` or `https://gitlab.com`. */
  issuer: string;
  /** Remote JWKS; defaults to the issuer's well-known location. */
  jwksUri?: string;
  /** Local JWKS (air-gapped clusters, tests); used instead of jwksUri when set. */
  jwks?: { keys: Record<string, unknown>[] };
  audience: string;
  /** Claim name → allowed values (glob patterns), all must match: `{ repository: ['org/*'], ref: ['refs/heads/main'] }`. */
  claims: Record<string, string[]>;
  /** Image references this issuer may push for (globs); empty = any. */
  images: string[];
}

/** Break-glass: an annotation on the object that lets a pod in despite a deny, with a ticket and an expiry. */
export interface BreakGlassConfig {
  annotation: string;
  /** Namespaces where break-glass is honoured; empty = nowhere. */
  namespaces: string[];
  /** Longest allowed distance from now to the annotation's expiry. */
  maxDurationHours: number;
}

/** The webhook's one fully-defaulted settings object (from a config file, then CLI flags on top). */
export interface WebhookConfig {
  host: string;
  port: number;
  tls: { certFile?: string; keyFile?: string };
  /** Name of the webhook in the ValidatingWebhookConfiguration (appears in deny messages). */
  webhookName: string;
  /** The webhook's own namespace: always exempt. */
  namespace: string;
  serviceName: string;
  policyFile?: string;
  dbFile?: string;
  /** Overrides the policy's `admission.mode`. */
  mode?: AdmissionMode;
  /** Overrides the policy's `admission.unknown`. */
  unknown?: UnknownImageMode;
  /** Namespace → mode, on top of the global mode (e.g. `{ staging: warn }`). */
  namespaceModes: Record<string, AdmissionMode>;
  /** Exempt namespaces, added to the policy's `admission.exemptNamespaces`. */
  exemptNamespaces: string[];
  /** Object labels that exempt it (`{ 'portcullis.dev/exempt': 'true' }`); empty by default, as anyone who can create a pod can set labels. */
  exemptLabels: Record<string, string>;
  breakGlass: BreakGlassConfig;
  failureMode: FailureMode;
  /** The apiserver's timeout for this webhook (ValidatingWebhook.timeoutSeconds, 1–30). */
  timeoutSeconds: number;
  /** Every answer is sent within this many ms (below timeoutSeconds), a failure answer if need be. */
  deadlineMs: number;
  /** `unknown: scan` waits at most this long for the scan (below deadlineMs). */
  scanBudgetMs: number;
  /** One store call may take this long before it counts as a failure. */
  storeTimeoutMs: number;
  /** Overrides the policy's `admission.maxVerdictAge`. (Max DB age is the policy's `gates.maxDbAge`/`staleDb`.) */
  maxVerdictAge?: string;
  store: StoreConfig;
  digestCacheTtlSeconds: number;
  digestCacheMaxEntries: number;
  /** In-process cache of stored scans (hits only); 0 turns it off. */
  scanCacheTtlSeconds: number;
  scanCacheMaxEntries: number;
  /** Per-image judgements reused this long under the same policy (0 = evaluate every admission). */
  decisionCacheTtlMs: number;
  /** Registry hosts that may be reached over plain HTTP (loopback always may). */
  insecureRegistries: string[];
  registryTimeoutMs: number;
  scanWorkers: number;
  scanQueueLimit: number;
  /** express body-parser limit for AdmissionReviews. */
  bodyLimit: string;
  pushBodyLimit: string;
  trustedKeys: TrustedKeyConfig[];
  oidcIssuers: OidcIssuerConfig[];
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const DEFAULT_WEBHOOK_CONFIG: Readonly<WebhookConfig> = Object.freeze({
  host: '0.0.0.0',
  port: 8443,
  tls: {},
  webhookName: 'images.portcullis.dev',
  namespace: 'portcullis',
  serviceName: 'portcullis-webhook',
  namespaceModes: {},
  exemptNamespaces: ['kube-system'],
  exemptLabels: {},
  breakGlass: { annotation: 'portcullis.dev/break-glass', namespaces: [], maxDurationHours: 72 },
  failureMode: 'closed',
  timeoutSeconds: 10,
  deadlineMs: 8000,
  scanBudgetMs: 6000,
  storeTimeoutMs: 1000,
  store: { kind: 'memory' },
  digestCacheTtlSeconds: 300,
  digestCacheMaxEntries: 10_000,
  scanCacheTtlSeconds: 5,
  scanCacheMaxEntries: 1000,
  decisionCacheTtlMs: 2000,
  insecureRegistries: [],
  registryTimeoutMs: 3000,
  scanWorkers: 2,
  scanQueueLimit: 1000,
  bodyLimit: '3mb',
  pushBodyLimit: '16mb',
  trustedKeys: [],
  oidcIssuers: [],
  logLevel: 'info',
} satisfies WebhookConfig);

/**
 * `memory` | `sqlite` (the default file registry scans share, see core's `defaultStorePath`) | `sqlite:PATH` |
 * `redis://HOST:PORT[/DB]` → StoreConfig.
 */
export function parseStoreSpec(spec: string, env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return parseCoreStoreSpec(spec, env, 'WEBHOOK_CONFIG_INVALID');
}

/**
 * Reads a webhook config (YAML/JSON text or a parsed object), then `overrides` (CLI flags) on top, into one
 * fully-defaulted object. Collects every problem and throws once (WEBHOOK_CONFIG_INVALID).
 */
export function parseWebhookConfig(input?: string | Raw | null, overrides: Raw = {}): WebhookConfig {
  const problems: Problem[] = [];
  let raw: unknown = input ?? {};
  if (typeof raw === 'string') {
    try {
      raw = parseYaml(raw) ?? {};
    } catch (err) {
      throw new PortcullisError(
        'WEBHOOK_CONFIG_INVALID',
        `webhook config is not valid YAML: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  if (!isObj(raw)) throw new PortcullisError('WEBHOOK_CONFIG_INVALID', 'webhook config must be a mapping');
  const src: Raw = {
    ...raw,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const d = DEFAULT_WEBHOOK_CONFIG;
  const known = new Set<string>([
    ...Object.keys(d),
    'policyFile',
    'dbFile',
    'mode',
    'unknown',
    'maxVerdictAge',
  ]);
  for (const k of Object.keys(src))
    if (!known.has(k)) problems.push({ path: `/${k}`, message: 'unknown setting' });

  const str = (k: string, def: string | undefined): string | undefined => {
    const v = src[k];
    if (v === undefined) return def;
    if (typeof v !== 'string' || v === '')
      problems.push({ path: `/${k}`, message: 'must be a non-empty string' });
    return typeof v === 'string' ? v : def;
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    let v = src[k];
    if (v === undefined) return def;
    if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push({ path: `/${k}`, message: `must be an integer in ${min}–${max}` });
      return def;
    }
    return v;
  };
  const oneOf = <T extends string>(k: string, values: readonly T[]): T | undefined => {
    const v = src[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !values.includes(v as T)) {
      problems.push({ path: `/${k}`, message: `must be one of ${values.join(', ')}` });
      return undefined;
    }
    return v as T;
  };
  const strList = (k: string, def: string[]): string[] => {
    const v = src[k];
    if (v === undefined) return [...def];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      problems.push({ path: `/${k}`, message: 'must be a list of strings' });
      return [...def];
    }
    return v as string[];
  };
  const strMap = <T extends string>(k: string, values?: readonly T[]): Record<string, T> => {
    const v = src[k];
    if (v === undefined) return {};
    if (!isObj(v)) {
      problems.push({ path: `/${k}`, message: 'must be a mapping' });
      return {};
    }
    const out: Record<string, T> = {};
    for (const [key, val] of Object.entries(v)) {
      if (typeof val !== 'string' || (values && !values.includes(val as T)))
        problems.push({
          path: `/${k}/${key}`,
          message: values ? `must be one of ${values.join(', ')}` : 'must be a string',
        });
      else out[key] = val as T;
    }
    return out;
  };
  const duration = (k: string, def: string | undefined): string | undefined => {
    const v = str(k, def);
    if (v !== undefined && toDurationMs(v) === undefined)
      problems.push({ path: `/${k}`, message: 'must be a duration like 30s, 24h, 7d, 2w' });
    return v;
  };

  const tlsRaw = src.tls ?? {};
  const tls: WebhookConfig['tls'] = {};
  if (!isObj(tlsRaw)) problems.push({ path: '/tls', message: 'must be a mapping {certFile, keyFile}' });
  else {
    for (const k of ['certFile', 'keyFile'] as const) {
      const v = tlsRaw[k];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v === '')
        problems.push({ path: `/tls/${k}`, message: 'must be a file path' });
      else tls[k] = v;
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
      problems.push({ path: '/tls', message: 'certFile and keyFile go together' });
  }

  let store: StoreConfig = d.store;
  if (typeof src.store === 'string') {
    try {
      store = parseStoreSpec(src.store);
    } catch (err) {
      problems.push({ path: '/store', message: (err as Error).message });
    }
  } else if (isObj(src.store)) {
    const s = src.store;
    if (s.kind === 'memory') store = { kind: 'memory' };
    else if (s.kind === 'sqlite' && typeof s.path === 'string' && s.path)
      store = { kind: 'sqlite', path: s.path };
    else if (s.kind === 'redis' && typeof s.url === 'string' && /^rediss?:\/\//.test(s.url))
      store = {
        kind: 'redis',
        url: s.url,
        keyPrefix: typeof s.keyPrefix === 'string' ? s.keyPrefix : 'portcullis:',
      };
    else
      problems.push({
        path: '/store',
        message: 'must be memory | {kind: sqlite, path} | {kind: redis, url}',
      });
  } else if (src.store !== undefined)
    problems.push({ path: '/store', message: 'must be a string or a mapping' });

  const breakGlass = { ...d.breakGlass, namespaces: [...d.breakGlass.namespaces] };
  if (src.breakGlass !== undefined) {
    const b = src.breakGlass;
    if (!isObj(b)) problems.push({ path: '/breakGlass', message: 'must be a mapping' });
    else {
      if (b.annotation !== undefined) {
        if (typeof b.annotation === 'string' && b.annotation) breakGlass.annotation = b.annotation;
        else problems.push({ path: '/breakGlass/annotation', message: 'must be a non-empty string' });
      }
      if (b.namespaces !== undefined) {
        if (Array.isArray(b.namespaces) && b.namespaces.every((x) => typeof x === 'string'))
          breakGlass.namespaces = b.namespaces as string[];
        else problems.push({ path: '/breakGlass/namespaces', message: 'must be a list of strings' });
      }
      if (b.maxDurationHours !== undefined) {
        if (typeof b.maxDurationHours === 'number' && b.maxDurationHours > 0)
          breakGlass.maxDurationHours = b.maxDurationHours;
        else problems.push({ path: '/breakGlass/maxDurationHours', message: 'must be a positive number' });
      }
    }
  }

  const trustedKeys = parseTrustedKeys(src.trustedKeys, problems);
  const oidcIssuers = parseOidcIssuers(src.oidcIssuers, problems);

  const cfg: WebhookConfig = {
    host: str('host', d.host) as string,
    port: int('port', d.port, 0, 65535),
    tls,
    webhookName: str('webhookName', d.webhookName) as string,
    namespace: str('namespace', d.namespace) as string,
    serviceName: str('serviceName', d.serviceName) as string,
    policyFile: str('policyFile', undefined),
    dbFile: str('dbFile', undefined),
    mode: oneOf('mode', ADMISSION_MODES),
    unknown: oneOf('unknown', UNKNOWN_IMAGE_MODES),
    namespaceModes: strMap('namespaceModes', ADMISSION_MODES),
    exemptNamespaces: strList('exemptNamespaces', d.exemptNamespaces),
    exemptLabels: strMap('exemptLabels'),
    breakGlass,
    failureMode: oneOf('failureMode', ['closed', 'open'] as const) ?? d.failureMode,
    timeoutSeconds: int('timeoutSeconds', d.timeoutSeconds, 1, 30),
    deadlineMs: int('deadlineMs', d.deadlineMs, 50, 29_000),
    scanBudgetMs: int('scanBudgetMs', d.scanBudgetMs, 0, 29_000),
    storeTimeoutMs: int('storeTimeoutMs', d.storeTimeoutMs, 10, 29_000),
    maxVerdictAge: duration('maxVerdictAge', undefined),
    store,
    digestCacheTtlSeconds: int('digestCacheTtlSeconds', d.digestCacheTtlSeconds, 0, 86_400),
    digestCacheMaxEntries: int('digestCacheMaxEntries', d.digestCacheMaxEntries, 1, 10_000_000),
    scanCacheTtlSeconds: int('scanCacheTtlSeconds', d.scanCacheTtlSeconds, 0, 3600),
    scanCacheMaxEntries: int('scanCacheMaxEntries', d.scanCacheMaxEntries, 1, 1_000_000),
    decisionCacheTtlMs: int('decisionCacheTtlMs', d.decisionCacheTtlMs, 0, 60_000),
    insecureRegistries: strList('insecureRegistries', d.insecureRegistries),
    registryTimeoutMs: int('registryTimeoutMs', d.registryTimeoutMs, 10, 29_000),
    scanWorkers: int('scanWorkers', d.scanWorkers, 1, 64),
    scanQueueLimit: int('scanQueueLimit', d.scanQueueLimit, 1, 1_000_000),
    bodyLimit: str('bodyLimit', d.bodyLimit) as string,
    pushBodyLimit: str('pushBodyLimit', d.pushBodyLimit) as string,
    trustedKeys,
    oidcIssuers,
    logLevel: oneOf('logLevel', ['debug', 'info', 'warn', 'error'] as const) ?? d.logLevel,
  };
  // The answer must reach the apiserver before its own timeout, and a synchronous scan must leave time to answer.
  if (cfg.deadlineMs >= cfg.timeoutSeconds * 1000)
    problems.push({ path: '/deadlineMs', message: `must be below timeoutSeconds (${cfg.timeoutSeconds}s)` });
  if (cfg.scanBudgetMs >= cfg.deadlineMs)
    problems.push({ path: '/scanBudgetMs', message: 'must be below deadlineMs' });
  if (cfg.storeTimeoutMs >= cfg.deadlineMs)
    problems.push({ path: '/storeTimeoutMs', message: 'must be below deadlineMs' });
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new PortcullisError('WEBHOOK_CONFIG_INVALID', `invalid webhook config: ${list}`, { problems });
  }
  return cfg;
}
