/**
 * Secret-name detection and redaction for build instructions. Evidence never carries a secret value:
 * values of secret-looking variables, URL credentials and credential options are replaced by `****`.
 */

/** Name tokens that mark a variable as holding a secret (`DB_PASSWORD`, `GITHUB_TOKEN`, `API_KEY`). */
const SECRET_TOKENS = new Set([
  'PASSWORD',
  'PASSWD',
  'PASS',
  'PASSPHRASE',
  'SECRET',
  'SECRETS',
  'TOKEN',
  'APIKEY',
  'CREDENTIAL',
  'CREDENTIALS',
  'PRIVATEKEY',
  'ACCESSKEY',
]);

/** `KEY` alone is a secret only next to one of these (`API_KEY`, `SECRET_KEY`), not `GPG_KEY`. */
const KEY_QUALIFIERS = new Set([
  'API',
  'ACCESS',
  'SECRET',
  'PRIVATE',
  'MASTER',
  'ENCRYPTION',
  'SIGNING',
  'AUTH',
  'CLIENT',
  'SSH',
  'APP',
  'LICENSE',
  'SERVICE',
  'SESSION',
  'DEPLOY',
  'ADMIN',
  'JWT',
  'HMAC',
  'ENCRYPT',
  'CRYPT',
  'SECURITY',
]);

/** Suffixes that name where a secret lives, not the secret (`POSTGRES_PASSWORD_FILE=/run/secrets/db`). */
const REFERENCE_SUFFIXES = new Set([
  'FILE',
  'PATH',
  'DIR',
  'ID',
  'URL',
  'NAME',
  'USER',
  'USERNAME',
  'LENGTH',
  'TYPE',
]);

/** True when a variable name says it holds a password, token or key. */
export function isSecretName(name: string): boolean {
  // Camel case splits `dbPassword`, but odd casing (`PasS`, `SeCrEt`) must not: try both readings.
  const bare = name.replace(/^["']|["']$/g, '');
  return isSecretWords(bare.replace(/([a-z0-9])([A-Z])/g, '$1_$2')) || isSecretWords(bare);
}

function isSecretWords(name: string): boolean {
  const parts = name
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((p) => p !== '');
  const last = parts[parts.length - 1];
  if (last === undefined || REFERENCE_SUFFIXES.has(last)) return false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (SECRET_TOKENS.has(p)) return true;
    if (p === 'KEY' && i > 0 && KEY_QUALIFIERS.has(parts[i - 1] as string)) return true;
  }
  return false;
}

/**
 * True when a value is a literal worth reporting: not empty, not only a variable reference
 * (`$DB_PASSWORD`, `${TOKEN}`), not an obvious placeholder.
 */
export function isLiteralSecretValue(value: string): boolean {
  const v = value.trim().replace(/^["']|["']$/g, '');
  if (v === '') return false;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*(:?[-+?][^}]*)?\}?$/.test(v)) return false;
  // a command substitution (`$(cat /run/secrets/t)`) reads the secret at build time: nothing is written down
  if (/^(\$\(|`)/.test(v)) return false;
  if (/^(changeme|change_me|none|null|nil|false|true|xxx+|\*+|<[^>]*>|\.\.\.)$/i.test(v)) return false;
  // build-time stand-ins (`SECRET_KEY_BASE=dummy rails assets:precompile`)
  if (/^(dummy|placeholder|example|sample|fake|unused|disabled|redacted|test|testing|foo|bar)$/i.test(v))
    return false;
  // A path to a secret file (`/run/secrets/db`) is not the secret itself.
  if (/^\/run\/secrets\//.test(v)) return false;
  return true;
}

export const REDACTED = '****';

/** `=` (assignments), `@` (URL user-info), ` -` (options), and the two option-less forms below. */
const MAYBE_CREDENTIAL = /[=@]|\s-|configure|authorization/i;

/**
 * Redacts secrets inside a command or instruction text: values of secret-named `KEY=value` assignments
 * (also `|2 TOKEN=x` build-arg prefixes), URL user-info, `-u user:pass`, `--password x`, bearer tokens.
 */
export function redactText(text: string): string {
  // every pattern below needs one of these: most texts (titles, paths, package fields) skip all eight regexes
  if (!MAYBE_CREDENTIAL.test(text)) return text;
  return (
    text
      // scheme://user:pass@host
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/\s:@]+):([^@\s/]+)@/gi, `$1$2:${REDACTED}@`)
      // NAME=value / NAME="value" where NAME is secret-looking
      .replace(
        /(^|[\s;&|'"(])([A-Za-z_][A-Za-z0-9_]*)(=)("[^"]*"|'[^']*'|[^\s;&|]*)/g,
        (m, pre: string, name: string, eq: string, value: string) =>
          isSecretName(name) && isLiteralSecretValue(value) ? `${pre}${name}${eq}${REDACTED}` : m,
      )
      // curl -u user:pass, --user user:pass
      .replace(/(\s(?:-u|--user|--proxy-user)\s+)([^\s:]+):(\S+)/g, `$1$2:${REDACTED}`)
      // --password x, --password=x, --token x, -p x for login commands
      .replace(
        /(\s--?(?:password|passwd|pass|token|secret|api-key|apikey|access-key|secret-key|auth-token)(?:=|\s+))("[^"]*"|'[^']*'|\S+)/gi,
        `$1${REDACTED}`,
      )
      .replace(/(\blogin\b[^\n;&|]*?\s-p\s*)("[^"]*"|'[^']*'|\S+)/g, `$1${REDACTED}`)
      // mysql -pSECRET, aws configure set aws_secret_access_key SECRET
      .replace(/(\bmysql(?:admin|dump)?\b[^\n;&|]*?\s-p)([^\s-]\S*)/g, `$1${REDACTED}`)
      .replace(
        /(\bconfigure\s+set\s+\S*(?:secret|key|token|password)\S*\s+)("[^"]*"|'[^']*'|\S+)/gi,
        `$1${REDACTED}`,
      )
      .replace(/(authorization:\s*(?:bearer|basic|token)\s+)[^\s"']+/gi, `$1${REDACTED}`)
  );
}

/** Short, redacted evidence for a finding (one line, at most `max` characters). */
export function toEvidence(text: string, max = 240): string {
  // Cut generously before redacting (bounded work on huge input), then to size after.
  const oneLine = redactText(text.slice(0, max * 4))
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
