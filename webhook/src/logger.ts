import { writeSync } from 'node:fs';
import { redactSecrets } from '../../core/src/index.js';
/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Fields serialised once (redacted like any others) and appended to many log lines after the per-line fields:
 * the admission log repeats a decision's message and images for every admission of the same pod. Their keys must
 * differ from the per-line fields'.
 */
export class PreparedFields {
  /** @param members JSON object members without the braces (`"a":1,"b":"x"`), or '' */
  private constructor(readonly members: string) {}

  /**
   * Non-ASCII characters are written as JSON `\uXXXX` escapes (the same text to any JSON reader): a line of
   * ASCII only is a one-byte string, which joins and encodes several times faster than one with a `≥` in it.
   */
  static of(fields: Record<string, unknown>): PreparedFields {
    return new PreparedFields(asciiJson(JSON.stringify(redact(fields)).slice(1, -1)));
  }
}

/** JSON-lines logger. Callers pass fields, never secrets: tokens and keys are not logged, only their ids. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>, prepared?: PreparedFields): void;
  debug(msg: string, fields?: Record<string, unknown>, prepared?: PreparedFields): void;
  info(msg: string, fields?: Record<string, unknown>, prepared?: PreparedFields): void;
  warn(msg: string, fields?: Record<string, unknown>, prepared?: PreparedFields): void;
  error(msg: string, fields?: Record<string, unknown>, prepared?: PreparedFields): void;
}

/** Field names never written, whatever a caller passes (defence in depth). */
const SECRET_FIELDS = /^(token|jws|authorization|password|secret|key|privateKey|cookie)$/i;

/** JSON text with every non-ASCII character as a `\uXXXX` escape (UTF-16 units, as JSON spells them). */
export function asciiJson(json: string): string {
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The fields as they may be written: secret-named fields' values replaced, errors as message and code, and
 * every string passed through core's one redaction step (every secret rule), so a secret in an image reference,
 * an error message or a finding's text is masked here too.
 */
function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const safe: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELDS.test(k)) safe[k] = '[redacted]';
    else if (v instanceof Error)
      safe[k] = { message: redactSecrets(v.message), code: (v as { code?: unknown }).code };
    else safe[k] = redactValue(v);
  }
  return safe;
}

function redactValue(v: unknown): unknown {
  if (typeof v === 'string') return redactSecrets(v);
  if (Array.isArray(v)) return v.map(redactValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = redactValue(x);
    return out;
  }
  return v;
}

/** `Date#toISOString`, computed once per millisecond (a busy webhook logs many lines in one). */
function isoClock(now: () => Date): () => string {
  let lastMs = NaN;
  let lastText = '';
  return () => {
    const d = now();
    const ms = d.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = d.toISOString();
    }
    return lastText;
  };
}

let stdoutLines: ((line: string) => void) | undefined;

/**
 * Log lines to stdout, batched: lines written during one event-loop turn leave in one write at the end of it
 * (setImmediate), not one write per line. A webhook denying thousands of admissions a second logs each of them;
 * one write call per line cost more than deciding. Nothing is dropped: whatever is pending when the process
 * exits is written then.
 */
function batchedStdout(): (line: string) => void {
  if (stdoutLines) return stdoutLines;
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  // At exit the event loop is gone: a large write to a pipe that does not fit would be cut short, so the rest
  // is written synchronously to fd 1, retrying while the reader catches up (only if nothing is still queued in
  // process.stdout, which must keep the order; then the stream gets it, as every other write).
  process.on('exit', () => {
    if (pending.length === 0) return;
    const data = Buffer.from(pending.join(''));
    pending = [];
    if (process.stdout.writableLength > 0) {
      process.stdout.write(data);
      return;
    }
    let off = 0;
    while (off < data.length) {
      try {
        off += writeSync(1, data, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
    }
  });
  stdoutLines = (line) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return stdoutLines;
}

export function createLogger(
  opts: { level?: LogLevel; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? batchedStdout();
  const time = isoClock(opts.now ?? (() => new Date()));
  const log = (
    level: LogLevel,
    msg: string,
    fields: Record<string, unknown> = {},
    prepared?: PreparedFields,
  ): void => {
    if (RANK[level] < min) return;
    let line: string;
    if ('time' in fields || 'level' in fields || 'msg' in fields) {
      // rare: a field of the same name as ours replaces it, as in an object spread
      line = JSON.stringify({ time: time(), level, msg: redactSecrets(msg), ...redact(fields) }).slice(0, -1);
    } else {
      // {"time":…,"level":…,"msg":…, then the fields' members: the same text, without building the object
      line = `{"time":"${time()}","level":"${level}","msg":${JSON.stringify(redactSecrets(msg))}`;
      const members = JSON.stringify(redact(fields));
      if (members.length > 2) line += `,${members.slice(1, -1)}`;
    }
    write(prepared?.members ? `${line},${prepared.members}}\n` : `${line}}\n`);
  };
  return {
    log,
    debug: (m, f, p) => log('debug', m, f, p),
    info: (m, f, p) => log('info', m, f, p),
    warn: (m, f, p) => log('warn', m, f, p),
    error: (m, f, p) => log('error', m, f, p),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} });
