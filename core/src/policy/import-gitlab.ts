import { yamlLib } from './lazy.js';
import { PortcullisError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { ImportResult } from './import-trivy.js';
import type { PolicyException } from './types.js';

const GENERAL = 'generalallowlist';

/**
 * Converts GitLab's `vulnerability-allowlist.yml`: `generalallowlist` ids apply to every image; any other
 * top-level key is an image name without tag (`centos`, `registry:5000/team/app`, `…@sha256`) whose ids apply to
 * that repository only. The value next to an id is informational in GitLab (often the package name); it is
 * kept in the reason, not used as a selector.
 */
export function importGitlabAllowlist(text: string): ImportResult {
  if (Buffer.byteLength(text) > 4 * 1024 * 1024) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', 'vulnerability-allowlist.yml: too large');
  }
  let doc: unknown;
  try {
    doc = yamlLib().parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new PortcullisError(
      'POLICY_IMPORT_INVALID',
      `vulnerability-allowlist.yml: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (doc === null || doc === undefined) return { exceptions: [], warnings: [] };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new PortcullisError('POLICY_IMPORT_INVALID', 'vulnerability-allowlist.yml: expected a mapping');
  }
  const exceptions: PolicyException[] = [];
  const problems: Problem[] = [];
  for (const [key, ids] of Object.entries(doc as Record<string, unknown>)) {
    if (ids === null) continue;
    if (typeof ids !== 'object' || Array.isArray(ids)) {
      problems.push({
        path: `/${key}`,
        message: 'must be a mapping of vulnerability id to (optional) comment',
      });
      continue;
    }
    const repository = key === GENERAL ? undefined : key.replace(/@sha256$/, '');
    for (const [id, comment] of Object.entries(ids as Record<string, unknown>)) {
      const note = comment === null || comment === undefined || comment === '' ? '' : `: ${String(comment)}`;
      exceptions.push({
        id,
        type: 'vulnerability',
        ...(repository !== undefined && { repositories: [repository] }),
        reason: `imported from GitLab vulnerability-allowlist.yml (${key}${note})`,
      });
    }
  }
  if (problems.length > 0) {
    throw new PortcullisError(
      'POLICY_IMPORT_INVALID',
      `vulnerability-allowlist.yml: ${problems.length} problem(s)`,
      {
        problems,
      },
    );
  }
  return { exceptions, warnings: [] };
}
