// Who is signed in: a bearer token for the public API, kept for this tab only (sessionStorage).
// The role shown and used to choose pages is read from the token's claims without verifying it:
// the services verify every call, and refuse (401/403) what the token may not do.

export type Role = 'customer' | 'support' | 'admin' | 'service';
export interface Session {
  token: string;
  sub: string;
  role: Role;
  /** seconds since the epoch, when the token says */
  expiresAt?: number;
}

const KEY = 'ebb.console.token';

function base64UrlJson(part: string): unknown {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The session a token stands for; undefined for something that is not a JWT naming a subject and a role. */
export function sessionOf(token: string): Session | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = base64UrlJson(parts[1]) as { sub?: unknown; role?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.role !== 'string') return undefined;
    return { token: token.trim(), sub: claims.sub, role: claims.role as Role, expiresAt: typeof claims.exp === 'number' ? claims.exp : undefined };
  } catch {
    return undefined;
  }
}

export function storedSession(): Session | undefined {
  const token = sessionStorage.getItem(KEY);
  const session = token ? sessionOf(token) : undefined;
  if (session?.expiresAt && session.expiresAt * 1000 <= Date.now()) return undefined;
  return session;
}

export function keepToken(token: string): Session | undefined {
  const session = sessionOf(token);
  if (session) sessionStorage.setItem(KEY, session.token);
  return session;
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * A token handed over by the shop's identity provider in the URL's fragment (`#token=<JWT>`): the
 * fragment never reaches a server. It is kept and removed from the address bar at once.
 */
export function takeTokenFromFragment(): Session | undefined {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match) return undefined;
  const session = keepToken(decodeURIComponent(match[1]));
  history.replaceState(null, '', window.location.pathname + window.location.search);
  return session;
}

export const isOperator = (role: Role | undefined) => role === 'support' || role === 'admin';

/** An Idempotency-Key: a fresh random one per action a person starts. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
