interface TrieNode {
  children: Map<string, TrieNode>;
  end: boolean;
}

/**
 * Builds one regex that finds any of the literal words, as a trie (`a(?:ws_secret|kia)`), so the engine
 * follows one branch per character instead of trying every word at every position. At each position
 * it matches the longest word; callers step `lastIndex` by one to see overlapping words too.
 */
export function createKeywordRegex(words: readonly string[]): RegExp {
  const root: TrieNode = { children: new Map(), end: false };
  for (const word of words) {
    let node = root;
    for (const ch of word) {
      let next = node.children.get(ch);
      if (!next) node.children.set(ch, (next = { children: new Map(), end: false }));
      node = next;
    }
    node.end = true;
  }
  const source = emit(root);
  // an empty word list must match nothing
  return new RegExp(source === '' ? '(?!)' : source, 'g');
}

function emit(node: TrieNode): string {
  const alternatives = [...node.children].map(([ch, child]) => escapeChar(ch) + emit(child));
  if (alternatives.length === 0) return '';
  const body = alternatives.length === 1 ? (alternatives[0] as string) : `(?:${alternatives.join('|')})`;
  if (!node.end) return body;
  return alternatives.length === 1 && !body.startsWith('(?:') ? `(?:${body})?` : `${body}?`;
}

function escapeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code <= 0xff)) return `\\x${code.toString(16).padStart(2, '0')}`;
  return /[.*+?^${}()|[\]\\/-]/.test(ch) ? `\\${ch}` : ch;
}
