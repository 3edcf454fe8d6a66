import { createHash, timingSafeEqual } from 'node:crypto';
import { parse } from 'yaml';
import { PortcullisError } from '../../core/src/index.js';

export type TokenRole = 'read' | 'admin';

/** One `tokens:` entry: only the token's SHA-256 is on disk, never the token. */
export interface TokenEntry {
  name: string;
  role: TokenRole;
  /** The token's SHA-256, as 32 bytes. */
  digest: Buffer;
}

/** Who a request is, once its bearer token matched an entry. */
export interface Principal {
  name: string;
  role: TokenRole;
}

const HEX = /^[a-f0-9]{64}$/i;

/**
 * Parses a tokens file: `tokens: [{name, role: read|admin, sha256: <hex>}]`. Every problem is reported with its
 * path (SERVICE_TOKENS_INVALID); duplicate names and digests are refused so the audit log names one holder.
 */
export function parseTokensFile(text: string, source = 'tokens file'): TokenEntry[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new PortcullisError('SERVICE_TOKENS_INVALID', `${source}: not YAML: ${(err as Error).message}`);
  }
  const list = (doc as { tokens?: unknown } | null)?.tokens;
  if (!Array.isArray(list) || list.length === 0)
    throw new PortcullisError(
      'SERVICE_TOKENS_INVALID',
      `${source}: expected "tokens:" with at least one entry`,
    );
  const problems: { path: string; message: string }[] = [];
  const out: TokenEntry[] = [];
  list.forEach((raw: unknown, i) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    const at = `/tokens/${i}`;
    if (typeof e.name !== 'string' || e.name === '')
      problems.push({ path: `${at}/name`, message: 'required' });
    if (e.role !== 'read' && e.role !== 'admin')
      problems.push({ path: `${at}/role`, message: 'must be read or admin' });
    if (typeof e.sha256 !== 'string' || !HEX.test(e.sha256))
      problems.push({ path: `${at}/sha256`, message: "must be the token's SHA-256 as 64 hex digits" });
    if ('token' in e) problems.push({ path: `${at}/token`, message: 'plaintext tokens are not accepted' });
    if (typeof e.name === 'string' && out.some((o) => o.name === e.name))
      problems.push({ path: `${at}/name`, message: `duplicate name ${e.name}` });
    if (typeof e.sha256 === 'string' && HEX.test(e.sha256)) {
      const digest = Buffer.from(e.sha256, 'hex');
      if (out.some((o) => o.digest.equals(digest)))
        problems.push({ path: `${at}/sha256`, message: 'duplicate digest' });
      out.push({ name: e.name as string, role: e.role as TokenRole, digest });
    }
  });
  if (problems.length > 0)
    throw new PortcullisError(
      'SERVICE_TOKENS_INVALID',
      `${source}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { problems },
    );
  return out;
}

/** The hex SHA-256 of a token, as written in the tokens file. */
export function toTokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The principal for an `Authorization` header, or undefined. The presented token is hashed and compared with
 * every entry in constant time (no early exit), so timing says neither which entry nor how much matched.
 */
export function authenticate(
  header: string | undefined,
  tokens: readonly TokenEntry[],
): Principal | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const digest = createHash('sha256')
    .update(m[1] as string, 'utf8')
    .digest();
  let found: TokenEntry | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, digest) && !found) found = t;
  return found ? { name: found.name, role: found.role } : undefined;
}
