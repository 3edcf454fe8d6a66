import { redactText as redactNamedSecrets } from '../buildinstruction/redact.js';
import { redact } from '../redact.js';
import { readSecretRules, type SecretRuleSet } from './rules.js';
import { scanText } from './scan-text.js';

/**
 * Turns any free text (a history `created_by`, evidence, an ENV value, a path, a log field) into text that
 * carries no secret: every value the scan found, every match of every secret rule, and every secret-named
 * assignment, URL credential or credential option is masked.
 */
export type Redactor = (text: string) => string;

export interface RedactorOptions {
  /** Raw secret values found in this scan (any rule, any place). */
  values?: Iterable<string>;
  /** Secret rules run over the text; defaults to the built-in rules (every rule, enabled or not). */
  rules?: SecretRuleSet;
}

/**
 * Found values shorter than this are not searched for elsewhere: masking every `admin` in every title would
 * garble reports. Such values are still masked where a rule or a secret-named assignment shows them.
 */
export const REDACT_VALUE_MIN_LENGTH = 6;
/** A value cut by `…` (evidence is shortened) is masked when at least this many of its first characters show. */
const REDACT_PREFIX_MIN_LENGTH = 8;
/** Rule passes over one text: each pass masks up to `MAX_MATCHES_PER_RULE` matches per rule. */
const MAX_RULE_PASSES = 8;
/** The text the `.env`-style rules run on: the same virtual path the image-config scan uses. */
const REDACT_VIRTUAL_PATH = '/image-config.env';

let defaultRules: SecretRuleSet | undefined;

/** The built-in rules, read once per process (the secret analyzer and every redactor share them). */
export function readDefaultSecretRules(): SecretRuleSet {
  defaultRules ??= readSecretRules();
  return defaultRules;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Creates a redactor for one scan (its found values) or for any text (`values` empty). */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const rules = options.rules ?? readDefaultSecretRules();
  const values = [...new Set(options.values ?? [])]
    .filter((v) => v.length >= REDACT_VALUE_MIN_LENGTH)
    .sort((a, b) => b.length - a.length);
  // one alternation, longest first, so a value containing another is masked whole
  const known = values.length > 0 ? new RegExp(values.map(escapeRegex).join('|'), 'g') : undefined;
  const masks = new Map(values.map((v) => [v, redact(v)]));
  return (text) => {
    if (text === '') return text;
    let out = known ? text.replace(known, (v) => masks.get(v) ?? redact(v)) : text;
    if (values.length > 0 && out.endsWith('…')) out = maskCutValue(out, values);
    out = maskRuleMatches(out, rules);
    return redactNamedSecrets(out);
  };
}

/** `… glpat-abcdefgh…` (evidence cut inside a value): masks the shown start of the value. */
function maskCutValue(text: string, values: readonly string[]): string {
  const body = text.slice(0, -1);
  for (const v of values) {
    for (let k = Math.min(v.length - 1, body.length); k >= REDACT_PREFIX_MIN_LENGTH; k--) {
      if (body.endsWith(v.slice(0, k))) return `${body.slice(0, -k)}${redact(v).slice(0, k)}…`;
    }
  }
  return text;
}

function maskRuleMatches(text: string, rules: SecretRuleSet): string {
  let out = text;
  for (let pass = 0; pass < MAX_RULE_PASSES; pass++) {
    // rules limited to certain files (.netrc's `password X`, debconf's `Value: X`) stay limited: on free text
    // they would mask ordinary words ("password authentication"); values they found in files are masked
    // everywhere through `values`
    const secrets = scanText(out, REDACT_VIRTUAL_PATH, rules, () => true)
      .flatMap((m) => m.secrets)
      .filter((s) => s !== '' && out.includes(s));
    if (secrets.length === 0) return out;
    for (const s of [...new Set(secrets)].sort((a, b) => b.length - a.length))
      out = out.split(s).join(redact(s));
  }
  return out;
}

let defaultRedactor: Redactor | undefined;

/** Redacts free text with every built-in rule (no scan's values): for logs and messages outside a scan. */
export function redactSecrets(text: string): string {
  defaultRedactor ??= createRedactor();
  return defaultRedactor(text);
}
