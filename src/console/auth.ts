/**
 * The console's sign-in plumbing: who gets which role, signed cookies, constant-time token
 * comparison and a per-client limit on sign-in attempts.
 *
 * A session cookie carries a random 256-bit token plus an HMAC-SHA256 of it. The token alone
 * already finds nothing without its row in console_sessions (stored hashed, revocable); the
 * signature lets a tampered or forged cookie be refused before the database is asked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConsoleRole } from '../../storage/console.js';

/** Who may look and who may act, from console.viewers / console.responders. */
export interface RoleRules {
  viewers: readonly string[];
  responders: readonly string[];
}

function patternMatches(pattern: string, email: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (!p.includes('*')) return p === email;
  const re = new RegExp(`^${p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^@]*')}$`);
  return re.test(email);
}

/**
 * The role of a signed-in email: responder when it matches `responders`, viewer when it matches
 * `viewers`, else null (not allowed in). A `*` matches within one part of the address, so
 * "*@example.com" does not match "eve@example.com.attacker.net" nor "a@b@example.com".
 */
export function roleOf(email: string, rules: RoleRules): ConsoleRole | null {
  const e = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(e)) return null;
  if (rules.responders.some((p) => patternMatches(p, e))) return 'responder';
  if (rules.viewers.some((p) => patternMatches(p, e))) return 'viewer';
  return null;
}

/** True when two strings are equal, in time independent of where they differ. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Signs and checks cookie values with one key. */
export class CookieSigner {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    this.#key = key;
  }
  #mac(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }
  sign(value: string): string {
    return `${value}.${this.#mac(value)}`;
  }
  /** The value when the signature is right, else undefined. */
  unsign(signed: string): string | undefined {
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    return sameToken(signed.slice(dot + 1), this.#mac(value)) ? value : undefined;
  }
}

/** Cookies of a request header, by name (the first of a name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (out.has(name)) continue;
    try {
      out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is no cookie at all
    }
  }
  return out;
}

export interface CookieOptions {
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  path?: string;
}

/** A Set-Cookie header value: always HttpOnly. */
export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  return [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? '/'}`, `Max-Age=${Math.max(0, Math.floor(o.maxAge))}`, 'HttpOnly', `SameSite=${o.sameSite}`, ...(o.secure ? ['Secure'] : [])].join('; ');
}

/**
 * At most `limit` attempts per client per `windowMs` (a fixed window): slows guessing at the
 * sign-in endpoints. In memory: one console process.
 */
export class AttemptLimiter {
  readonly #windows = new Map<string, { start: number; used: number }>();
  constructor(readonly limit: number, readonly windowMs: number) {}
  /** Counts an attempt; false when the client is over its limit. */
  allow(client: string, now: number): boolean {
    const w = this.#windows.get(client);
    if (!w || now - w.start >= this.windowMs) {
      if (this.#windows.size > 10_000) this.#windows.clear();
      this.#windows.set(client, { start: now, used: 1 });
      return true;
    }
    w.used += 1;
    return w.used <= this.limit;
  }
}
