/**
 * The web console's HTTP server (fastify), served by `mfawatch start` on console.listen: its own
 * server, apart from the provider receiver on inbound.listen.
 *
 * Safety, in the order a request meets it:
 *   - headers on every answer: a Content-Security-Policy with no script at all, frame-ancestors
 *     'none' and X-Frame-Options DENY, nosniff, Referrer-Policy same-origin (no-referrer would make
 *     Chromium send `Origin: null` on the console's own form posts), no-store caching;
 *   - only form bodies are parsed (no JSON: a cross-site "simple" JSON post finds no parser);
 *   - a session is a signed, HttpOnly, SameSite=Strict cookie (Secure and __Host- when publicUrl
 *     is https) naming a row in console_sessions, which expires, idles out, and is revoked on
 *     sign-out;
 *   - every POST must come from the console's own origin (Origin header, and Sec-Fetch-Site when
 *     the browser sends it) and carry the session's synchronizer token;
 *   - viewers look, responders act; a kill or an accept needs a sign-in younger than
 *     console.reauthAfter;
 *   - sign-in endpoints are rate-limited per client; error pages say what happened, never a stack.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { UsageError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { parseListen } from '../observability/listen.js';
import { ConsoleStore, type ConsoleRole, type ConsoleSessionRow } from '../../storage/console.js';
import { accept, ack, cancelKill, killConfirmed, killPreview, PreviewLedger, redeliver, unack } from './actions.js';
import { CONSOLE_CSS } from './assets.js';
import { CoverageHistory } from './chart.js';
import { AttemptLimiter, CookieSigner, parseCookies, roleOf, sameToken, serializeCookie } from './auth.js';
import { html, query, type Html } from './html.js';
import { page, type Viewer } from './layout.js';
import { OidcRejectedError, OidcSignIn, OidcUnavailableError, type PendingSignIn } from './oidc.js';
import { accountPage, accountsCsv, accountsPage, auditPage, deliveriesPage, eventsPage, killsPage, overviewPage, personPage, type Params } from './pages.js';

export interface ConsoleOptions {
  /** fetch for the OIDC client (tests); default globalThis.fetch. */
  fetch?: typeof globalThis.fetch | undefined;
}

export interface ConsoleServer {
  /** "http://host:port" actually bound. */
  url: string;
  close(): Promise<void>;
}

type ConsoleSettings = NonNullable<App['config']['console']>;

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** Sign-in attempts per client per window. */
const SIGNIN_LIMIT = 20;
const SIGNIN_WINDOW_MS = 5 * 60_000;
const PENDING_MAX_AGE_S = 600;
/** How often a session's last activity is written (for the idle timeout). */
const TOUCH_EVERY_MS = 60_000;

