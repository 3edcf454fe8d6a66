import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ScannerName } from '../../analyzers/analyzer.js';
import { PortcullisError } from '../../errors.js';
import type { Policy } from '../../policy/index.js';
import { parseDuration } from '../../duration.js';
import type { SourceLimits, SourceOptions } from '../../source/index.js';

const SCANNERS: readonly ScannerName[] = ['vuln', 'secret', 'malware', 'baseline', 'buildinstruction'];

/** `--scanners vuln,secret` → validated names. */
export function parseScanners(value: string): ScannerName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(SCANNERS as readonly string[]).includes(n));
  if (bad.length > 0) {
    throw new PortcullisError(
      'USAGE_INVALID',
      `unknown scanner(s) ${bad.join(', ')}: expected ${SCANNERS.join(', ')}`,
    );
  }
  return names as ScannerName[];
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Registry and platform flags shared by every command that opens an image. */
export function addSourceOptions(cmd: Command): Command {
  return cmd
    .option('--platform <os/arch[/variant]>', 'platform to select from a multi-platform image', 'linux/amd64')
    .option(
      '--username <user>',
      'registry user (or $PORTCULLIS_REGISTRY_AUTH=user:pass, or ~/.docker/config.json)',
    )
    .option('--password <password>', 'registry password or token (prefer $PORTCULLIS_REGISTRY_AUTH)')
    .option('--insecure-registry <host>', 'allow plain HTTP to this registry host (repeatable)', collect, [])
    .option('--ca-cert <file>', 'extra CA certificate (PEM) trusted for registry TLS')
    .option('--docker-config <file>', 'Docker config with registry credentials')
    .option(
      '--registry-timeout <duration>',
      'deadline for one registry image: manifests, config and every layer (default 15m, or $PORTCULLIS_REGISTRY_TIMEOUT)',
    )
    .option(
      '--registry-header-timeout <duration>',
      'per registry request: connect and response headers (default 30s, or $PORTCULLIS_REGISTRY_HEADER_TIMEOUT)',
    )
    .option(
      '--registry-idle-timeout <duration>',
      'per registry response: longest pause between body bytes (default 30s, or $PORTCULLIS_REGISTRY_IDLE_TIMEOUT)',
    );
}

export interface SourceFlags {
  platform?: string;
  username?: string;
  password?: string;
  insecureRegistry?: string[];
  caCert?: string;
  dockerConfig?: string;
  registryTimeout?: string;
  registryHeaderTimeout?: string;
  registryIdleTimeout?: string;
}

/** The registry deadlines from flags, else the environment; defaults stay with the source. */
function toRegistryTimeouts(flags: SourceFlags, env: NodeJS.ProcessEnv): Partial<SourceLimits> {
  const pick = (flag: string | undefined, name: string, key: keyof SourceLimits): Partial<SourceLimits> => {
    const text = flag ?? env[name];
    return text === undefined || text === '' ? {} : { [key]: parseDuration(text, 'USAGE_INVALID') };
  };
  return {
    ...pick(flags.registryTimeout, 'PORTCULLIS_REGISTRY_TIMEOUT', 'registryImageTimeoutMs'),
    ...pick(flags.registryHeaderTimeout, 'PORTCULLIS_REGISTRY_HEADER_TIMEOUT', 'registryHeadersTimeoutMs'),
    ...pick(flags.registryIdleTimeout, 'PORTCULLIS_REGISTRY_IDLE_TIMEOUT', 'registryBodyIdleTimeoutMs'),
  };
}

export async function toSourceOptions(flags: SourceFlags, env: NodeJS.ProcessEnv): Promise<SourceOptions> {
  const limits = toRegistryTimeouts(flags, env);
  return {
    env,
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(flags.platform ? { platform: flags.platform } : {}),
    ...(flags.username ? { username: flags.username } : {}),
    ...(flags.password ? { password: flags.password } : {}),
    ...(flags.insecureRegistry?.length ? { insecureRegistries: flags.insecureRegistry } : {}),
    ...(flags.caCert ? { caCert: await readFile(flags.caCert) } : {}),
    ...(flags.dockerConfig
      ? { dockerConfigPath: flags.dockerConfig }
      : dockerConfigFromEnv(env)
        ? { dockerConfigPath: dockerConfigFromEnv(env) }
        : {}),
  };
}

/**
 * The Docker config the injected environment points at (`$DOCKER_CONFIG/config.json`, else
 * `$HOME/.docker/config.json`) when that file exists; the source would otherwise read the process's own home.
 */
function dockerConfigFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  const path = dir ? join(dir, 'config.json') : undefined;
  return path && existsSync(path) ? path : undefined;
}

/** The policy from `--policy FILE`, else `$PORTCULLIS_POLICY`, else the embedded default. */
export async function readPolicyFlag(path: string | undefined, env: NodeJS.ProcessEnv): Promise<Policy> {
  const file = path ?? env.PORTCULLIS_POLICY;
  const { DEFAULT_POLICY, loadPolicy } = await import('../../policy/index.js');
  return file ? loadPolicy(file) : DEFAULT_POLICY;
}
