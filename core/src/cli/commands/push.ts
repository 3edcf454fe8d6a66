import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { PortcullisError } from '../../errors.js';
import type { ScanResult } from '../../types/scan.js';
import type { VerdictKey } from '../../verdict/keys.js';
import type { CliIo } from '../io.js';

/** The credential and trust flags `scan --push` and `push` share. */
export interface PushFlags {
  signKey?: string;
  oidcTokenEnv?: string;
  pushCaCert?: string;
}

/** Adds `--oidc-token-env` and `--push-ca-cert` (`--sign-key` is declared by each command). */
export function addPushOptions(cmd: Command): Command {
  return cmd
    .option(
      '--oidc-token-env <name>',
      'push with the CI OIDC token in this environment variable instead of a signing key',
    )
    .option('--push-ca-cert <file>', "CA certificate (PEM) to trust for the webhook's TLS");
}

/** What a push sends with, read from the flags before any scanning (a missing credential fails fast). */
export interface PushCredential {
  signKey?: VerdictKey;
  oidcToken?: string;
  caCert?: string;
}

/** Reads the push credential the flags name; `PUSH_INVALID` for none, both, or an unset token variable. */
export async function readPushCredential(io: CliIo, flags: PushFlags): Promise<PushCredential> {
  if ((flags.signKey === undefined) === (flags.oidcTokenEnv === undefined))
    throw new PortcullisError(
      'PUSH_INVALID',
      'a push needs exactly one of --sign-key FILE or --oidc-token-env NAME',
    );
  let oidcToken: string | undefined;
  if (flags.oidcTokenEnv !== undefined) {
    oidcToken = io.env[flags.oidcTokenEnv];
    if (!oidcToken)
      throw new PortcullisError(
        'PUSH_INVALID',
        `--oidc-token-env ${flags.oidcTokenEnv}: that environment variable is not set or empty`,
      );
  }
  const { readKeyFile } = await import('../../verdict/index.js');
  return {
    ...(flags.signKey !== undefined ? { signKey: await readKeyFile(flags.signKey) } : {}),
    ...(oidcToken !== undefined ? { oidcToken } : {}),
    ...(flags.pushCaCert ? { caCert: await readCaFile(flags.pushCaCert) } : {}),
  };
}

/**
 * Pushes a scan result to the webhook. Throws `PUSH_REFUSED` with the server's reason, `PUSH_UNREACHABLE`
 * naming the URL, `PUSH_INVALID` for a scan that cannot be pushed (no digest).
 */
export async function pushWithCredential(
  io: CliIo,
  scan: ScanResult,
  url: string,
  credential: PushCredential,
): Promise<void> {
  const { pushScanResult } = await import('../../verdict/index.js');
  const result = await pushScanResult(scan, { url, ...credential });
  io.stderr.write(
    result.stored
      ? `portcullis: pushed the scan of ${result.digest} to ${url}\n`
      : `portcullis: pushed the scan of ${result.digest} to ${url}; the webhook keeps a newer scan of it\n`,
  );
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PortcullisError('PUSH_INVALID', `--push-ca-cert ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** `portcullis push REPORT.json --to URL`: pushes a JSON report written earlier (e.g. by another CI step). */
export function createPushCommand(io: CliIo, setCode: (code: number) => void): Command {
  const cmd = new Command('push')
    .description("send a JSON report's scan result to the admission webhook (POST /v1/verdicts)")
    .argument('<report>', 'a report written by `portcullis scan … --format json`')
    .requiredOption('--to <url>', 'webhook URL (https://HOST:PORT or …/v1/verdicts)')
    .option('--sign-key <file>', 'sign the scan result with this Ed25519/ES256 private key (PEM or JWK)');
  addPushOptions(cmd);
  cmd.action(async (report: string, flags: PushFlags & { to: string }) => {
    let text: string;
    try {
      text = await readFile(report, 'utf8');
    } catch (err) {
      throw new PortcullisError('SOURCE_NOT_FOUND', `reading report ${report}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const credential = await readPushCredential(io, flags);
    const { parseJsonReport } = await import('../../report/index.js');
    const scan = parseJsonReport(text, report);
    await pushWithCredential(io, scan, flags.to, credential);
    // the report's verdict is the exit code, as for `scan` (0 allow/warn, 1 deny)
    const decision = (JSON.parse(text) as { verdict?: { decision?: string } }).verdict?.decision;
    setCode(decision === 'deny' ? 1 : 0);
  });
  return cmd;
}
