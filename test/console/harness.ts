/**
 * A console under test: a GitHub org (fake) scanned for real into a temp SQLite file on three
 * days, an Okta responder (fake), and the console built on the same App, plus helpers that sign
 * in through a one-time link made by the real `mfawatch console link` command.
 */
import type { FastifyInstance } from 'fastify';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { buildConsole, type ConsoleOptions } from '../../src/console/server.js';
import { runCycle } from '../../src/cycle.js';
import { FakeGitHub } from '../fakes/github.js';
import { FakeOkta } from '../fakes/responders.js';
import { memoryLogger, PinnedClock, runCli, tempDir, writeConfig } from '../helpers.js';

export const ENV = { GH_TOKEN: 'ghp_console_owner_token', OKTA_TOKEN: '00okta-console-secret', OIDC_CLIENT_SECRET: 'oidc-console-client-secret' };
/** A login a provider could hand us: markup and script. */
export const HOSTILE_LOGIN = '<img src=x onerror=alert(1)>"\'<script>alert(2)</script>';

export interface Harness {
  app: App;
  console: FastifyInstance;
  gh: FakeGitHub;
  okta: FakeOkta;
  clock: PinnedClock;
  configPath: string;
  dir: ReturnType<typeof tempDir>;
  close(): Promise<void>;
}

export interface HarnessOptions extends ConsoleOptions {
  console?: Record<string, unknown>;
  /** Extra keys for the gh-acme monitor (e.g. its `events` block). */
  monitor?: Record<string, unknown>;
  /** The config's `displayTimezone` (default: none, the system's zone). */
  displayTimezone?: string;
}

/**
 * Day 1: alice (admin, 2FA), bob (no 2FA), carol (2FA), the hostile login (no 2FA), a login that
 * is a spreadsheet formula (2FA), 20 others with 2FA. Day 2: bob turns 2FA on. Day 3 (now): carol turns it off.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gh = new FakeGitHub({ tokens: { [ENV.GH_TOKEN]: { owner: true } } });
  gh.addMember({ id: 1, login: 'alice', role: 'admin', twoFactor: 'enabled' });
  gh.addMember({ id: 2, login: 'bob', role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 3, login: 'carol', role: 'member', twoFactor: 'enabled' });
  gh.addMember({ id: 4, login: HOSTILE_LOGIN, role: 'member', twoFactor: 'disabled' });
  gh.addMember({ id: 5, login: '=HYPERLINK("http://evil.example/x","open")', role: 'member', twoFactor: 'enabled' });
  for (let i = 0; i < 20; i++) gh.addMember({ id: 100 + i, login: `member${i}`, role: 'member', twoFactor: 'enabled' });
  const okta = new FakeOkta(ENV.OKTA_TOKEN);
  okta.users.push({ id: '00ualice', login: 'alice@example.com', email: 'alice@example.com' });
  okta.users.push({ id: '00ucarol', login: 'carol@example.com', email: 'carol@example.com' });
  await Promise.all([gh.start(), okta.start()]);
  const dir = tempDir('mfawatch-console-');
  const configPath = writeConfig(dir.path, {
    database: './state.db',
    ...(options.displayTimezone ? { displayTimezone: options.displayTimezone } : {}),
    delivery: { runDeadline: '1s' },
    monitors: [{ id: 'gh-acme', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, ...options.monitor }],
    notifiers: [{ id: 'siem', type: 'stdout', format: 'batch' }],
    responders: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}' }],
    identities: { map: { 'github:alice': 'alice@example.com', 'github:bob': 'bob@example.com', 'github:carol': 'carol@example.com' } },
    console: { listen: '127.0.0.1:0', viewers: ['*@example.com'], responders: ['alice@example.com'], ...options.console },
  });
  const clock = new PinnedClock('2026-11-20T09:00:00.000Z');
  const app = createApp(loadConfig(configPath, ENV), { clock, logger: memoryLogger().logger, stdout: new (await import('node:stream')).PassThrough() });
  const signal = new AbortController().signal;
  await runCycle(app, { signal });
  clock.set('2026-11-21T09:00:00.000Z');
  gh.members.get(2)!.twoFactor = 'enabled';
  await runCycle(app, { signal });
  clock.set('2026-11-22T09:00:00.000Z');
  gh.members.get(3)!.twoFactor = 'disabled';
  await runCycle(app, { signal });
  clock.set('2026-11-22T10:00:00.000Z');
  const server = await buildConsole(app, options);
  return {
    app, console: server, gh, okta, clock, configPath, dir,
    close: async () => {
      await server.close();
      app.close();
      await Promise.all([gh.stop(), okta.stop()]);
      dir.cleanup();
    },
  };
}

/** A one-time link made by `mfawatch console link`; returns its token. */
export async function makeLink(h: Harness, role: 'viewer' | 'responder', forText = '15m'): Promise<string> {
  const out = await runCli(['console', 'link', '--role', role, '--for', forText, '--config', h.configPath], { env: ENV, overrides: { clock: h.clock } });
  if (out.code !== 0) throw new Error(`console link failed: ${out.stderr}`);
  const url = new URL(out.stdout.trim());
  return url.searchParams.get('token') ?? '';
}

export const ORIGIN = 'http://localhost';

/** Signs in with a fresh link through the console's own POST; returns the session cookie header. */
export async function signIn(h: Harness, role: 'viewer' | 'responder'): Promise<string> {
  const token = await makeLink(h, role);
  const res = await h.console.inject({ method: 'POST', url: '/link', headers: { origin: ORIGIN, host: 'localhost', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ token }).toString() });
  if (res.statusCode !== 303) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie'] ?? '');
  return setCookie.split(';')[0] ?? '';
}

/** The CSRF token of the first form on an HTML page. */
export function csrfOf(body: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
}

/** A same-origin form POST as a browser would send it. */
export function post(h: Harness, url: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return h.console.inject({ method: 'POST', url, headers: { origin: ORIGIN, host: 'localhost', cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString() });
}

/** A GET with the session cookie. */
export function get(h: Harness, url: string, cookie: string) {
  return h.console.inject({ method: 'GET', url, headers: { host: 'localhost', cookie } });
}
