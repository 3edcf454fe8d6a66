/** Checks a regex cannot express cheaply; rule data names them (`validate: pem-private-key`). */
export type ValidatorName = 'pem-private-key' | 'putty-private-key' | 'gcp-service-account' | 'jwt';

export const VALIDATOR_NAMES: readonly ValidatorName[] = [
  'pem-private-key',
  'putty-private-key',
  'gcp-service-account',
  'jwt',
];

export interface ValidationResult {
  ok: boolean;
  /** The value to redact into evidence, when it differs from the regex match. */
  secret?: string;
  /** Appended to the title (`encrypted`). */
  note?: string;
  /** Offset in the text where the matched object ends (for endLine). */
  endIndex?: number;
}

/** How far past a PEM header the body is looked for. */
const PEM_WINDOW = 16 * 1024;
/** Characters after a PEM header examined for armor headers and the start of the body. */
const PEM_HEAD = 2048;
/** Shortest base64 body accepted as a real key: placeholders (`xxx`, `...`) are shorter or not base64. */
const MIN_KEY_BODY = 16;
/** Shortest base64 body, between a BEGIN and an END line, reported although it does not start like DER. */
const MIN_FRAGMENT_BODY = 32;

export function runValidator(name: ValidatorName, text: string, match: RegExpExecArray): ValidationResult {
  switch (name) {
    case 'pem-private-key':
      return validatePem(text, match);
    case 'putty-private-key':
      return validatePutty(text, match);
    case 'gcp-service-account':
      return validateGcp(text);
    case 'jwt':
      return validateJwt(match[0]);
  }
}

