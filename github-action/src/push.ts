import * as core from '@actions/core';
import { PortcullisError, pushScanResult, type ScanResult } from '../../core/src/index.js';

/**
 * Pushes the scan result to the webhook's `/v1/verdicts` with the job's OIDC token for `audience`, through
 * core's pushScanResult (the code `portcullis scan --push` uses). The token is masked by getIDToken and never
 * appears in errors (core scrubs it). Returns a line for the log.
 */
export async function pushResult(scan: ScanResult, url: string, audience: string): Promise<string> {
  let token: string;
  try {
    token = await core.getIDToken(audience);
  } catch (err) {
    throw new PortcullisError(
      'PUSH_INVALID',
      `push-url is set but no OIDC token could be requested (the job needs \`permissions: id-token: write\`): ${(err as Error).message}`,
      { cause: err },
    );
  }
  core.setSecret(token);
  const result = await pushScanResult(scan, { url, oidcToken: token });
  return `${result.stored ? 'stored' : 'not stored (the webhook keeps a newer scan)'}: ${result.digest} at ${url} (HTTP ${result.status})`;
}
