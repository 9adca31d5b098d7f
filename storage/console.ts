/**
 * The web console's own tables (src/console): server-side sessions and one-time sign-in links.
 * Tokens are random and only their SHA-256 is stored: a copy of the database signs nobody in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from './store.js';

export type ConsoleRole = 'viewer' | 'responder';

/** A 256-bit random token, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The stored form of a token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface ConsoleSessionRow {
  token_hash: string;
  identity: string;
  role: ConsoleRole;
  via: 'oidc' | 'link';
  csrf_token: string;
  created_at: string;
  auth_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface ConsoleLinkRow {
  id: number;
  token_hash: string;
  role: ConsoleRole;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** Queries of console_sessions and console_links. */
export class ConsoleStore {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Creates a session; returns its token (the cookie value before signing) and CSRF token. */
  createSession(s: { identity: string; role: ConsoleRole; via: 'oidc' | 'link'; at: Date; expiresAt: Date }): { token: string; csrf: string } {
    const token = randomToken();
    const csrf = randomToken();
    const at = s.at.toISOString();
    this.#store.db
      .prepare(`INSERT INTO console_sessions (token_hash, identity, role, via, csrf_token, created_at, auth_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(tokenHash(token), s.identity, s.role, s.via, csrf, at, at, at, s.expiresAt.toISOString());
    return { token, csrf };
  }

  /** The live session of `token` at `now` (not revoked, not expired), or undefined. */
  liveSession(token: string, now: Date): ConsoleSessionRow | undefined {
    return this.#store.db
      .prepare(`SELECT * FROM console_sessions WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?`)
      .get(tokenHash(token), now.toISOString()) as ConsoleSessionRow | undefined;
  }

  /** Records activity (for the idle timeout). */
  touch(token: string, now: Date, expiresAt: Date): void {
    this.#store.db.prepare(`UPDATE console_sessions SET last_seen_at = ?, expires_at = MIN(expires_at, ?) WHERE token_hash = ?`).run(now.toISOString(), expiresAt.toISOString(), tokenHash(token));
  }

  /** Ends one session (sign-out). */
  revoke(token: string, now: Date): boolean {
    return this.#store.db.prepare(`UPDATE console_sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL`).run(now.toISOString(), tokenHash(token)).changes > 0;
  }

  /** Ends every session of `identity`; returns how many. */
  revokeIdentity(identity: string, now: Date): number {
    return this.#store.db.prepare(`UPDATE console_sessions SET revoked_at = ? WHERE identity = ? AND revoked_at IS NULL`).run(now.toISOString(), identity).changes;
  }

  /** Creates a one-time link token; returns the token (shown once) and the row id. */
  createLink(l: { role: ConsoleRole; createdBy: string; at: Date; expiresAt: Date }): { id: number; token: string } {
    const token = randomToken();
    const r = this.#store.db
      .prepare(`INSERT INTO console_links (token_hash, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`)
      .run(tokenHash(token), l.role, l.createdBy, l.at.toISOString(), l.expiresAt.toISOString());
    return { id: Number(r.lastInsertRowid), token };
  }

  /** The link of `token`, whatever its state (to tell used from expired from unknown). */
  link(token: string): ConsoleLinkRow | undefined {
    return this.#store.db.prepare(`SELECT * FROM console_links WHERE token_hash = ?`).get(tokenHash(token)) as ConsoleLinkRow | undefined;
  }

  /** Marks the link used, once: true only for the one call that used an unused, unexpired link. */
  useLink(token: string, now: Date): boolean {
    return this.#store.db
      .prepare(`UPDATE console_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`)
      .run(now.toISOString(), tokenHash(token), now.toISOString()).changes === 1;
  }
}
