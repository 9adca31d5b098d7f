/**
 * The web console's contracts through fastify's inject (real routes, real SQLite, real scans of
 * the GitHub fake, a real Okta responder fake): headers, sign-in by one-time link, roles, CSRF and
 * origin checks, escaping of hostile provider data, the CSV, the coverage chart against the
 * store, and the kill flow with its preview, typed confirmation and fresh-sign-in rule.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCycle } from '../../src/cycle.js';
import { ResponseStore } from '../../storage/responses.js';
import { runCli } from '../helpers.js';
import { CoverageHistory, coverageOverTime } from '../../src/console/chart.js';
import { csvCell } from '../../src/console/pages.js';
import { escapeHtml, html, safeHref } from '../../src/console/html.js';
import { roleOf } from '../../src/console/auth.js';
import { csrfOf, ENV, get, HOSTILE_LOGIN, makeLink, ORIGIN, post, signIn, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const auditRows = (action: string) => h.app.store.db.prepare(`SELECT actor, action, subject, detail FROM audit WHERE action LIKE ? ORDER BY id`).all(action) as Array<{ actor: string; action: string; subject: string | null; detail: string }>;

describe('headers and sign-in', () => {
  it('sends a script-free CSP, frame and sniffing protection, and no caching on every page', async () => {
    for (const url of ['/signin', '/', '/static/console.css', '/nope']) {
      const res = await h.console.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('same-origin');
    }
    const page = await h.console.inject({ method: 'GET', url: '/signin' });
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  });

  it('sends the signed-out to sign in (GET 303, POST 401) and changes nothing', async () => {
    const res = await h.console.inject({ method: 'GET', url: '/accounts?mfa=disabled' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/signin?next=%2Faccounts%3Fmfa%3Ddisabled');
    const kill = await post(h, '/kill', '', { identity: 'alice@example.com', confirm: 'alice@example.com', _csrf: 'x' });
    expect(kill.statusCode).toBe(401);
    expect(h.okta.requests).toHaveLength(0);
  });

  it('a one-time link signs in once: HttpOnly SameSite=Strict cookie, audited; a replay is refused', async () => {
    const token = await makeLink(h, 'viewer');
    const stored = h.app.store.db.prepare(`SELECT token_hash FROM console_links`).all() as Array<{ token_hash: string }>;
    expect(stored).toHaveLength(1);
    expect(stored[0]?.token_hash).not.toContain(token);
    // Opening the link does not use it (link scanners fetch URLs): signing in is a POST.
    const landing = await h.console.inject({ method: 'GET', url: `/link?token=${token}` });
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain('action="/link"');
    const first = await post(h, '/link', '', { token });
    expect(first.statusCode).toBe(303);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^mfawatch=[^;]+\.[^;]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const replay = await post(h, '/link', '', { token });
    expect(replay.statusCode).toBe(410);
    expect(replay.headers['set-cookie']).toBeUndefined();
    expect(auditRows('console.%').map((r) => r.action)).toEqual(['console.link_created', 'console.signed_in', 'console.link_refused']);
    expect(JSON.parse(auditRows('console.link_refused')[0]?.detail ?? '{}')).toEqual({ reason: 'already used' });
  });

  it('refuses an expired link, a tampered cookie and a signed-out session', async () => {
    const token = await makeLink(h, 'viewer', '5m');
    h.clock.advance(6 * 60_000);
    expect((await post(h, '/link', '', { token })).statusCode).toBe(410);
    const cookie = await signIn(h, 'viewer');
    expect((await get(h, '/', cookie)).statusCode).toBe(200);
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await get(h, '/', tampered)).statusCode).toBe(303);
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    const out = await post(h, '/signout', cookie, { _csrf: csrf });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    expect((await get(h, '/', cookie)).statusCode).toBe(303);
  });

  it('ends a session after console.idleTimeout without a request, and after console.sessionTtl', async () => {
    const cookie = await signIn(h, 'viewer');
    h.clock.advance(59 * 60_000);
    expect((await get(h, '/', cookie)).statusCode).toBe(200);
    h.clock.advance(61 * 60_000);
    expect((await get(h, '/', cookie)).statusCode).toBe(303);
    // Active every 50 minutes: alive until 12 hours after sign-in, not after.
    const other = await signIn(h, 'viewer');
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      h.clock.advance(50 * 60_000);
      statuses.push((await get(h, '/', other)).statusCode);
    }
    expect(statuses).toEqual([...new Array<number>(14).fill(200), 303]);
  });

  it('marks cookies Secure (and __Host-) when publicUrl is https', async () => {
    await h.close();
    h = await startHarness({ console: { publicUrl: 'https://mfawatch.example.com' } });
    const token = await makeLink(h, 'viewer');
    const res = await h.console.inject({ method: 'POST', url: '/link', headers: { origin: 'https://mfawatch.example.com', 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers['set-cookie'])).toMatch(/^__Host-mfawatch=.*; Path=\/; .*HttpOnly; SameSite=Strict; Secure$/);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('`console sessions` lists the sessions in force and `console revoke` ends them at once (audited)', async () => {
    const viewer = await signIn(h, 'viewer');
    const responder = await signIn(h, 'responder');
    const cli = (...args: string[]) => runCli([...args, '--config', h.configPath], { env: ENV, overrides: { clock: h.clock } });
    const listed = await cli('console', 'sessions');
    expect(listed.stdout.trim().split('\n')).toHaveLength(2);
    expect(listed.stdout).toMatch(/^link#2\/\S+ {2}responder {2}via link {2}signed in 2026-11-22T10:00:00.000Z/m);
    const first = (h.app.store.db.prepare(`SELECT identity FROM console_sessions WHERE role = 'viewer'`).get() as { identity: string }).identity;
    expect((await cli('console', 'revoke', first)).stderr).toContain(`1 console session(s) ended for ${first}`);
    expect((await get(h, '/', viewer)).statusCode).toBe(303);
    expect((await get(h, '/', responder)).statusCode).toBe(200);
    expect((await cli('console', 'revoke', '--all')).code).toBe(0);
    expect((await get(h, '/', responder)).statusCode).toBe(303);
    expect((await cli('console', 'revoke')).code).toBe(2);
    expect(auditRows('console.sessions_revoked').map((r) => [r.subject, JSON.parse(r.detail)])).toEqual([[first, { sessions: 1 }], ['*', { sessions: 1 }]]);
  });

  it('limits sign-in attempts per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await post(h, '/link', '', { token: `guess-${i}` })).statusCode);
    expect(statuses).toEqual([...new Array<number>(20).fill(410), 429]);
    const token = await makeLink(h, 'viewer');
    expect((await post(h, '/link', '', { token })).statusCode).toBe(429);
  });

  it('roles come from console.viewers and console.responders patterns, a * within one part only', () => {
    const rules = { viewers: ['*@example.com'], responders: ['alice@example.com'] };
    expect(roleOf('Alice@Example.com', rules)).toBe('responder');
    expect(roleOf('bob@example.com', rules)).toBe('viewer');
    expect(roleOf('eve@example.com.attacker.net', rules)).toBeNull();
    expect(roleOf('eve@attacker.net', rules)).toBeNull();
    expect(roleOf('a@b@example.com', rules)).toBeNull();
  });
});

describe('pages', () => {
  it('shows coverage and counts that match the store, and the chart replays the history day by day', async () => {
    const cookie = await signIn(h, 'viewer');
    const res = await get(h, '/?days=7', cookie);
    expect(res.statusCode).toBe(200);
    const counts = h.app.store.storedCounts('gh-acme', '');
    const applicable = counts.byState.enabled + counts.byState.weak + counts.byState.disabled;
    expect(res.body).toContain(`<div class="big" id="coverage-now">${((counts.byState.enabled / applicable) * 100).toFixed(1)}%</div>`);
    expect(res.body).toContain(`<div class="big" id="without-mfa-total">${counts.byState.disabled + counts.byState.weak}</div>`);
    expect(res.body).toContain('<svg viewBox="0 0 720 220"');
    // 25 accounts: day 1 two without 2FA, day 2 bob fixed it, day 3 carol lost it.
    const [overall] = coverageOverTime(h.app.store, h.clock.now(), 3, ['gh-acme']);
    expect(overall?.points.map((p) => [p.at.slice(0, 10), p.enabled, p.disabled])).toEqual([
      ['2026-11-19', 0, 0],
      ['2026-11-20', 23, 2],
      ['2026-11-21', 24, 1],
      ['2026-11-22', 23, 2],
    ]);
    expect(overall?.points[0]?.coverage).toBeNull();
    // Kept between views and brought up to date with the new rows only: the same as from scratch.
    const history = new CoverageHistory();
    coverageOverTime(h.app.store, h.clock.now(), 3, ['gh-acme'], history);
    h.gh.members.get(2)!.twoFactor = 'insecure';
    h.gh.members.delete(119);
    h.clock.advance(3_600_000);
    await runCycle(h.app, { signal: new AbortController().signal });
    const kept = coverageOverTime(h.app.store, h.clock.now(), 3, ['gh-acme'], history);
    expect(kept).toEqual(coverageOverTime(h.app.store, h.clock.now(), 3, ['gh-acme']));
    expect(kept[0]?.points.at(-1)).toMatchObject({ enabled: 21, weak: 1, disabled: 2 });
  });

  it('shows a hostile login as text everywhere, never as markup', async () => {
    const cookie = await signIn(h, 'viewer');
    for (const url of ['/', '/accounts', '/accounts?q=img', '/events?since=30d', '/account?monitor=gh-acme&id=4']) {
      const res = await get(h, url, cookie);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('<script>alert(2)');
      expect(res.body).not.toContain('<img src=x');
      if (url !== '/events?since=30d') expect(res.body).toContain(escapeHtml(HOSTILE_LOGIN));
    }
    expect(html`<a href="${'" onclick="x'}">${'<b>'}</a>`.toString()).toBe('<a href="&quot; onclick=&quot;x">&lt;b&gt;</a>');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('data:text/html,<script>')).toBeUndefined();
    expect(safeHref('https://github.com/alice')).toBe('https://github.com/alice');
    expect(safeHref('https://github.com@evil.example/')).toBeUndefined();
    // Control and bidi characters are shown, not obeyed (the shared provider-text escape).
    expect(escapeHtml('admin\u202eesab\r\n')).toBe('admin\\u202eesab\\r\\n');
  });

  it('filters, sorts and downloads the accounts view as CSV with formulas neutralised (audited)', async () => {
    const cookie = await signIn(h, 'viewer');
    const page = await get(h, '/accounts?mfa=disabled&sort=login', cookie);
    const logins = [...page.body.matchAll(/<td><a href="\/account\?[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(logins).toEqual([escapeHtml(HOSTILE_LOGIN), 'carol'].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    const csv = await get(h, '/accounts.csv?q=HYPERLINK', cookie);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe('attachment; filename="mfawatch-accounts-2026-11-22.csv"');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('monitor,scope,account_id,login,email,display_name,kind,admin,mfa,factors,acknowledged_until,first_seen,changed_at');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example/x"",""open"")"`);
    const all = await get(h, '/accounts.csv', cookie);
    expect(all.body.trim().split('\r\n')).toHaveLength(1 + h.app.store.storedCounts('gh-acme', '').accounts);
    expect(auditRows('console.accounts_exported')).toHaveLength(2);
    for (const [v, want] of [['+1', `"'+1"`], ['-2', `"'-2"`], ['@SUM(A1)', `"'@SUM(A1)"`], ['\tx', `"'\tx"`], ['plain', '"plain"'], [null, '""']] as const) expect(csvCell(v)).toBe(want);
  });

  it('shows a person with linked accounts, timeline and a kill button for responders only', async () => {
    const viewer = await signIn(h, 'viewer');
    const asViewer = await get(h, '/person?identity=carol@example.com', viewer);
    expect(asViewer.body).toContain('carol');
    expect(asViewer.body).toMatch(/<ol class="timeline">.*added.*enabled.*changed.*disabled/s);
    expect(asViewer.body).not.toContain('/kill/preview');
    const responder = await signIn(h, 'responder');
    expect((await get(h, '/person?identity=carol@example.com', responder)).body).toContain('action="/kill/preview"');
  });
});

describe('times for people', () => {
  it('every page shows times in displayTimezone, zone named; the <time> datetime stays UTC ISO', async () => {
    await h.close();
    h = await startHarness({ displayTimezone: 'America/New_York' });
    const cookie = await signIn(h, 'responder');
    const pages = await Promise.all(['/', '/events', '/account?monitor=gh-acme&id=3', '/person?identity=carol%40example.com', '/audit', '/accounts'].map(async (url) => [url, (await get(h, url, cookie)).body] as const));
    for (const [url, body] of pages) {
      const times = [...body.matchAll(/<time datetime="([^"]*)">([^<]*)<\/time>/g)];
      expect(times.length, url).toBeGreaterThan(0);
      for (const [, datetime, shown] of times) {
        expect(datetime, url).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(shown, url).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T$/);
      }
    }
    // carol's loss of 2FA, scanned at 09:00 UTC: 04:00 in New York.
    expect(pages.find(([url]) => url === '/events')?.[1]).toContain('<time datetime="2026-11-22T09:00:00.000Z">2026-11-22 04:00 EST</time>');
    const csrf = csrfOf((await get(h, '/account?monitor=gh-acme&id=3', cookie)).body);
    const acked = await post(h, '/ack', cookie, { monitor: 'gh-acme', scope: '', account: '3', for: '7d', reason: 'on leave', _csrf: csrf });
    expect(acked.body).toContain('until <time datetime="2026-11-29T10:00:00.000Z">2026-11-29 05:00 EST</time>.');
  });
});

describe('actions', () => {
  it('a viewer cannot act (403), and nothing reaches the responder', async () => {
    const cookie = await signIn(h, 'viewer');
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    for (const [url, form] of [['/kill/preview', { identity: 'carol@example.com' }], ['/kill', { identity: 'carol@example.com', confirm: 'carol@example.com' }], ['/ack', { monitor: 'gh-acme', account: '2', for: '7d', reason: 'x' }], ['/redeliver', { notifier: 'siem' }]] as const) {
      const res = await post(h, url, cookie, { ...form, _csrf: csrf });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Only responders can do this');
    }
    expect(h.okta.requests).toHaveLength(0);
    expect(auditRows('response.%')).toHaveLength(0);
    expect(auditRows('account.%')).toHaveLength(0);
  });

  it('refuses a cross-site post, a post without the token, and Origin: null; nothing changes', async () => {
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    const form = { identity: 'carol@example.com', _csrf: csrf };
    const crossSite = await post(h, '/kill/preview', cookie, form, { origin: 'https://evil.example' });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.body).toContain('the request came from https://evil.example');
    expect((await post(h, '/kill/preview', cookie, form, { origin: 'null' })).statusCode).toBe(403);
    expect((await post(h, '/kill/preview', cookie, form, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    const noToken = await post(h, '/kill/preview', cookie, { identity: 'carol@example.com' });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.body).toContain('security token is missing or stale');
    expect((await post(h, '/kill/preview', cookie, { ...form, _csrf: `${csrf.slice(0, -1)}x` })).statusCode).toBe(403);
    // A JSON body is not parsed at all (415): no "simple request" route around the form token.
    const json = await h.console.inject({ method: 'POST', url: '/kill/preview', headers: { origin: ORIGIN, host: 'localhost', cookie, 'content-type': 'application/json' }, payload: JSON.stringify(form) });
    expect(json.statusCode).toBe(415);
    expect(h.okta.requests).toHaveLength(0);
    expect(auditRows('response.%')).toHaveLength(0);
  });

  it('kill: the preview lists the calls and calls nothing that changes; the typed confirmation kills exactly once, audited with the person', async () => {
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/person?identity=carol@example.com', cookie)).body);
    const preview = await post(h, '/kill/preview', cookie, { identity: 'carol@example.com', _csrf: csrf });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain(`DELETE ${h.okta.url}/api/v1/users/00ucarol/sessions?oauthTokens=true`);
    expect(h.okta.cleared).toEqual([]);
    const previewId = /name="preview" value="(\d+)"/.exec(preview.body)?.[1] ?? '';
    const wrong = await post(h, '/kill', cookie, { identity: 'carol@example.com', preview: previewId, confirm: 'carol', _csrf: csrf });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('the confirmation does not match');
    expect(h.okta.cleared).toEqual([]);
    const done = await post(h, '/kill', cookie, { identity: 'carol@example.com', preview: previewId, confirm: 'carol@example.com', _csrf: csrf });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('was signed out at every service that knows them');
    expect(done.body).toMatch(/<tr data-responder="okta">.*succeeded/s);
    const again = await post(h, '/kill', cookie, { identity: 'carol@example.com', preview: previewId, confirm: 'carol@example.com', _csrf: csrf });
    expect(again.statusCode).toBe(400);
    expect(h.okta.cleared).toEqual(['00ucarol+oauth']);
    const linkId = (h.app.store.db.prepare(`SELECT id, created_by FROM console_links ORDER BY id DESC LIMIT 1`).get() as { id: number; created_by: string });
    const actor = `console:link#${linkId.id}/${linkId.created_by}`;
    expect(auditRows('response.%').map((r) => [r.action, r.actor, r.subject])).toEqual([
      ['response.manual', actor, 'carol@example.com'],
      ['response.dry_run', actor, 'carol@example.com'],
      ['response.manual', actor, 'carol@example.com'],
      ['response.done', actor, 'carol@example.com'],
    ]);
    expect((await get(h, '/kills', cookie)).body).toMatch(/okta \(Okta\): <span class="badge succeeded">succeeded<\/span>/);
  });

  it('a kill needs a sign-in younger than console.reauthAfter', async () => {
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    h.clock.advance(6 * 60_000);
    const res = await post(h, '/kill/preview', cookie, { identity: 'carol@example.com', _csrf: csrf });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This action needs a sign-in from the last 5m');
    expect(res.body).toContain('mfawatch console link --role responder');
    expect(h.okta.requests).toHaveLength(0);
  });

  it('ack and unack run the CLI code, audited with the signed-in person', async () => {
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/account?monitor=gh-acme&id=3', cookie)).body);
    const acked = await post(h, '/ack', cookie, { monitor: 'gh-acme', scope: '', account: '3', for: '7d', reason: 'on leave, <b>key</b> ordered', _csrf: csrf });
    expect(acked.statusCode).toBe(200);
    expect(acked.body).toContain('Acknowledged carol for 7d');
    // The console's own time element, as on every page (not a raw ISO string).
    expect(acked.body).toMatch(/until <time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z">\d{4}-\d\d-\d\d \d\d:\d\d [A-Z+0-9]+<\/time>\./);
    expect((await get(h, '/accounts?acked=yes', cookie)).body).toMatch(/>carol<\/a>/);
    const page = (await get(h, '/account?monitor=gh-acme&id=3', cookie)).body;
    expect(page).toContain('on leave, &lt;b&gt;key&lt;/b&gt; ordered');
    const unacked = await post(h, '/unack', cookie, { monitor: 'gh-acme', scope: '', account: '3', reason: 'back', _csrf: csrf });
    expect(unacked.body).toContain('Ended 1 acknowledgement(s)');
    const rows = auditRows('account.%');
    expect(rows.map((r) => r.action)).toEqual(['account.acknowledged', 'account.unacknowledged']);
    expect(rows.every((r) => r.actor.startsWith('console:link#'))).toBe(true);
    const bad = await post(h, '/ack', cookie, { monitor: 'gh-acme', scope: '', account: '3', for: '400d', reason: 'x', _csrf: csrf });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('longer than 366 days');
  });

  it('a responder failing mid-kill shows its result per service; nothing is retried by the console', async () => {
    h.okta.inject({ kind: 'status', status: 403, body: { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action', errorLink: 'E0000006', errorId: 'x', errorCauses: [] } }, 10, (r) => r.method === 'DELETE');
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    const preview = await post(h, '/kill/preview', cookie, { identity: 'carol@example.com', _csrf: csrf });
    const previewId = /name="preview" value="(\d+)"/.exec(preview.body)?.[1] ?? '';
    const done = await post(h, '/kill', cookie, { identity: 'carol@example.com', preview: previewId, confirm: 'carol@example.com', _csrf: csrf });
    expect(done.statusCode).toBe(200);
    expect(done.body).toMatch(/Kill #\d+ is incomplete: okta failed\. Nothing is retried by itself/);
    expect(done.body).toMatch(/<tr data-responder="okta">.*<span class="badge failed">failed<\/span>.*403/s);
    expect(h.okta.requests.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(h.okta.cleared).toEqual([]);
  });

  it('accepts a held scan (fresh sign-in), cancels a kill in its grace period, redelivers failed deliveries; each audited as the person', async () => {
    // Six of 25 members leave at once: the mass-change guard holds the scan.
    for (const id of [100, 101, 102, 103, 104, 105]) h.gh.members.delete(id);
    await runCycle(h.app, { signal: new AbortController().signal });
    const cookie = await signIn(h, 'responder');
    const overview = await get(h, '/', cookie);
    expect(overview.body).toContain('action="/accept"');
    const csrf = csrfOf(overview.body);
    const accepted = await post(h, '/accept', cookie, { monitor: 'gh-acme', scope: '', _csrf: csrf });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.body).toMatch(/held scan \d+ accepted and committed: 19 accounts, 6 change\(s\)/);
    expect(h.app.store.storedCounts('gh-acme', '').accounts).toBe(19);

    const now = h.clock.now();
    const responses = new ResponseStore(h.app.store);
    responses.insert({ identity: 'bob@example.com', origin: 'auto', status: 'scheduled', dryRun: false, createdAt: now, dueAt: new Date(now.getTime() + 600_000), actor: 'system' });
    const cancelled = await post(h, '/kill/cancel', cookie, { identity: 'bob@example.com', _csrf: csrf });
    expect(cancelled.body).toContain('Cancelled 1 scheduled kill(s) of bob@example.com');
    expect(cancelled.body).toMatch(/\(was due <time datetime="[^"]+Z">[^<]+<\/time>\)/);

    const outboxId = h.app.store.enqueue('siem', 'batch-failed-1', 'events', { title: 'x' }, [], now) ?? 0;
    h.app.store.recordAttempt(outboxId, { at: now, ok: false, error: 'HTTP 400', durationMs: 1 }, { status: 'failed' });
    expect((await get(h, '/deliveries', cookie)).body).toContain('action="/redeliver"');
    const again = await post(h, '/redeliver', cookie, { notifier: 'siem', _csrf: csrf });
    expect(again.body).toContain('1 failed delivery to siem queued again');
    expect(h.app.store.outboxRow(outboxId)?.status).toBe('pending');

    const actors = h.app.store.db.prepare(`SELECT action, actor FROM audit WHERE action IN ('scan.accepted', 'response.cancelled', 'delivery.requeued') ORDER BY id`).all() as Array<{ action: string; actor: string }>;
    expect(actors.map((a) => a.action)).toEqual(['scan.accepted', 'response.cancelled', 'delivery.requeued']);
    expect(new Set(actors.map((a) => a.actor)).size).toBe(1);
    expect(actors[0]?.actor).toMatch(/^console:link#\d+\//);
  });

  it('keeps serving pages while another process holds the write lock, and says so when an action must wait', async () => {
    const cookie = await signIn(h, 'responder');
    const csrf = csrfOf((await get(h, '/', cookie)).body);
    const other = new Database(join(h.dir.path, 'state.db'));
    other.pragma('busy_timeout = 0');
    other.exec('BEGIN IMMEDIATE');
    try {
      h.clock.advance(2 * 60_000); // the session's activity is due to be written: it must not fail the page
      expect((await get(h, '/accounts', cookie)).statusCode).toBe(200);
      const busy = await post(h, '/ack', cookie, { monitor: 'gh-acme', scope: '', account: '3', for: '7d', reason: 'x', _csrf: csrf });
      expect(busy.statusCode).toBe(503);
      expect(busy.body).toContain('The database is busy (another mfawatch process is writing to it); nothing was done');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(auditRows('account.%')).toHaveLength(0);
  });

  it('never renders a secret: provider tokens, link tokens, session tokens', async () => {
    const cookie = await signIn(h, 'responder');
    const sessionToken = decodeURIComponent(cookie.split('=')[1] ?? '').split('.')[0] ?? '';
    const linkToken = await makeLink(h, 'viewer');
    const pages = ['/', '/accounts', '/accounts.csv', '/events?since=90d', '/kills', '/deliveries', '/audit', '/person?identity=carol@example.com', '/account?monitor=gh-acme&id=3'];
    const bodies = await Promise.all(pages.map(async (url) => (await get(h, url, cookie)).body));
    for (const body of bodies) {
      for (const secret of [ENV.GH_TOKEN, ENV.OKTA_TOKEN, sessionToken, linkToken]) expect(body).not.toContain(secret);
    }
  });

  it('the audit page shows the chain status and the console rows', async () => {
    const cookie = await signIn(h, 'viewer');
    const res = await get(h, '/audit', cookie);
    expect(res.body).toMatch(/Audit chain intact: \d+ rows/);
    expect(res.body).toContain('console.signed_in');
  });
});
