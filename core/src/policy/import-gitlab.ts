import { yamlLib } from './lazy.js';
import { PortcullisError } from '../errors.js';
import type { Problem } from '../errors.js';
import type { ImportResult } from './import-trivy.js';
import type { PolicyException } from './types.js';

const GENERAL = 'generalallowlist';
/** GitLab's documented layout nests per-image lists under `images:`; older files put image names at the top. */
const IMAGES = 'images';

interface Section {
  /** The name as written (`generalallowlist`, an image name). */
  key: string;
  /** JSON path of the section, for problems. */
  path: string;
  /** Image scope (name without tag or digest); undefined for the general list. */
  image?: string;
  ids: Record<string, unknown>;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The general list and one section per image name, from either layout. */
function toSections(doc: Record<string, unknown>, problems: Problem[]): Section[] {
  const out: Section[] = [];
  const add = (key: string, path: string, ids: unknown, image: string | undefined): void => {
    if (ids === null || ids === undefined) return;
    if (!isMapping(ids)) {
      problems.push({ path, message: 'must be a mapping of vulnerability id to (optional) comment' });
      return;
    }
    out.push({ key, path, ids, ...(image !== undefined && { image }) });
  };
  for (const [key, value] of Object.entries(doc)) {
    if (key === GENERAL) add(key, `/${key}`, value, undefined);
    else if (key === IMAGES) {
      if (value === null || value === undefined) continue;
      if (!isMapping(value)) {
        problems.push({
          path: `/${IMAGES}`,
          message: 'must be a mapping of image name to vulnerability ids',
        });
        continue;
      }
      for (const [name, ids] of Object.entries(value))
        add(name, `/${IMAGES}/${name}`, ids, toImageName(name));
    } else add(key, `/${key}`, value, toImageName(key));
  }
  return out;
}

/** `registry/app@sha256` (GitLab's digest-less form) → `registry/app`. */
function toImageName(name: string): string {
  return name.replace(/@sha256$/, '');
}

/** The comment next to an id, as text (GitLab shows it as is); anything else is a problem, never `[object Object]`. */
function toCommentText(comment: unknown, path: string, problems: Problem[]): string {
  if (comment === null || comment === undefined) return '';
  if (typeof comment === 'string') return comment;
  if (typeof comment === 'number' || typeof comment === 'boolean') return String(comment);
  problems.push({ path, message: 'the comment next to a vulnerability id must be text' });
  return '';
}

/**
 * Converts GitLab's `vulnerability-allowlist.yml`: `generalallowlist` ids apply to every image; the names under
 * `images:` (or, in older files, any other top-level key) are image names without tag (`centos`,
 * `registry:5000/team/app`, `…@sha256`) whose ids apply to that image only (an `images` scope). The value next to
 * an id is informational in GitLab (often the package name); it is kept as text in the reason, not used as a
 * selector.
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
  const sections = toSections(doc as Record<string, unknown>, problems);
  for (const { key, path, image, ids } of sections) {
    for (const [id, comment] of Object.entries(ids)) {
      const note = toCommentText(comment, `${path}/${id}`, problems);
      exceptions.push({
        id,
        type: 'vulnerability',
        ...(image !== undefined && { images: [image] }),
        reason: `imported from GitLab vulnerability-allowlist.yml (${key}${note ? `: ${note}` : ''})`,
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
