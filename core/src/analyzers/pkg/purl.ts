/** The parts of a Package URL (purl-spec). */
export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  /** Undefined and empty values are left out, as the spec requires. */
  qualifiers?: Record<string, string | undefined>;
  subpath?: string;
}

/** Percent-encodes everything outside the purl unreserved set; `:` stays literal, as the spec says. */
function encode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/gi, ':');
}

/**
 * Builds a canonical purl: lowercase type, encoded components, qualifiers sorted by key with empty values
 * dropped. Type-specific normalisation (lowercasing deb/apk names) is the caller's job.
 */
export function toPurl(parts: PurlParts): string {
  let out = `pkg:${parts.type.toLowerCase()}/`;
  if (parts.namespace) {
    out += `${parts.namespace
      .split('/')
      .filter((s) => s !== '')
      .map(encode)
      .join('/')}/`;
  }
  out += encode(parts.name);
  if (parts.version) out += `@${encode(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) out += `?${qualifiers.map(([k, v]) => `${k}=${encode(v)}`).join('&')}`;
  if (parts.subpath) {
    const segments = parts.subpath.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
    if (segments.length > 0) out += `#${segments.map(encode).join('/')}`;
  }
  return out;
}
