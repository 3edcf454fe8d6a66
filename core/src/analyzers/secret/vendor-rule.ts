/**
 * Rules for credentials that have no recognisable prefix of their own and are only a secret next to the
 * vendor's name (`asana_client_secret = "…"`, `LAUNCHDARKLY_TOKEN: …`): the rule data gives the vendor's
 * names and the value's shape, and this one template supplies the rest (the name inside an identifier, an
 * assignment in any of the usual syntaxes, optional quotes, the value bounded on the right).
 */

/** Entropy a vendor-context value needs unless its rule says otherwise (random keys are well above it). */
export const VENDOR_MIN_ENTROPY = 3;

const VENDOR_REMEDIATION =
  'Revoke or rotate the credential with the vendor, remove it from every layer, and provide it at run time from a secret store.';

/** `vendor:` in a rule file: the names (lower-case literals) and the value's shape (a regex, no groups named). */
export interface VendorSpec {
  names: string[];
  value: string;
}

/**
 * Shortest literal opening of a value that a vendor rule also needs in the text (`live_`, `ion_`): a shorter
 * one (`00`, `su`) is in too many texts to save a run.
 */
export const VENDOR_MIN_VALUE_LITERAL = 4;

/** Most identifier characters before the vendor's name in the key (`my_…_asana_token`). */
export const VENDOR_KEY_PREFIX = 40;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * The pattern, in the shape gitleaks' "semi-generic" rules use: an identifier containing one of the names
 * (`my_asana_secret`, `AsanaToken`, `ASANA_TOKEN`), then an assignment or argument in any common syntax —
 * `=`, `:=`, `::=`, `:::=`, `?=`, `+=`, `.=`, `:`, `=>`, `>` (an XML element), `(`, `,`, `|` — with optional
 * (escaped) quotes and up to five spaces, newlines, `|` or `>` (YAML block scalars) before the value, which
 * must be followed by a quote, space, `;`, `<`, `,`, `)`, a backslash or the end of the line.
 */
export function toVendorPattern(spec: VendorSpec): string {
  const names = spec.names.map(escapeRegex).join('|');
  const bt = '`';
  return [
    String.raw`(?<![A-Za-z0-9])(?<key>[A-Za-z0-9_.-]{0,${VENDOR_KEY_PREFIX}}(?:${names})[A-Za-z0-9_ \t.-]{0,20})`,
    String.raw`(?:\\["'${bt}]|["'${bt}]){0,3}[ \t]{0,5}`,
    String.raw`(?:[<>?+.]?=|:{1,3}=|=>|>|:|\(|,|\|)`,
    String.raw`(?:\\["']|[${bt}\s=|>"']){0,5}`,
    String.raw`(?<secret>${spec.value})(?=["'${bt}\s;\\<,)]|$)`,
  ].join('');
}

/**
 * Expands a rule record with `vendor:` into an ordinary content-rule record (pattern, keywords, flags,
 * placeholder and entropy filters, remediation), so it is validated and compiled like every other rule.
 * Returns the record unchanged when it has no `vendor:`, and a problem message when `vendor:` is malformed.
 */
export function expandVendorRule(r: Record<string, unknown>): Record<string, unknown> | string {
  if (r.vendor === undefined) return r;
  const v = r.vendor as Record<string, unknown> | null;
  const names = typeof v?.names === 'string' ? [v.names] : v?.names;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    !names.every((n) => typeof n === 'string' && /^[a-z0-9][a-z0-9._-]{1,40}$/.test(n)) ||
    typeof v?.value !== 'string' ||
    v.value === ''
  ) {
    return 'vendor needs names (lower-case words) and value (a regex)';
  }
  if (r.pattern !== undefined || r.keywords !== undefined) return 'vendor rules take no pattern or keywords';
  const spec: VendorSpec = { names: names as string[], value: v.value };
  return {
    category: 'token',
    remediation: VENDOR_REMEDIATION,
    minEntropy: VENDOR_MIN_ENTROPY,
    ...r,
    vendor: undefined,
    pattern: toVendorPattern(spec),
    keywords: spec.names,
    flags: 'im',
    placeholders: true,
  };
}
