import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ScannerName } from '../../analyzers/analyzer.js';
import { PortcullisError } from '../../errors.js';
import type { Policy } from '../../policy/index.js';
import type { SourceOptions } from '../../source/index.js';

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
    .option('--docker-config <file>', 'Docker config with registry credentials');
}

export interface SourceFlags {
  platform?: string;
  username?: string;
  password?: string;
  insecureRegistry?: string[];
  caCert?: string;
  dockerConfig?: string;
}

export async function toSourceOptions(flags: SourceFlags, env: NodeJS.ProcessEnv): Promise<SourceOptions> {
  return {
    env,
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

/** The Dockerfile's text; a missing or unreadable file is `SOURCE_NOT_FOUND`, as for `scan`. */
export async function readDockerfile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PortcullisError(
      'SOURCE_NOT_FOUND',
      code === 'ENOENT'
        ? `no Dockerfile at ${path}`
        : `cannot read the Dockerfile ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
