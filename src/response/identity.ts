/**
 * Identity linking: which accounts, at which monitors, belong to one person (an email).
 * An account is linked by, in order of precedence:
 *   1. `identities.map`: "provider:login" (or "monitorId:login") → identity; it wins over everything;
 *   2. the email the monitor stored for it: the provider's own email, the AWS `email` tag, or the
 *      GitHub SAML identity (github monitor `samlIdentities: true`).
 * An account mapped to another identity is never linked by its email.
 */
import type { LinkedAccount } from '../../responders/types.js';
import type { Store } from '../../storage/store.js';

/** What linking needs to know about the configuration. */
export interface IdentityContext {
  /** identities.map from the config. */
  map: Readonly<Record<string, string>>;
  /** Monitor instance id → monitor type, for the configured monitors. */
  monitorTypes: ReadonlyMap<string, string>;
}

interface AccountLike {
  monitorId: string;
  login: string;
  email: string | null;
}

const EMAIL = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;

/** True for something that looks like an email address (an identity). */
export function isEmail(value: string): boolean {
  return EMAIL.test(value);
}

/**
 * Why `arg` cannot name a person on the command line (null when it can): it must be an email or
 * PROVIDER:LOGIN, with no path separator, no dot segment (`.`, `..`: an HTTP path would resolve
 * them to another endpoint, Okta's user listing for `kill .`) and no control character.
 */
export function identityArgumentProblem(arg: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(arg)) return 'it contains a control character';
  if (/[/\\]/.test(arg)) return 'it contains a path separator (/ or \\)';
  if (isEmail(arg)) return null;
  const colon = arg.indexOf(':');
  if (colon <= 0) return 'it is neither an email nor PROVIDER:LOGIN';
  const login = arg.slice(colon + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(arg.slice(0, colon))) return 'its PROVIDER part is not a monitor type or id';
  if (login.trim() === '' || /^(\.|%2e){1,2}$/i.test(login.trim())) return 'its LOGIN part is empty or a dot segment';
  return null;
}

/** Normalised identity key: identities are compared case-insensitively. */
export function normaliseIdentity(identity: string): string {
  return identity.trim().toLowerCase();
}

/** The map entry of an account, if any ("github:octocat" or "github-acme:octocat"; the login is compared case-insensitively). */
function mapped(ctx: IdentityContext, monitorId: string, login: string): string | undefined {
  const type = ctx.monitorTypes.get(monitorId);
  const wanted = new Set([`${type ?? ''}:${login}`.toLowerCase(), `${monitorId}:${login}`.toLowerCase()]);
  for (const [key, identity] of Object.entries(ctx.map)) if (wanted.has(key.toLowerCase())) return identity;
  return undefined;
}

/** The identity of one account, or null when nothing links it to a person. */
export function identityOfAccount(ctx: IdentityContext, account: AccountLike): string | null {
  const fromMap = mapped(ctx, account.monitorId, account.login);
  if (fromMap) return normaliseIdentity(fromMap);
  return account.email && isEmail(account.email) ? normaliseIdentity(account.email) : null;
}

interface StoredAccountRow {
  monitor_id: string;
  scope: string;
  account_id: string;
  login: string;
  email: string | null;
}

/** Every stored account of the configured monitors linked to `identity`. */
export function linkedAccounts(store: Store, ctx: IdentityContext, identity: string): LinkedAccount[] {
  const who = normaliseIdentity(identity);
  const out = new Map<string, LinkedAccount>();
  const add = (r: StoredAccountRow, via: LinkedAccount['via']) => {
    const monitorType = ctx.monitorTypes.get(r.monitor_id);
    if (!monitorType) return;
    out.set(`${r.monitor_id}\u0000${r.scope}\u0000${r.account_id}`, { monitorId: r.monitor_id, monitorType, scope: r.scope, accountId: r.account_id, login: r.login, email: r.email, via });
  };
  const byLogin = store.db.prepare(`SELECT monitor_id, scope, account_id, login, email FROM accounts WHERE login = ? COLLATE NOCASE`);
  for (const [key, target] of Object.entries(ctx.map)) {
    if (normaliseIdentity(target) !== who) continue;
    const colon = key.indexOf(':');
    const prefix = key.slice(0, colon);
    const login = key.slice(colon + 1);
    for (const r of byLogin.all(login) as StoredAccountRow[]) {
      if (r.monitor_id === prefix || ctx.monitorTypes.get(r.monitor_id) === prefix) add(r, 'map');
    }
  }
  const byEmail = store.db.prepare(`SELECT monitor_id, scope, account_id, login, email FROM accounts WHERE email = ? COLLATE NOCASE`).all(who) as StoredAccountRow[];
  for (const r of byEmail) {
    const other = mapped(ctx, r.monitor_id, r.login);
    if (other && normaliseIdentity(other) !== who) continue; // the map says this account is someone else's
    if (!out.has(`${r.monitor_id}\u0000${r.scope}\u0000${r.account_id}`)) add(r, 'email');
  }
  return [...out.values()].sort((a, b) => a.monitorId.localeCompare(b.monitorId) || a.login.localeCompare(b.login));
}

/**
 * Resolves a command-line argument to an identity: an email as it is; "provider:login" (or
 * "monitorId:login") through the account's link. Returns null when "provider:login" matches no
 * linked account.
 */
export function resolveIdentityArgument(store: Store, ctx: IdentityContext, arg: string): { identity: string | null; matched: LinkedAccount[] } {
  const colon = arg.indexOf(':');
  if (colon <= 0 || isEmail(arg)) return { identity: normaliseIdentity(arg), matched: [] };
  const prefix = arg.slice(0, colon);
  const login = arg.slice(colon + 1);
  const fromMap = Object.entries(ctx.map).find(([k]) => k.toLowerCase() === arg.toLowerCase())?.[1];
  const rows = (store.db.prepare(`SELECT monitor_id, scope, account_id, login, email FROM accounts WHERE login = ? COLLATE NOCASE`).all(login) as StoredAccountRow[]).filter(
    (r) => r.monitor_id === prefix || ctx.monitorTypes.get(r.monitor_id) === prefix,
  );
  const matched = rows.map((r) => ({ monitorId: r.monitor_id, monitorType: ctx.monitorTypes.get(r.monitor_id) ?? prefix, scope: r.scope, accountId: r.account_id, login: r.login, email: r.email, via: 'email' as const }));
  if (fromMap) return { identity: normaliseIdentity(fromMap), matched };
  const identities = new Set(rows.map((r) => identityOfAccount(ctx, { monitorId: r.monitor_id, login: r.login, email: r.email })).filter((i): i is string => i !== null));
  if (identities.size === 1) return { identity: [...identities][0] ?? null, matched };
  return { identity: null, matched };
}
