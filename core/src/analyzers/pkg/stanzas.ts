import { MAX_FIELD_LENGTH, addWarning } from './record.js';

/** How a stanza format reads one line: a field, the end of a stanza, a line to pass over, or not a field. */
export type StanzaLine = { key: string; value: string } | 'end' | 'skip' | 'invalid';

/** The line grammar of a blank-line separated `key: value` database (dpkg status, apk installed). */
export interface StanzaFormat {
  /** Keys kept (as `toLine` returns them); other fields are passed over unchecked. */
  wanted: ReadonlySet<string>;
  toLine(line: string): StanzaLine;
  /** Warning for a line that is not a field, before its length (`ignored a line that is not a K:value field`). */
  invalidLine: string;
  /** The key as the format writes it, for warnings (`P:`); the key itself by default. */
  keyLabel?: (key: string) => string;
  /** A kept key that, seen twice, ends the stanza before it even without a blank line (apk `P`). */
  startKey?: string;
}

/** What `readStanzas` saw besides the stanzas it handed on. */
export interface StanzaScan {
  /** Whether any field line was seen (so the caller can tell "empty" from "not this format"). */
  sawField: boolean;
  /** Stanzas dropped because they were damaged (NUL bytes) or held an over-long kept field. */
  dropped: number;
}

/**
 * Reads blank-line separated stanzas of kept fields, handing each complete one to `onStanza`. Linear in the
 * input; lines of any length are passed over. Damage stays local: a line with a NUL byte (a torn write, a
 * corrupted block) or an over-long kept field drops only its own stanza, with a warning, so the stanzas
 * before and after it still count.
 */
export function readStanzas(
  text: string,
  format: StanzaFormat,
  warnings: string[],
  onStanza: (fields: Map<string, string>) => void,
): StanzaScan {
  let fields = new Map<string, string>();
  let poisoned = false;
  let sawField = false;
  let dropped = 0;
  const flush = (): void => {
    if (poisoned) dropped++;
    else if (fields.size > 0) onStanza(fields);
    fields = new Map();
    poisoned = false;
  };

  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end > pos && text[end - 1] === '\r' ? end - 1 : end);
    pos = end + 1;
    if (line.includes('\0')) {
      if (!poisoned) addWarning(warnings, `damaged entry (NUL bytes in a ${line.length}-byte line): skipped`);
      poisoned = true;
      continue;
    }
    const parsed = format.toLine(line);
    if (parsed === 'end') {
      flush();
      continue;
    }
    if (parsed === 'skip') continue;
    if (parsed === 'invalid') {
      addWarning(warnings, `${format.invalidLine} (${line.length} bytes)`);
      continue;
    }
    sawField = true;
    const { key, value } = parsed;
    if (!format.wanted.has(key)) continue;
    if (value.length > MAX_FIELD_LENGTH) {
      const label = format.keyLabel?.(key) ?? key;
      addWarning(warnings, `field ${label} is ${value.length} bytes long: entry skipped`);
      poisoned = true;
      continue;
    }
    if (key === format.startKey && fields.has(key)) flush();
    fields.set(key, value);
  }
  flush();
  return { sawField, dropped };
}
