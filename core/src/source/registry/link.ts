import { PortcullisError } from '../../errors.js';

/**
 * The `rel="next"` target of an RFC 5988 `Link` header, resolved against the request URL (distribution
 * sends relative links), as a path+query on the same origin. A link to another origin is refused so
 * credentials never follow it. Undefined when there is no next page.
 */
export function parseNextLink(
  header: string | string[] | undefined,
  requestUrl: URL,
  what: string,
): string | undefined {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const value of values) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const m = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
      if (!m) continue;
      const rels = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(m[2]!);
      const rel = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
      if (!rel.includes('next')) continue;
      let next: URL;
      try {
        next = new URL(m[1]!, requestUrl);
      } catch (err) {
        throw new PortcullisError('REGISTRY_PROTOCOL', `${what}: unusable Link ${m[1]}`, { cause: err });
      }
      if (next.origin !== requestUrl.origin) {
        throw new PortcullisError(
          'REGISTRY_PROTOCOL',
          `${what}: Link points to another origin (${next.origin})`,
        );
      }
      return next.pathname + next.search;
    }
  }
  return undefined;
}
