/**
 * Break-glass annotation: `portcullis.dev/break-glass: "INC-4711; expires=2026-12-01T00:00:00Z; reason=outage"`.
 * The first `;`-separated part is the ticket (required), then `key=value` pairs; `expires` (RFC 3339, required)
 * must be in the future and within `maxDurationHours`. It only counts in namespaces the config lists, and every
 * use (honoured or refused) is logged.
 */
export type BreakGlass =
  | { status: 'absent' }
  | { status: 'honoured'; ticket: string; expires: string; reason?: string }
  | { status: 'refused'; why: string; ticket?: string };

const TICKET = /^[A-Za-z0-9][A-Za-z0-9._/#:-]{1,63}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function evaluateBreakGlass(
  value: string | undefined,
  ctx: { namespace?: string; allowedNamespaces: string[]; maxDurationHours: number; now: Date },
): BreakGlass {
  if (value === undefined) return { status: 'absent' };
  const parts = value.split(';').map((p) => p.trim());
  const ticket = parts[0] ?? '';
  if (!TICKET.test(ticket))
    return { status: 'refused', why: 'the annotation must start with a ticket id (e.g. INC-4711)' };
  const kv: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0) kv[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  if (!ctx.namespace || !ctx.allowedNamespaces.includes(ctx.namespace))
    return {
      status: 'refused',
      ticket,
      why: `break-glass is not allowed in namespace ${ctx.namespace ?? '(none)'}`,
    };
  const expires = kv.expires;
  if (!expires || !RFC3339.test(expires) || Number.isNaN(Date.parse(expires)))
    return { status: 'refused', ticket, why: 'expires=<RFC 3339 time> is required' };
  const left = Date.parse(expires) - ctx.now.getTime();
  if (left <= 0) return { status: 'refused', ticket, why: `expired at ${expires}` };
  if (left > ctx.maxDurationHours * 3_600_000)
    return { status: 'refused', ticket, why: `expiry is more than ${ctx.maxDurationHours}h away` };
  return { status: 'honoured', ticket, expires, ...(kv.reason ? { reason: kv.reason } : {}) };
}
