/**
 * The console in a real browser (Debian's Chromium driven by playwright-core): a responder opens
 * a one-time link, sees coverage over time and the accounts without MFA (a hostile login shown as
 * text, running nothing), opens a person, previews a kill (nothing called yet), confirms it by
 * typing the identity, and sees the per-service result, which reached the Okta fake exactly once
 * and is in the audit log under their name. Sign-in through a loopback OpenID Provider keeps its
 * SameSite=Strict session after the cross-site return. A form posted from another origin is refused.
 *
 * Chromium is required, never skipped: `.ci/run` installs it (`apt-get install chromium`).
 * With MFAWATCH_SCREENSHOTS=DIR the test saves the README's screenshots into DIR
 * (scripts/console-screenshots.sh).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOidc } from '../fakes/oidc.js';
import { ENV, HOSTILE_LOGIN, makeLink, startHarness, type Harness } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.MFAWATCH_SCREENSHOTS;

let browser: Browser;
let h: Harness;
let base: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the console's browser tests need it (Debian/Ubuntu: apt-get install chromium; .ci/run installs it). They are never skipped.`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  h = await startHarness();
  base = await h.console.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await h.close();
});

describe('the console in Chromium', () => {
  it('one-time link → overview → person → kill preview → typed confirmation → per-service result, audited', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });

    const token = await makeLink(h, 'responder');
    await page.goto(`${base}/link?token=${token}`);
    await page.click('#link-signin');
    await page.waitForURL(`${base}/`);
    const counts = h.app.store.storedCounts('gh-acme', '');
    const applicable = counts.byState.enabled + counts.byState.weak + counts.byState.disabled;
    expect(await page.textContent('#coverage-now')).toBe(`${((counts.byState.enabled / applicable) * 100).toFixed(1)}%`);
    expect(await page.textContent('#without-mfa-total')).toBe(String(counts.byState.disabled + counts.byState.weak));
    expect(await page.locator('figure.chart svg polyline').count()).toBeGreaterThan(0);
    // The hostile login is on the page as text: the literal characters, no element made of it.
    expect(await page.locator('#without-mfa').textContent()).toContain(HOSTILE_LOGIN);
    expect(await page.locator('#without-mfa img').count()).toBe(0);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-overview.png'), fullPage: true });

    await page.goto(`${base}/person?identity=carol%40example.com`);
    await page.click('#kill-preview');
    await page.waitForSelector('#results');
    expect(await page.locator('#results').textContent()).toContain(`DELETE ${h.okta.url}/api/v1/users/00ucarol/sessions?oauthTokens=true`);
    expect(h.okta.cleared).toEqual([]);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-kill-preview.png'), fullPage: true });

    await page.fill('#confirm', 'carol@example.com');
    await page.click('#kill-confirm');
    await page.waitForSelector('#kill-outcome');
    expect(await page.textContent('#kill-outcome')).toContain('carol@example.com was signed out at every service that knows them');
    expect(await page.locator('#results tr[data-responder="okta"]').textContent()).toContain('succeeded');
    expect(h.okta.cleared).toEqual(['00ucarol+oauth']);

    const done = h.app.store.db.prepare(`SELECT actor FROM audit WHERE action = 'response.done' AND subject = 'carol@example.com'`).all() as Array<{ actor: string }>;
    const link = h.app.store.db.prepare(`SELECT id, created_by FROM console_links`).get() as { id: number; created_by: string };
    expect(done).toEqual([{ actor: `console:link#${link.id}/${link.created_by}` }]);
    expect(dialogs).toEqual([]);
    expect(cspViolations).toEqual([]);
    await context.close();
  });

  it('signs in through the IdP (OIDC code + PKCE) and the SameSite=Strict session holds after the cross-site return', async () => {
    await h.close();
    const idp = new FakeOidc('mfawatch-console', ENV.OIDC_CLIENT_SECRET);
    await idp.start();
    try {
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((r) => probe.close(() => r()));
      h = await startHarness({ console: { publicUrl: `http://127.0.0.1:${port}`, oidc: { issuer: idp.url, clientId: 'mfawatch-console', clientSecret: '${OIDC_CLIENT_SECRET}' } } });
      h.clock.set(new Date().toISOString());
      base = await h.console.listen({ host: '127.0.0.1', port });
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${base}/accounts`);
      await page.waitForURL(`${base}/signin?next=%2Faccounts`);
      await page.click('#signin-oidc');
      await page.waitForURL(`${base}/accounts`);
      expect(await page.textContent('header .who')).toContain('alice@example.com');
      expect(await page.locator('#accounts tbody tr').count()).toBe(h.app.store.storedCounts('gh-acme', '').accounts);
      const cookies = await context.cookies(base);
      expect(cookies.find((c) => c.name === 'mfawatch')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(idp.authorizeRequests()[0]?.get('code_challenge_method')).toBe('S256');
      await context.close();
    } finally {
      await idp.stop();
    }
  });

  it('refuses a form posted to the console from another origin, and nothing is called', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const token = await makeLink(h, 'responder');
    await page.goto(`${base}/link?token=${token}`);
    await page.click('#link-signin');
    await page.waitForURL(`${base}/`);
    // Another origin on the same host (so even a SameSite=Strict cookie is sent along).
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form id="f" method="post" action="${base}/kill/preview"><input name="identity" value="carol@example.com"><input name="_csrf" value="guess"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const response = page.waitForResponse((r) => r.url() === `${base}/kill/preview`);
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      const answer = await response;
      expect(answer.status()).toBe(403);
      expect(await answer.text()).toMatch(/Refused: the request came from (http:\/\/127\.0\.0\.1:\d+|another site)/);
    } finally {
      attacker.close();
    }
    expect(h.okta.requests).toHaveLength(0);
    expect(h.app.store.db.prepare(`SELECT COUNT(*) AS n FROM responses`).get()).toEqual({ n: 0 });
    await context.close();
  });
});
