import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PortcullisError } from '../../errors.js';
import { DEFAULT_DOMAIN, DOCKER_HUB_HOST } from '../reference.js';

/** A username and password (or token) for one registry. Never printed. */
export interface Credentials {
  username: string;
  password: string;
}

export const AUTH_ENV = 'PORTCULLIS_REGISTRY_AUTH';
const MAX_DOCKER_CONFIG_BYTES = 1024 * 1024;
const HUB_ALIASES = new Set([DEFAULT_DOMAIN, 'index.docker.io', DOCKER_HUB_HOST]);

/** `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/x` → `host:5000`. */
export function toRegistryKey(key: string): string {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
  return HUB_ALIASES.has(host) ? DEFAULT_DOMAIN : host;
}

function splitUserPass(value: string): Credentials | undefined {
  const i = value.indexOf(':');
  if (i <= 0) return undefined;
  return { username: value.slice(0, i), password: value.slice(i + 1) };
}

/** Reads `auths` from a Docker config file: registry key → credentials. */
export function readDockerConfigAuths(path: string, explicit: boolean): Map<string, Credentials> {
  const out = new Map<string, Credentials>();
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_DOCKER_CONFIG_BYTES) throw new Error('file too large');
    text = buf.toString('utf8');
  } catch (err) {
    // A missing default config just means anonymous access; a named one must exist.
    if (!explicit) return out;
    throw new PortcullisError('USAGE_INVALID', `cannot read docker config ${path}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    if (!explicit) return out;
    throw new PortcullisError('USAGE_INVALID', `docker config ${path} is not valid JSON`, { cause: err });
  }
  const auths = (doc as { auths?: unknown } | null)?.auths;
  if (typeof auths !== 'object' || auths === null) return out;
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    const e = (entry ?? {}) as { auth?: unknown; username?: unknown; password?: unknown };
    let creds: Credentials | undefined;
    if (typeof e.auth === 'string' && e.auth !== '') {
      creds = splitUserPass(Buffer.from(e.auth, 'base64').toString('utf8'));
    } else if (typeof e.username === 'string' && typeof e.password === 'string') {
      creds = { username: e.username, password: e.password };
    }
    if (creds) out.set(toRegistryKey(key), creds);
  }
  return out;
}

/** Where credentials may come from, in order of precedence. */
export interface CredentialSources {
  username?: string | undefined;
  password?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  dockerConfigPath?: string | undefined;
}

/**
 * Returns a lookup from registry host to credentials: explicit username/password first, then
 * `$PORTCULLIS_REGISTRY_AUTH`, then the Docker config's `auths` for that registry.
 */
export function createCredentialLookup(
  sources: CredentialSources,
): (host: string) => Credentials | undefined {
  if (sources.username !== undefined && sources.password !== undefined) {
    const fixed = { username: sources.username, password: sources.password };
    return () => fixed;
  }
  const envValue = (sources.env ?? process.env)[AUTH_ENV];
  if (envValue) {
    const fromEnv = splitUserPass(envValue);
    if (!fromEnv) throw new PortcullisError('USAGE_INVALID', `${AUTH_ENV} must be user:password`);
    return () => fromEnv;
  }
  let auths: Map<string, Credentials> | undefined;
  return (host) => {
    auths ??= readDockerConfigAuths(
      sources.dockerConfigPath ?? join(homedir(), '.docker', 'config.json'),
      sources.dockerConfigPath !== undefined,
    );
    return auths.get(toRegistryKey(host));
  };
}
