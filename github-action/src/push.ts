import * as core from '@actions/core';
import type { ScanResult } from '../../core/src/index.js';

/** Pushes the scan result to the webhook with the job's OIDC token. Replaced when core's push lands. */
export async function pushResult(scan: ScanResult, url: string, audience: string): Promise<string> {
  const token = await core.getIDToken(audience);
  core.setSecret(token);
  void scan;
  void url;
  throw new Error('push is not available yet');
}
