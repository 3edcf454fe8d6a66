import type { Instruction } from '../../dockerfile/index.js';

const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ash',
  'ksh',
  '/bin/sh',
  '/bin/bash',
  '/bin/ash',
  '/bin/dash',
]);

/** The shell script a RUN executes: its command text, plus a heredoc body run by a shell. */
export function runScript(ins: Instruction): string {
  // Exec form runs no shell: quote each item so the shell reader sees the same words.
  const line = ins.json ? ins.args.map(shellQuote).join(' ') : (ins.args[0] ?? '');
  if (ins.heredocs.length === 0) return line;
  const rest = line
    .split(/\s+/)
    .filter((w) => w !== '' && !/^\d*<<-?/.test(w))
    .join(' ');
  const shellBody = rest === '' || SHELLS.has(rest.split(' ')[0] ?? '');
  return shellBody ? [rest, ...ins.heredocs.map((h) => h.content)].join('\n') : line;
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
