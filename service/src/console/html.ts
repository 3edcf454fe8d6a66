/** Markup produced by {@link html}: already escaped, so interpolating it again keeps it as markup. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] as string);
}

function toMarkup(value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(toMarkup).join('');
  return escapeHtml(String(value));
}

/**
 * The console's only way to build markup: every interpolation is escaped unless it is itself the result of
 * `html` (or an array of them), so a page can only contain markup its templates spell out. There is no raw().
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] as string;
  values.forEach((v, i) => {
    out += toMarkup(v) + (strings[i + 1] as string);
  });
  return new SafeHtml(out);
}
