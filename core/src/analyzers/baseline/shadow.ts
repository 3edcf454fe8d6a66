/** One `/etc/shadow` account whose password field is a risk. */
export interface ShadowRisk {
  user: string;
  /** 1-based line. */
  line: number;
  kind: 'empty' | 'des' | 'md5' | 'bsdi-des';
  /** Redacted evidence: never the hash itself. */
  evidence: string;
}

/**
 * Reads `/etc/shadow` and returns accounts with an empty password field or a weak hash. Locked or
 * disabled fields (`*`, `!`, `!!`, `!…`) and modern hashes (`$5$`, `$6$`, `$y$`, `$gy$`, `$7$`, `$2b$`…)
 * are fine.
 */
export function parseShadowRisks(text: string): ShadowRisk[] {
  const risks: ShadowRisk[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const fields = line.split(':');
    const user = fields[0] ?? '';
    const pw = fields[1];
    if (user === '' || pw === undefined || fields.length < 2) return;
    const kind = classify(pw);
    if (kind === undefined) return;
    const evidence =
      kind === 'empty'
        ? `${user}:<empty password field>`
        : kind === 'md5'
          ? `${user}:$1$****`
          : `${user}:<${kind === 'des' ? 'DES' : 'BSDi DES'} hash>`;
    risks.push({ user, line: i + 1, kind, evidence });
  });
  return risks;
}

function classify(pw: string): ShadowRisk['kind'] | undefined {
  if (pw === '') return 'empty';
  if (pw.startsWith('!') || pw.startsWith('*')) return undefined;
  if (pw.startsWith('$1$')) return 'md5';
  if (/^_[./0-9A-Za-z]{19}$/.test(pw)) return 'bsdi-des';
  if (/^[./0-9A-Za-z]{13}$/.test(pw)) return 'des';
  return undefined;
}
