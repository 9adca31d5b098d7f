/**
 * OIDC sign-in to the console with openid-client against a loopback OpenID Provider fake:
 * discovery, authorization code with PKCE (S256), state and nonce, an RS256 ID token; roles from
 * the allow-lists; re-authentication with max_age before a kill; an IdP that is down.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOidc } from '../fakes/oidc.js';
import { csrfOf, ENV, get, post, startHarness, type Harness } from './harness.js';

const PUBLIC = 'http://localhost';
let h: Harness;
let idp: FakeOidc;

beforeEach(async () => {
  idp = new FakeOidc('mfawatch-console', ENV.OIDC_CLIENT_SECRET);
  await idp.start();
  h = await startHarness({ console: { publicUrl: PUBLIC, oidc: { issuer: idp.url, clientId: 'mfawatch-console', clientSecret: '${OIDC_CLIENT_SECRET}' } } });
  // openid-client checks token times against the real clock: pin the app's clock to it.
  h.clock.set(new Date().toISOString());
  idp.authClock = () => h.clock.now().getTime();
});
afterEach(async () => {
  await h.close();
  await idp.stop();
});

/** Runs the browser's part: /auth/login → IdP → /auth/callback; returns the callback answer. */
async function signInThroughIdp(next = '/', extra: Record<string, string> = {}) {
  const start = await h.console.inject({ method: 'GET', url: `/auth/login?${new URLSearchParams({ next, ...extra })}` });
  expect(start.statusCode).toBe(302);
  const pending = String(start.headers['set-cookie']).split(';')[0] ?? '';
  const atIdp = await fetch(String(start.headers.location), { redirect: 'manual' });
  expect(atIdp.status).toBe(302);
  const callback = new URL(atIdp.headers.get('location') ?? '');
  expect(callback.origin + callback.pathname).toBe(`${PUBLIC}/auth/callback`);
  return { start, callback: await h.console.inject({ method: 'GET', url: callback.pathname + callback.search, headers: { cookie: pending } }), callbackUrl: callback, pending };
}

describe('OIDC sign-in', () => {
  it('signs in with code + PKCE + state + nonce, and the session names the person', async () => {
    const { start, callback } = await signInThroughIdp('/accounts');
    const auth = new URL(String(start.headers.location));
    expect(auth.origin + auth.pathname).toBe(`${idp.url}/authorize`);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({ client_id: 'mfawatch-console', response_type: 'code', redirect_uri: `${PUBLIC}/auth/callback`, scope: 'openid email profile', code_challenge_method: 'S256' });
    expect(auth.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('max_age')).toBeNull();
    expect(String(start.headers['set-cookie'])).toMatch(/^mfawatch-oidc=[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(callback.statusCode).toBe(200);
    // A same-site refresh page, so the SameSite=Strict cookie is sent on the next request.
    expect(callback.body).toContain('<meta http-equiv="refresh" content="0;url=/accounts">');
    const cookies = ([] as string[]).concat(callback.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('mfawatch='))?.split(';')[0] ?? '';
    expect(cookies.find((c) => c.startsWith('mfawatch-oidc='))).toMatch(/Max-Age=0/);
    const page = await get(h, '/', session);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<span>alice@example.com</span><span class="badge">responder</span>');
    const audit = h.app.store.db.prepare(`SELECT actor, detail FROM audit WHERE action = 'console.signed_in'`).all() as Array<{ actor: string; detail: string }>;
    expect(audit).toEqual([{ actor: 'console:alice@example.com', detail: JSON.stringify({ via: 'oidc', role: 'responder' }) }]);
  });

  it('refuses a person outside the allow-lists, a forged state, and a callback this browser did not start', async () => {
    idp.user = { sub: '00u-mallory', email: 'mallory@elsewhere.example' };
    const outsider = await signInThroughIdp();
    expect(outsider.callback.statusCode).toBe(403);
    expect(outsider.callback.body).toContain('mallory@elsewhere.example signed in at the identity provider, but is not allowed in this console');
    expect(outsider.callback.headers['set-cookie']).not.toMatch(/mfawatch=[^;]/);

    idp.user = { sub: '00u-alice', email: 'alice@example.com' };
    const start = await h.console.inject({ method: 'GET', url: '/auth/login' });
    const pending = String(start.headers['set-cookie']).split(';')[0] ?? '';
    const back = new URL((await fetch(String(start.headers.location), { redirect: 'manual' })).headers.get('location') ?? '');
    back.searchParams.set('state', 'forged-state-value');
    const forged = await h.console.inject({ method: 'GET', url: back.pathname + back.search, headers: { cookie: pending } });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('the sign-in was not accepted');
    const noCookie = await h.console.inject({ method: 'GET', url: back.pathname + back.search });
    expect(noCookie.statusCode).toBe(400);
    const actions = (h.app.store.db.prepare(`SELECT action FROM audit WHERE action LIKE 'console.%'`).all() as Array<{ action: string }>).map((r) => r.action);
    expect(actions).toEqual(['console.signin_refused', 'console.signin_refused']);
  });

  it('asks for a fresh sign-in (max_age=0, prompt=login) before a kill when the sign-in is older than 5 minutes', async () => {
    const first = await signInThroughIdp();
    const cookie = ([] as string[]).concat(first.callback.headers['set-cookie'] ?? []).find((c) => c.startsWith('mfawatch='))?.split(';')[0] ?? '';
    const csrf = csrfOf((await get(h, '/person?identity=carol@example.com', cookie)).body);
    h.clock.advance(6 * 60_000);
    const stale = await post(h, '/kill/preview', cookie, { identity: 'carol@example.com', _csrf: csrf });
    expect(stale.statusCode).toBe(403);
    const reauth = /href="(\/auth\/login\?[^"]+)" id="reauth"|id="reauth" href="(\/auth\/login\?[^"]+)"/.exec(stale.body);
    const href = (reauth?.[1] ?? reauth?.[2] ?? '').replace(/&amp;/g, '&');
    expect(href).toBe('/auth/login?fresh=1&next=%2Fperson%3Fidentity%3Dcarol%2540example.com');
    expect(h.okta.requests).toHaveLength(0);
    const again = await signInThroughIdp('/person?identity=carol%40example.com', { fresh: '1' });
    const auth = new URL(String(again.start.headers.location));
    expect(auth.searchParams.get('max_age')).toBe('0');
    expect(auth.searchParams.get('prompt')).toBe('login');
    const fresh = ([] as string[]).concat(again.callback.headers['set-cookie'] ?? []).find((c) => c.startsWith('mfawatch='))?.split(';')[0] ?? '';
    const freshCsrf = csrfOf((await get(h, '/person?identity=carol@example.com', fresh)).body);
    const preview = await post(h, '/kill/preview', fresh, { identity: 'carol@example.com', _csrf: freshCsrf });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('/api/v1/users/00ucarol/sessions');
  });

  it('says clearly when the identity provider is down, without a stack trace', async () => {
    await idp.stop();
    const res = await h.console.inject({ method: 'GET', url: '/auth/login' });
    expect(res.statusCode).toBe(502);
    expect(res.body).toContain('The identity provider cannot be reached right now');
    expect(res.body).toContain(`cannot read the OpenID configuration of ${idp.url} (console.oidc.issuer)`);
    expect(res.body).toContain('mfawatch console link');
    expect(res.body).not.toMatch(/at \w+ \(|node:internal|\.ts:\d+/);
  });
});