/** True for SQLite's "another connection holds the write lock" errors. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** A console path to return to after sign-in: only a local absolute path, never "//host" or a URL. */
function localPath(next: string | undefined): string {
  return next && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

/** The page a person sees when an action needs a fresh sign-in. */
function reauthPage(viewer: Viewer, settings: ConsoleSettings, next: string): Html {
  const age = formatDuration(settings.reauthAfter);
  const how = viewer.via === 'oidc'
    ? html`<p><a class="button" id="reauth" href="/auth/login${query({ fresh: '1', next })}">Sign in again</a>, then repeat the action.</p>`
    : html`<p>You signed in with a one-time link. Make a new one on the server with <code>mfawatch console link --role responder</code> and open it, then repeat the action.</p>`;
  return page('Sign in again', viewer, html`<div class="notice bad">This action needs a sign-in from the last ${age}; yours is older. Nothing was done.</div>${how}`);
}

/** Builds the console (not listening): routes, hooks and their checks. */
export async function buildConsole(app: App, options: ConsoleOptions = {}): Promise<FastifyInstance> {
  const settings = app.config.console;
  if (!settings) throw new Error('console is not configured (add a "console" block to the config)');
  const listen = parseListen(settings.listen);
  if (!listen) throw new Error(`console.listen "${settings.listen}" is not HOST:PORT`);
  const publicUrl = settings.publicUrl ? new URL(settings.publicUrl) : undefined;
  const secure = publicUrl?.protocol === 'https:';
  const sessionCookie = secure ? '__Host-mfawatch' : 'mfawatch';
  const pendingCookie = secure ? '__Host-mfawatch-oidc' : 'mfawatch-oidc';
  const signer = new CookieSigner(settings.sessionSecret ? Buffer.from(settings.sessionSecret.reveal()) : randomBytes(32));
  const sessions = new ConsoleStore(app.store);
  const limiter = new AttemptLimiter(SIGNIN_LIMIT, SIGNIN_WINDOW_MS);
  const previews = new PreviewLedger();
  const oidc = settings.oidc && publicUrl
    ? new OidcSignIn({ issuer: settings.oidc.issuer, clientId: settings.oidc.clientId, clientSecret: settings.oidc.clientSecret, scopes: settings.oidc.scopes, redirectUri: new URL('/auth/callback', publicUrl).href, fetch: options.fetch })
    : undefined;
  const rules = { viewers: settings.viewers, responders: settings.responders };

  const f = Fastify({ logger: false, bodyLimit: 64 * 1024, trustProxy: ['127.0.0.1', '::1'] });
  f.removeAllContentTypeParsers();
  await f.register(formbody, { bodyLimit: 64 * 1024 });

  f.addHook('onRequest', async (_req, reply) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    reply.header('cache-control', 'no-store');
    if (secure) reply.header('strict-transport-security', 'max-age=31536000');
  });

  const sendPage = (reply: FastifyReply, body: Html, status = 200) => reply.code(status).type('text/html; charset=utf-8').send(body.toString());
  const auditAs = (actor: string, action: string, subject: string | null, detail: Record<string, unknown>) => app.store.audit({ at: app.clock.now(), actor, action, subject, detail });

  const cookieOf = (req: FastifyRequest, name: string): string | undefined => {
    const raw = parseCookies(req.headers.cookie).get(name);
    return raw === undefined ? undefined : signer.unsign(raw);
  };

  /** The live session of the request, or undefined (no cookie, bad signature, expired, idle, revoked). */
  const sessionOf = (req: FastifyRequest): { token: string; row: ConsoleSessionRow } | undefined => {
    const token = cookieOf(req, sessionCookie);
    if (!token) return undefined;
    const now = app.clock.now();
    const row = sessions.liveSession(token, now);
    if (!row) return undefined;
    const idle = now.getTime() - Date.parse(row.last_seen_at);
    if (idle > settings.idleTimeout) return undefined;
    // At most one write a minute per session, and never a reason to fail a page: while another
    // process writes (an `accept`, a `console link`), reading pages still works.
    if (idle > TOUCH_EVERY_MS) {
      try {
        sessions.touch(token, now);
      } catch (err) {
        if (!isBusy(err)) throw err;
      }
    }
    return { token, row };
  };

  const viewerOf = (req: FastifyRequest): Viewer | undefined => {
    const s = sessionOf(req)?.row;
    if (!s) return undefined;
    return { identity: s.identity, role: s.role, via: s.via, csrf: s.csrf_token, actor: `console:${s.identity}`, authAt: new Date(s.auth_at) };
  };

  const isFresh = (v: Viewer) => app.clock.now().getTime() - v.authAt.getTime() <= settings.reauthAfter;

  const expectedOrigin = (req: FastifyRequest) => publicUrl?.origin ?? `${req.protocol}://${req.host}`;

  /** Why a POST is not from the console's own pages, or undefined when it is. */
  const crossOrigin = (req: FastifyRequest): string | undefined => {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return `the request came from another site (Sec-Fetch-Site: ${String(site)})`;
    const origin = req.headers.origin;
    if (!origin) return 'the request has no Origin header';
    if (origin !== expectedOrigin(req)) return `the request came from ${origin}, not from the console`;
    return undefined;
  };

  const startSession = (reply: FastifyReply, s: { identity: string; role: ConsoleRole; via: 'oidc' | 'link'; authAt: Date }, previous: string | undefined) => {
    const now = app.clock.now();
    if (previous) sessions.revoke(previous, now);
    const { token } = sessions.createSession({ identity: s.identity, role: s.role, via: s.via, at: now, expiresAt: new Date(now.getTime() + settings.sessionTtl) });
    // A sign-in through the IdP may be older than now (auth_time): kills check that age.
    if (s.authAt.getTime() !== now.getTime()) sessions.setAuthAt(token, s.authAt);
    reply.header('set-cookie', serializeCookie(sessionCookie, signer.sign(token), { secure, sameSite: 'Strict', maxAge: settings.sessionTtl / 1000 }));
    auditAs(`console:${s.identity}`, 'console.signed_in', s.identity, { via: s.via, role: s.role });
  };

  /** A page behind sign-in (any role). */
  const viewRoute = (path: string, render: (viewer: Viewer, params: Params) => Html | undefined) => {
    f.get(path, async (req, reply) => {
      const viewer = viewerOf(req);
      if (!viewer) return reply.redirect(`/signin${query({ next: req.url })}`, 303);
      const body = render(viewer, req.query as Params);
      if (!body) return sendPage(reply, page('Not found', viewer, html`<p>Nothing here: it may have been removed, or the link is incomplete.</p>`), 404);
      return sendPage(reply, body);
    });
  };

  /** An action: a same-origin POST with the session's token, by a responder (fresh when `fresh`). */
  const actionRoute = (path: string, opts: { fresh: boolean; next: (p: Params) => string }, run: (viewer: Viewer, params: Params) => Html | Promise<Html>) => {
    f.post(path, async (req, reply) => {
      const params = (req.body ?? {}) as Params;
      const refused = crossOrigin(req);
      if (refused) {
        app.logger.warn({ path, reason: refused }, 'console: refused a cross-origin request');
        return sendPage(reply, page('Refused', undefined, html`<div class="notice bad">Refused: ${refused}. Nothing was done. Use the console's own pages.</div>`), 403);
      }
      const viewer = viewerOf(req);
      if (!viewer) return sendPage(reply, page('Signed out', undefined, html`<div class="notice bad">Your session has ended; nothing was done.</div><p><a href="/signin">Sign in</a></p>`), 401);
      if (typeof params._csrf !== 'string' || !sameToken(params._csrf, viewer.csrf)) {
        return sendPage(reply, page('Refused', viewer, html`<div class="notice bad">Refused: the form's security token is missing or stale (reload the page and try again). Nothing was done.</div>`), 403);
      }
      if (viewer.role !== 'responder') {
        return sendPage(reply, page('Not allowed', viewer, html`<div class="notice bad">Only responders can do this (console.responders); you are signed in as a viewer. Nothing was done.</div>`), 403);
      }
      if (opts.fresh && !isFresh(viewer)) return sendPage(reply, reauthPage(viewer, settings, opts.next(params)), 403);
      return sendPage(reply, await run(viewer, params));
    });
  };

  // ── public ────────────────────────────────────────────────────────────────
  f.get('/static/console.css', async (_req, reply) => reply.header('cache-control', 'public, max-age=3600').type('text/css; charset=utf-8').send(CONSOLE_CSS));

  f.get('/signin', async (req, reply) => {
    const next = localPath((req.query as Params).next);
    return sendPage(reply, page('Sign in', undefined, html`
${oidc ? html`<p><a class="button" id="signin-oidc" href="/auth/login${query({ next })}">Sign in with your company account</a></p>` : html`<p>No identity provider is configured (console.oidc).</p>`}
<p class="muted">On the server, <code>mfawatch console link</code> prints a one-time sign-in link.</p>`));
  });

  f.get('/auth/login', async (req, reply) => {
    if (!oidc) return sendPage(reply, page('Sign in', undefined, html`<p>No identity provider is configured (console.oidc); use <code>mfawatch console link</code>.</p>`), 404);
    if (!limiter.allow(req.ip, Date.now())) return sendPage(reply, page('Too many attempts', undefined, html`<p>Too many sign-in attempts from your address; wait a few minutes.</p>`), 429);
    const p = req.query as Params;
    const { url, pending } = await oidc.start({ fresh: p.fresh === '1', next: localPath(p.next) });
    reply.header('set-cookie', serializeCookie(pendingCookie, signer.sign(Buffer.from(JSON.stringify(pending)).toString('base64url')), { secure, sameSite: 'Lax', maxAge: PENDING_MAX_AGE_S }));
    return reply.redirect(url, 302);
  });

  f.get('/auth/callback', async (req, reply) => {
    if (!oidc || !publicUrl) return sendPage(reply, page('Sign in', undefined, html`<p>No identity provider is configured.</p>`), 404);
    if (!limiter.allow(req.ip, Date.now())) return sendPage(reply, page('Too many attempts', undefined, html`<p>Too many sign-in attempts from your address; wait a few minutes.</p>`), 429);
    const raw = cookieOf(req, pendingCookie);
    reply.header('set-cookie', serializeCookie(pendingCookie, '', { secure, sameSite: 'Lax', maxAge: 0 }));
    let pending: PendingSignIn;
    try {
      pending = JSON.parse(Buffer.from(raw ?? '', 'base64url').toString('utf8')) as PendingSignIn;
      if (typeof pending.state !== 'string' || typeof pending.verifier !== 'string') throw new Error('incomplete');
    } catch {
      return sendPage(reply, page('Sign-in expired', undefined, html`<div class="notice bad">This sign-in was not started here, or took longer than ${PENDING_MAX_AGE_S / 60} minutes.</div><p><a href="/signin">Start again</a></p>`), 400);
    }
    const identity = await oidc.finish(new URL(req.url, publicUrl), pending, app.clock.now());
    const role = roleOf(identity.email, rules);
    if (!role) {
      auditAs('console', 'console.signin_refused', identity.email, { via: 'oidc', reason: 'not in console.viewers or console.responders' });
      return sendPage(reply, page('Not allowed', undefined, html`<div class="notice bad">${identity.email} signed in at the identity provider, but is not allowed in this console. Ask an administrator to add you to console.viewers or console.responders.</div>`), 403);
    }
    const previous = cookieOf(req, sessionCookie);
    startSession(reply, { identity: identity.email, role, via: 'oidc', authAt: identity.authAt }, previous);
    // A page, not a redirect: a SameSite=Strict cookie set during a cross-site redirect chain
    // would not be sent on the next hop; a refresh from this same-origin page is same-site.
    const next = localPath(pending.next);
    return sendPage(reply, html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${next}"><title>Signed in · mfawatch</title><link rel="stylesheet" href="/static/console.css"></head><body><main><p>Signed in as ${identity.email}. <a href="${next}">Continue</a></p></main></body></html>`);
  });

  f.get('/link', async (req, reply) => {
    const token = (req.query as Params).token ?? '';
    const link = token ? sessions.link(token) : undefined;
    const now = app.clock.now().toISOString();
    if (!link || link.used_at || link.expires_at <= now) {
      return sendPage(reply, page('Link not valid', undefined, html`<div class="notice bad">This sign-in link is ${!link ? 'not known' : link.used_at ? 'already used (each link signs in once)' : 'expired'}.</div><p>Make a new one on the server: <code>mfawatch console link</code>.</p>`), 410);
    }
    // Signing in takes a POST: link scanners and previews that fetch the URL do not use it up.
    return sendPage(reply, page('Sign in with a one-time link', undefined, html`<p>This link signs you in once as <strong>${link.role}</strong> (made by ${link.created_by}, valid until ${link.expires_at}).</p>
<form method="post" action="/link"><input type="hidden" name="token" value="${token}"><button type="submit" class="primary" id="link-signin">Sign in</button></form>`));
  });

  f.post('/link', async (req, reply) => {
    const refused = crossOrigin(req);
    if (refused) return sendPage(reply, page('Refused', undefined, html`<div class="notice bad">Refused: ${refused}.</div>`), 403);
    if (!limiter.allow(req.ip, Date.now())) return sendPage(reply, page('Too many attempts', undefined, html`<p>Too many sign-in attempts from your address; wait a few minutes.</p>`), 429);
    const token = ((req.body ?? {}) as Params).token ?? '';
    const link = token ? sessions.link(token) : undefined;
    if (!link || !sessions.useLink(token, app.clock.now())) {
      auditAs('console', 'console.link_refused', link ? `link#${link.id}` : null, { reason: !link ? 'unknown token' : link.used_at ? 'already used' : 'expired' });
      return sendPage(reply, page('Link not valid', undefined, html`<div class="notice bad">This sign-in link is not valid any more (each link signs in once, for a short time).</div><p>Make a new one on the server: <code>mfawatch console link</code>.</p>`), 410);
    }
    startSession(reply, { identity: `link#${link.id}/${link.created_by}`, role: link.role, via: 'link', authAt: app.clock.now() }, cookieOf(req, sessionCookie));
    return reply.redirect('/', 303);
  });

  f.post('/signout', async (req, reply) => {
    const refused = crossOrigin(req);
    const s = sessionOf(req);
    if (refused || !s || !sameToken(String(((req.body ?? {}) as Params)._csrf ?? ''), s.row.csrf_token)) {
      return sendPage(reply, page('Refused', undefined, html`<div class="notice bad">Refused: not a sign-out from the console's own page.</div>`), 403);
    }
    sessions.revoke(s.token, app.clock.now());
    auditAs(`console:${s.row.identity}`, 'console.signed_out', s.row.identity, {});
    reply.header('set-cookie', serializeCookie(sessionCookie, '', { secure, sameSite: 'Strict', maxAge: 0 }));
    return reply.redirect('/signin', 303);
  });

  // ── pages ─────────────────────────────────────────────────────────────────
  const history = new CoverageHistory();
  viewRoute('/', (v, p) => overviewPage(app, v, p, history));
  viewRoute('/accounts', (v, p) => accountsPage(app, v, p));
  viewRoute('/account', (v, p) => accountPage(app, v, p));
  viewRoute('/person', (v, p) => personPage(app, v, p));
  viewRoute('/events', (v, p) => eventsPage(app, v, p));
  viewRoute('/kills', (v) => killsPage(app, v));
  viewRoute('/deliveries', (v) => deliveriesPage(app, v));
  viewRoute('/audit', (v, p) => auditPage(app, v, p));

  f.get('/accounts.csv', async (req, reply) => {
    const viewer = viewerOf(req);
    if (!viewer) return reply.redirect(`/signin${query({ next: '/accounts' })}`, 303);
    const params = req.query as Params;
    auditAs(viewer.actor, 'console.accounts_exported', null, { filters: params });
    const day = app.clock.now().toISOString().slice(0, 10);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="mfawatch-accounts-${day}.csv"`).send(Readable.from(accountsCsv(app, params)));
  });

  // ── actions ───────────────────────────────────────────────────────────────
  const toPerson = (p: Params) => `/person${query({ identity: p.identity })}`;
  actionRoute('/kill/preview', { fresh: true, next: toPerson }, (v, p) => killPreview(app, v, p));
  actionRoute('/kill', { fresh: true, next: toPerson }, (v, p) => killConfirmed(app, v, p, previews));
  actionRoute('/kill/cancel', { fresh: false, next: toPerson }, (v, p) => cancelKill(app, v, p));
  actionRoute('/ack', { fresh: false, next: () => '/' }, (v, p) => ack(app, v, p));
  actionRoute('/unack', { fresh: false, next: () => '/' }, (v, p) => unack(app, v, p));
  actionRoute('/accept', { fresh: true, next: () => '/' }, (v, p) => accept(app, v, p));
  actionRoute('/redeliver', { fresh: false, next: () => '/deliveries' }, (v, p) => redeliver(app, v, p));

  f.setNotFoundHandler(async (req, reply) => sendPage(reply, page('Not found', viewerOf(req), html`<p>No such page. <a href="/">Overview</a></p>`), 404));

  f.setErrorHandler(async (err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const viewer = (() => {
      try {
        return viewerOf(req);
      } catch {
        return undefined;
      }
    })();
    if (err instanceof UsageError) return sendPage(reply, page('Cannot do that', viewer, html`<div class="notice bad">${err.message}</div>`), 400);
    if (err instanceof OidcUnavailableError) {
      app.logger.warn({ err: err.message }, 'console: the identity provider is unavailable');
      return sendPage(reply, page('Sign-in unavailable', viewer, html`<div class="notice bad">The identity provider cannot be reached right now, so nobody can sign in through it. ${err.message}</div><p>Try again in a few minutes; in an emergency, use <code>mfawatch console link</code> on the server.</p>`), 502);
    }
    if (err instanceof OidcRejectedError) {
      auditAs('console', 'console.signin_refused', null, { via: 'oidc', reason: err.message });
      return sendPage(reply, page('Sign-in failed', viewer, html`<div class="notice bad">${err.message}</div><p><a href="/signin">Start again</a></p>`), 403);
    }
    if (isBusy(err)) {
      return sendPage(reply, page('Busy', viewer, html`<div class="notice bad">The database is busy (another mfawatch process is writing to it); nothing was done. Try again in a moment.</div>`), 503);
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendPage(reply, page('Bad request', viewer, html`<div class="notice bad">The request could not be read (${err.statusCode}${err.code ? ` ${err.code}` : ''}).</div>`), err.statusCode);
    }
    app.logger.error({ err, path: req.url }, 'console: request failed');
    return sendPage(reply, page('Something went wrong', viewer, html`<div class="notice bad">The console could not finish this request; the daemon's log has the details. If it was an action, check the Audit page before repeating it.</div>`), 500);
  });

  return f;
}

/** Builds the console and listens on console.listen. */
export async function startConsole(app: App, options: ConsoleOptions = {}): Promise<ConsoleServer> {
  const f = await buildConsole(app, options);
  const where = parseListen(app.config.console?.listen ?? '') as { host: string; port: number };
  await f.listen({ host: where.host, port: where.port });
  const address = f.server.address();
  const port = typeof address === 'object' && address ? address.port : where.port;
  const host = where.host.includes(':') ? `[${where.host}]` : where.host;
  return { url: `http://${host}:${port}`, close: () => f.close() };
}
