/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** JSON-lines logger of the service. Callers pass names, never tokens: secret-looking fields are masked anyway. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const SECRET_FIELDS = /^(token|authorization|password|secret|key|privateKey|cookie)$/i;

function toSafe(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELDS.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = { message: v.message, code: (v as { code?: unknown }).code };
    else out[k] = v;
  }
  return out;
}

export function createLogger(
  opts: { level?: LogLevel; write?: (line: string) => void; now?: () => Date } = {},
): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const now = opts.now ?? (() => new Date());
  const log =
    (level: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      if (RANK[level] < min) return;
      write(`${JSON.stringify({ time: now().toISOString(), level, msg, ...toSafe(fields) })}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