function validatePem(text: string, match: RegExpExecArray): ValidationResult {
  const start = match.index + match[0].length;
  const window = text.slice(start, start + PEM_WINDOW);
  const endAt = window.indexOf('-----END');
  // keys embedded in JSON/YAML strings carry literal "\n" escapes instead of newlines
  // the first body lines are enough to judge the key; never split the whole window
  const head = window.slice(0, Math.min(endAt === -1 ? window.length : endAt, PEM_HEAD));
  const lines = head.split(/\\r\\n|\\n|\r?\n/);
  let body = '';
  let encrypted = /ENCRYPTED/.test(match[0]);
  for (const rawLine of lines) {
    const line = rawLine.trim().replace(/^["']|["',]$/g, '');
    if (line === '') continue;
    if (/^[A-Za-z-]{2,40}:/.test(line)) {
      if (/^Proc-Type:.{0,10}ENCRYPTED/.test(line)) encrypted = true;
      continue; // PEM / PGP armor headers
    }
    // some tools wrap a body at 76 columns with spaces instead of newlines
    const packed = line.replace(/[ \t]/g, '');
    if (!/^[A-Za-z0-9+/=]{1,400}$/.test(packed)) break;
    body += packed;
    if (body.length >= 256) break;
  }
  const kind = match.groups?.kind ?? '';
  let ok: boolean;
  if (kind.startsWith('OPENSSH'))
    ok = body.startsWith('b3BlbnNzaC1rZXktdjE'); // "openssh-key-v1"
  else if (kind.startsWith('PGP')) ok = body.length >= 4 * MIN_KEY_BODY;
  else ok = body.startsWith('M') && body.length >= MIN_KEY_BODY; // DER: a SEQUENCE (0x30…) encodes as "M"
  let note: string | undefined;
  if (!ok) {
    // A header is a key even when the body is short or broken (a truncated paste still leaks key
    // material): a DER-looking start ("M…", any length), or nothing at all between BEGIN and END lines.
    // A template body (`...`, `xxx`, `<your key>`) or base64 of something else is not; nor is a header
    // alone without an END line (code that builds PEM text).
    const between = endAt === -1 ? undefined : window.slice(0, endAt);
    const template = isPemTemplate(between ?? head);
    const derStart = body.startsWith('M') && isPemBodyText(between ?? head.slice(0, body.length + 64));
    const empty =
      between !== undefined &&
      between
        .trim()
        .replace(/\\[rn]/g, '')
        .trim() === '';
    // a complete BEGIN…END block whose body is only base64 (a fragment of a key, or one re-encoded)
    const fragment =
      between !== undefined &&
      body.length >= MIN_FRAGMENT_BODY &&
      isPemBodyText(between) &&
      !isBase64OfText(body);
    ok = !template && (derStart || empty || fragment);
    if (ok) note = 'short or malformed body';
  }
  const result: ValidationResult = { ok, secret: body.slice(0, 64) };
  if (note) result.note = note;
  if (endAt !== -1) result.endIndex = start + endAt;
  if (encrypted) result.note = result.note ? `${result.note}, encrypted` : 'encrypted';
  return result;
}

/** Base64 that decodes to printable text (`YWJj…` = "abc…"): a demo body, not key material, which is binary. */
function isBase64OfText(body: string): boolean {
  const bytes = Buffer.from(body.slice(0, 256), 'base64');
  let printable = 0;
  for (const b of bytes) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) printable++;
  return bytes.length > 0 && printable / bytes.length > 0.9;
}

/** Only what a PEM body may hold: base64, whitespace, armor headers and escaped newlines (`\n`). */
function isPemBodyText(text: string): boolean {
  return /^([A-Za-z0-9+/=\s]|\\[rn]|[A-Za-z-]{2,40}: [^\n]{0,200}\n)*$/.test(text.slice(0, PEM_HEAD));
}

function isPemTemplate(text: string): boolean {
  return /\.{3}|x{3}|\*{3}|<|>|\{\{|\$\{|your|example|placeholder|redacted|insert/i.test(text);
}

function validatePutty(text: string, match: RegExpExecArray): ValidationResult {
  const window = text.slice(match.index, match.index + PEM_WINDOW);
  const m = /Private-Lines: {0,3}\d{1,4}\r?\n([A-Za-z0-9+/=]{8,200})/.exec(window);
  if (!m) return { ok: false };
  const result: ValidationResult = { ok: true, secret: m[1] ?? '' };
  if (/Encryption: {0,3}(?!none)\S/.test(window)) result.note = 'encrypted';
  return result;
}

function validateGcp(text: string): ValidationResult {
  // the key body must look like DER ("M…"), so templates with "..." as the key are not reported
  if (
    !/"private_key"\s{0,5}:\s{0,5}"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----(\\n|\s){1,4}M[A-Za-z0-9+/]{15}/.test(
      text,
    )
  ) {
    return { ok: false };
  }
  const id = /"private_key_id"\s{0,5}:\s{0,5}"([^"]{8,128})"/.exec(text)?.[1];
  return id === undefined ? { ok: true } : { ok: true, secret: id };
}

function validateJwt(token: string): ValidationResult {
  const header = token.slice(0, token.indexOf('.'));
  try {
    const json = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown };
    return { ok: typeof json.alg === 'string' };
  } catch {
    return { ok: false };
  }
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  const n = value.length;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER_WORDS = [
  'your_',
  'your-',
  'yourpass',
  'replace',
  'changeme',
  'change_me',
  'placeholder',
  'dummy',
  'redacted',
  'xxxx',
  '****',
  '....',
  'example',
  'sample',
];
const PLACEHOLDER_VALUES = new Set([
  'password',
  'passwd',
  'null',
  'none',
  'nil',
  'true',
  'false',
  'undefined',
  'empty',
]);

/**
 * True for a token value that is a template or a documentation stand-in, whatever the rule: runs of `x`,
 * `X`, `0`, `1`, `#`, `*` (after the vendor prefix: `sk_live_xxxx…`, `ghp_0000…`), `<…>`, `${VAR}`,
 * `{{ var }}` and `your-…-here` values. Every content rule applies it; `placeholders: true` adds the wider
 * isPlaceholder check for values that are only recognised by their context (`password = …`).
 */
export function isPlaceholderToken(value: string): boolean {
  if (/\$\{|\{\{|<[^<>]{1,80}>/.test(value)) return true;
  if (isDocumentationValue(value)) return true;
  if (/your[_-]?[A-Za-z0-9_-]{0,40}[_-]?here|insert[_-]?your|replace[_-]?me/i.test(value)) return true;
  // the part after a vendor prefix (`sk_live_`, `ghp_`, `glpat-`, `xoxb-`)
  const body = value.replace(/^[A-Za-z]{1,12}[_-]((live|test|proj|svcacct|admin|api|pat|pw|tkn)[_-])?/, '');
  if (/^([xX01#*.-])\1{3,}$/.test(body)) return true;
  return /x{6,}|X{6,}|#{4,}|\*{4,}|0{12,}|\.{4,}/.test(body);
}

/**
 * True for a value marked as documentation: `example`, `sample`, `dummy`, `fake` as a separate part
 * (`sk_live_example_…`, `dummy-token`). A word run into other letters (`…dummynotreal…`) is not a marker:
 * real tokens are random. Vendor-specific markers (AWS's `…EXAMPLE`) are the rule's `allowPatterns`.
 */
export function isDocumentationValue(value: string): boolean {
  return /(^|[_.-])(example|sample|dummy|fake)([_.-]|$)/i.test(value);
}

/** True for template and documentation values (`${DB_PASS}`, `<password>`, `changeme`, `xxxx`). */
export function isPlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (/^(\$\{|\$\(|\{\{|\{|<|%\(|%s|\$[A-Za-z_])/.test(value)) return true;
  if (value.includes('${') || value.includes('{{') || value.includes('$(')) return true;
  // encrypted or indirect values, not plaintext: SOPS `ENC[AES256_GCM,…]`, Jasypt `ENC(…)`, Spring `{cipher}…`
  if (/^(ENC\[|ENC\(|\{cipher\}|vault:|secretref:)/i.test(value)) return true;
  if (/^(.)\1{0,200}$/.test(value)) return true;
  if (PLACEHOLDER_VALUES.has(lower)) return true;
  return PLACEHOLDER_WORDS.some((w) => lower.includes(w));
}
