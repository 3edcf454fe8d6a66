import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../tokens.js';

/** One signed-in browser. The token it signed in with is not kept: only who it is. */
export interface ConsoleSession {
  id: string;
  /** Sent in every state-changing form; compared in constant time. */
  csrf: string;
  principal: Principal;
  expiresAt: number;
}

export interface SessionStore {
  create(principal: Principal): ConsoleSession;
  get(id: string | undefined): ConsoleSession | undefined;
  destroy(id: string): void;
  readonly size: number;
}

export const SESSION_COOKIE = 'portcullis_session';
/** Sessions end 8 hours after sign-in (a working day), whatever the activity. */
export const SESSION_TTL_MS = 8 * 3600_000;
// a flood of sign-ins cannot grow memory without bound: the oldest sessions go first
const MAX_SESSIONS = 10_000;

/** Server-side sessions in memory: random 256-bit ids, expiry checked on every read, oldest evicted. */
export function createSessionStore(opts: { ttlMs?: number; now?: () => number } = {}): SessionStore {
  const ttl = opts.ttlMs ?? SESSION_TTL_MS;
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, ConsoleSession>();
  return {
    create(principal) {
      const t = now();
      for (const [id, s] of sessions) if (s.expiresAt <= t) sessions.delete(id);
      while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
      const session: ConsoleSession = {
        id: randomBytes(32).toString('base64url'),
        csrf: randomBytes(32).toString('base64url'),
        principal,
        expiresAt: t + ttl,
      };
      sessions.set(session.id, session);
      return session;
    },
    get(id) {
      if (!id) return undefined;
      const s = sessions.get(id);
      if (!s) return undefined;
      if (s.expiresAt <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return s;
    },
    destroy(id) {
      sessions.delete(id);
    },
    get size() {
      return sessions.size;
    },
  };
}

/** The value of cookie `name` in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The cookie that carries a session id (never the token): HttpOnly, Secure, SameSite=Strict. */
export function toSessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

/** True when the form's CSRF field is this session's token. */
export function isValidCsrf(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
