/**
 * The HTTP notifiers (Slack through @slack/webhook, webhook, PagerDuty, Teams) against receivers
 * on 127.0.0.1 that answer as the providers document. One contract table for all four (after
 * Apprise's shared REST tests): payload shape, every HTTP status class, resets, and that no secret
 * (webhook URL token, routing key, HMAC secret) reaches an error or a log line.
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFIERS } from '../../notifiers/index.js';
import type { Notifier, NotificationBatch } from '../../notifiers/types.js';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { routeEvents } from '../../src/delivery/routing.js';
import { FakeChannel, type ChannelKind } from '../fakes/channels.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { account, bigBatch, sampleBatch, sampleEvent } from './sample.js';

const SLACK_TOKEN = 'SLACKSECRETtoken123xyz';
const WEBHOOK_TOKEN = 'WEBHOOKURLtoken456xyz';
const HMAC_SECRET = 'HMACsecret-0123456789abcdef';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdef012345';
const TEAMS_SIG = 'TEAMSSECRETsig789xyz';
const SECRETS = [SLACK_TOKEN, WEBHOOK_TOKEN, HMAC_SECRET, ROUTING_KEY, TEAMS_SIG];

const configFor = (kind: ChannelKind, url: string): Record<string, unknown> => {
  switch (kind) {
    case 'slack':
      return { id: 'slack-sec', type: 'slack', webhookUrl: `${url}/services/T0001/B0001/${SLACK_TOKEN}` };
    case 'webhook':
      return { id: 'soar', type: 'webhook', url: `${url}/hooks/mfawatch?token=${WEBHOOK_TOKEN}`, secret: HMAC_SECRET };
    case 'pagerduty':
      return { id: 'pd', type: 'pagerduty', routingKey: ROUTING_KEY, url };
    case 'teams':
      return { id: 'teams-sec', type: 'teams', webhookUrl: `${url}/workflows/triggers/manual/paths/invoke?sig=${TEAMS_SIG}` };
  }
};

let server: FakeChannel;
let deps: ReturnType<typeof testDeps>;
const clock = new PinnedClock('2026-11-22T10:00:05.000Z');

async function setup(kind: ChannelKind, over: Record<string, unknown> = {}, depsOver: Partial<ModuleDeps> = {}): Promise<Notifier> {
  server = new FakeChannel(kind);
  const url = await server.start();
  deps = testDeps({ clock, ...depsOver });
  const module = NOTIFIERS.get(kind);
  if (!module) throw new Error(`no ${kind} notifier`);
  return module.create(module.configSchema.parse({ ...configFor(kind, url), ...over }), deps);
}

const send = (n: Notifier, batch: NotificationBatch = sampleBatch()) => n.send(batch, { signal: AbortSignal.timeout(5_000) });

async function failure(n: Notifier, batch?: NotificationBatch): Promise<ProviderError> {
  try {
    await send(n, batch);
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the send to fail');
}

function expectNoSecrets(...texts: string[]): void {
  const all = texts.join('\n');
  for (const s of SECRETS) expect(all).not.toContain(s);
}

afterEach(async () => {
  await server?.stop();
});

const KINDS: ChannelKind[] = ['slack', 'webhook', 'pagerduty', 'teams'];

/** An error body in each channel's own format. */
const errorBody = (kind: ChannelKind, status: number): string | Record<string, unknown> => {
  if (kind === 'slack') return status === 404 ? 'no_service' : status === 403 ? 'action_prohibited' : status === 400 ? 'invalid_payload' : status === 429 ? 'rate_limited' : 'rollup_error';
  if (kind === 'pagerduty') return status === 400 ? { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing or blank"] } : { status: 'error', message: 'error' };
  return 'error';
};

describe.each(KINDS)('%s notifier: the contract every channel keeps', (kind) => {
  it.each([
    [400, 'client', false],
    [401, 'auth', false],
    [403, 'permission', false],
    [404, 'not_found', false],
    [429, 'rate_limited', true],
    [500, 'server', true],
    [503, 'server', true],
  ] as const)('HTTP %i → reason %s (transient %s), no secret in the error', async (status, reason, transient) => {
    const n = await setup(kind);
    server.inject({ kind: 'status', status, body: errorBody(kind, status), headers: status === 429 ? { 'retry-after': '7' } : kind === 'slack' ? { 'content-type': 'text/html' } : {} }, 10);
    const err = await failure(n);
    expect(err.reason).toBe(reason);
    expect(err.transient).toBe(transient);
    if (status === 429) expect(err.retryAfterMs).toBe(7_000);
    expect(err.message.length).toBeGreaterThan(10);
    expectNoSecrets(err.message, String(err.hint), JSON.stringify(err), deps.logs.text());
  });

  it('a redirect (HTTP 302) is reported as one, naming only the host it points to, never as "could not reach"', async () => {
    const n = await setup(kind);
    // The Location carries every secret: only its origin may show.
    const location = `https://sso.example.net/login?next=/services/T0001/B0001/${SLACK_TOKEN}&t=${WEBHOOK_TOKEN}&k=${ROUTING_KEY}&sig=${TEAMS_SIG}`;
    server.inject({ kind: 'status', status: 302, headers: { location }, body: '' }, 10);
    const err = await failure(n);
    expect(err.reason).toBe('client');
    expect(err.status).toBe(302);
    expect(err.message).toMatch(/with a redirect \(HTTP 302\) to https:\/\/sso\.example\.net\/…: mfawatch does not follow redirects: set the URL/);
    expect(err.message).not.toMatch(/could not reach|fetch failed|DNS/);
    expectNoSecrets(err.message, String(err.hint), JSON.stringify(err), deps.logs.text());
  });

  it('a hostile receiver that echoes the credential back in its error body does not leak it', async () => {
    const n = await setup(kind);
    const own: Record<ChannelKind, string[]> = { slack: [SLACK_TOKEN], webhook: [WEBHOOK_TOKEN, HMAC_SECRET], pagerduty: [ROUTING_KEY], teams: [TEAMS_SIG] };
    const echo = own[kind].join(' ');
    server.inject({ kind: 'status', status: 400, body: kind === 'pagerduty' ? { status: 'invalid event', message: echo, errors: [echo] } : `bad request from ${echo}`, headers: { 'content-type': 'text/plain' } }, 10);
    const err = await failure(n);
    expect(err.reason).toBe('client');
    expectNoSecrets(err.message, String(err.hint), JSON.stringify(err), deps.logs.text());
  });

  it('a connection reset is a transient network failure, with no secret in the error', async () => {
    const n = await setup(kind);
    server.inject({ kind: 'reset' }, 10);
    const err = await failure(n);
    expect(err.reason).toBe('network');
    expectNoSecrets(err.message, JSON.stringify(err), deps.logs.text());
  });

  it('a receiver that is down is a transient network failure', async () => {
    const n = await setup(kind);
    await server.stop();
    const err = await failure(n);
    expect(err.reason).toBe('network');
    expect(err.transient).toBe(true);
    expectNoSecrets(err.message, JSON.stringify(err));
  });

  it('a cancelled send rejects at once instead of hanging', async () => {
    const n = await setup(kind);
    server.inject({ kind: 'hang' }, 10);
    const ac = new AbortController();
    const sending = n.send(sampleBatch(), { signal: ac.signal });
    for (let i = 0; i < 200 && server.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await expect(sending).rejects.toBeInstanceOf(ProviderError);
  });

  it('the config schema rejects a missing credential and a non-http URL', () => {
    const module = NOTIFIERS.get(kind)!;
    const good = configFor(kind, 'http://127.0.0.1:1');
    const secretKey = module.secretKeys[0]!;
    expect(module.configSchema.safeParse(good).success).toBe(true);
    expect(module.configSchema.safeParse({ ...good, [secretKey]: undefined }).success).toBe(false);
    expect(module.configSchema.safeParse({ ...good, unknownKey: 1 }).success).toBe(false);
    // The parsed secret prints as [redacted].
    const parsed = module.configSchema.parse(good) as unknown as Record<string, unknown>;
    expectNoSecrets(JSON.stringify(parsed));
  });
});

describe('slack', () => {
  it('posts one Block Kit message per batch: header, severity, account with link, change in plain words, text fallback', async () => {
    const n = await setup('slack');
    await send(n);
    expect(server.accepted).toHaveLength(1);
    expect(server.accepted[0]?.path).toBe(`/services/T0001/B0001/${SLACK_TOKEN}`);
    const body = server.bodies<{ text: string; blocks: Array<{ type: string; text?: { type: string; text: string }; elements?: Array<{ text: string }> }> }>()[0]!;
    expect(body.text).toMatch(/CRITICAL: 2 changes at GitHub acme/);
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'GitHub acme: 2 changes, highest critical' } });
    expect(body.blocks[1]?.elements?.[0]?.text).toMatch(/\*Critical\* · GitHub acme \(monitor `gh-acme`\)/);
    const sections = body.blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
    expect(sections[0]).toMatch(/\*MFA disabled\* \(Critical\): alice \(admin\) disabled two-factor authentication/);
    expect(sections[0]).toContain('<https://github.com/alice|alice (id 1, admin)>');
    expect(sections[0]).toContain('MFA: enabled → disabled');
    expect(sections[1]).toMatch(/\*Account added\* \(Medium\): bob was added as member without two-factor authentication/);
  });

  it('keeps a long batch within Slack limits (≤ 50 blocks, ≤ 3000 chars per section) and says how many more', async () => {
    const n = await setup('slack');
    await send(n, bigBatch(200));
    const body = server.bodies<{ blocks: Array<{ type: string; text?: { text: string } }> }>()[0]!;
    expect(body.blocks.length).toBeLessThanOrEqual(50);
    for (const b of body.blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    expect(body.blocks.at(-1)?.text?.text).toMatch(/… and \d+ more changes/);
  });

  it('escapes Slack mrkdwn control characters in provider data', async () => {
    const n = await setup('slack');
    await send(n, sampleBatch([sampleEvent({ id: 9, login: '<!channel>', summary: '<!channel> & co disabled MFA', after: account({ login: '<!channel>', mfa: 'disabled', url: null }) })]));
    const raw = server.accepted[0]!.body;
    expect(raw).not.toContain('<!channel>');
    expect(raw).toContain('&lt;!channel&gt; &amp; co disabled MFA');
  });

  it('adds the configured mention only at or above its severity', async () => {
    const n = await setup('slack', { mention: '<!here>', mentionMinSeverity: 'critical' });
    await send(n);
    await send(n, { ...sampleBatch(), severity: 'medium', events: sampleBatch().events.slice(1) });
    const [first, second] = server.bodies<{ text: string }>();
    expect(first?.text.startsWith('<!here> ')).toBe(true);
    expect(second?.text).not.toContain('<!here>');
  });
});

describe('webhook', () => {
  it('POSTs the documented JSON with an HMAC-SHA256 signature over "<timestamp>.<raw body>" that the receiver can verify', async () => {
    const n = await setup('webhook');
    await send(n);
    const req = server.accepted[0]!;
    expect(req.path).toBe('/hooks/mfawatch');
    expect(req.query.get('token')).toBe(WEBHOOK_TOKEN);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    const ts = req.headers['x-mfawatch-timestamp'] as string;
    expect(Number(ts)).toBe(Math.floor(clock.now().getTime() / 1000));
    const expected = `sha256=${createHmac('sha256', HMAC_SECRET).update(`${ts}.${req.body}`).digest('hex')}`;
    expect(req.headers['x-mfawatch-signature']).toBe(expected);
    // A tampered body or another secret does not verify.
    expect(`sha256=${createHmac('sha256', HMAC_SECRET).update(`${ts}.${req.body} `).digest('hex')}`).not.toBe(expected);
    expect(`sha256=${createHmac('sha256', 'other').update(`${ts}.${req.body}`).digest('hex')}`).not.toBe(expected);
    expect(req.headers['x-mfawatch-delivery']).toBe('scan-42');
    expect(req.headers['x-mfawatch-kind']).toBe('changes');
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).toMatchObject({ schema: 'mfawatch.webhook/v1', id: 'scan-42', kind: 'changes', severity: 'critical', source: { monitorId: 'gh-acme', label: 'acme' } });
    expect((body.events as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'mfa_disabled', login: 'alice', accountId: '1', before: { mfa: 'enabled' }, after: { mfa: 'disabled' } });
    expectNoSecrets(req.body);
  });

  it('treats 408 as a transient timeout', async () => {
    const n = await setup('webhook');
    server.inject({ kind: 'status', status: 408, body: 'timeout' });
    const err = await failure(n);
    expect(err.reason).toBe('timeout');
    expect(err.transient).toBe(true);
  });
});

describe('pagerduty', () => {
  it('sends one Events API v2 trigger per account change, dedup_key per monitor+account, severity mapped', async () => {
    const n = await setup('pagerduty');
    await send(n);
    const events = server.bodies<Record<string, unknown>>();
    expect(events).toHaveLength(2);
    expect(server.accepted.every((r) => r.path === '/v2/enqueue')).toBe(true);
    expect(events[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'mfawatch/gh-acme/account/1',
      payload: { severity: 'critical', source: 'mfawatch/gh-acme', timestamp: '2026-11-22T10:00:00.000Z', class: 'mfa_disabled', component: 'GitHub', group: 'gh-acme' },
      links: [{ href: 'https://github.com/alice' }],
    });
    expect((events[0]?.payload as { summary: string }).summary).toMatch(/alice \(admin\) disabled two-factor authentication/);
    expect((events[0]?.payload as { summary: string }).summary.length).toBeLessThanOrEqual(1024);
    expect(events[1]).toMatchObject({ event_action: 'trigger', dedup_key: 'mfawatch/gh-acme/account/2', payload: { severity: 'warning' } });
  });

  it('resolves the same dedup_key when the account regains MFA, even below minSeverity', async () => {
    const n = await setup('pagerduty', { minSeverity: 'high' });
    const enabled = sampleEvent({ id: 20, type: 'mfa_enabled', severity: 'info', before: account({ mfa: 'disabled' }), after: account(), summary: 'alice enabled two-factor authentication' });
    const module = NOTIFIERS.get('pagerduty')!;
    const routed = routeEvents([enabled], { minSeverity: 'high' }, module.routeAlso);
    expect(routed).toHaveLength(1);
    await send(n, { ...sampleBatch(), events: routed });
    expect(server.bodies()).toEqual([{ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'mfawatch/gh-acme/account/1', client: 'mfawatch' }]);
    // A slack notifier at minSeverity high does not get the info event.
    expect(routeEvents([enabled], { minSeverity: 'high' }, NOTIFIERS.get('slack')!.routeAlso)).toEqual([]);
  });

  it('a 202 that is not PagerDuty\'s JSON answer is malformed (wrong url), not success', async () => {
    const n = await setup('pagerduty');
    server.inject({ kind: 'truncate', status: 202, body: '<html>captive portal</html>', contentType: 'text/html' });
    const err = await failure(n);
    expect(err.reason).toBe('malformed');
  });

  it('a 400 names PagerDuty\'s own error list and says to check the routing key', async () => {
    const n = await setup('pagerduty', { routingKey: 'short-key-abcdef' });
    const err = await failure(n);
    expect(err.reason).toBe('client');
    expect(err.message).toMatch(/Length of 'routing_key' is incorrect/);
    expect(err.message).toMatch(/routingKey/);
    expect(err.message).not.toContain('short-key-abcdef');
  });
});

describe('teams', () => {
  it('posts a message with one Adaptive Card 1.4 attachment: title, severity, facts, link to the account', async () => {
    const n = await setup('teams');
    await send(n);
    const body = server.bodies<{ type: string; attachments: Array<{ contentType: string; content: { type: string; version: string; body: Array<Record<string, unknown>> } }> }>()[0]!;
    expect(body.type).toBe('message');
    expect(body.attachments).toHaveLength(1);
    const card = body.attachments[0]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.content.body[0]).toMatchObject({ type: 'TextBlock', text: 'GitHub acme: 2 changes, highest critical', wrap: true });
    const raw = JSON.stringify(card.content);
    expect(raw).toContain('alice (admin) disabled two-factor authentication');
    expect(raw).toContain('"title":"Account","value":"alice (id 1, admin)"');
    expect(raw).toContain('"type":"Action.OpenUrl"');
    expect(raw).toContain('https://github.com/alice');
  });

  it('keeps a long batch short and counts the rest', async () => {
    const n = await setup('teams');
    await send(n, bigBatch(120));
    const raw = server.accepted[0]!.body;
    expect(raw.length).toBeLessThan(28_000);
    expect(raw).toMatch(/… and 95 more changes/);
  });
});

describe('times: people read them in displayTimezone with the zone named, machines get UTC ISO', () => {
  // sampleBatch(): the events and the batch are at 2026-11-22T10:00:00.000Z.
  const ISO = '2026-11-22T10:00:00.000Z';
  const ZONES = [
    ['Europe/Berlin', '2026-11-22 11:00 GMT+1'],
    ['America/New_York', '2026-11-22 05:00 EST'],
    ['UTC', '2026-11-22 10:00 UTC'],
  ] as const;

  it.each(ZONES)('slack in %s: the batch time and each event time read %s', async (zone, shown) => {
    const n = await setup('slack', {}, { displayTimezone: zone });
    await send(n);
    const body = server.bodies<{ blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }> }>()[0]!;
    expect(body.blocks[1]?.elements?.[0]?.text).toMatch(new RegExp(` · ${shown.replace('+', '\\+')}$`));
    const sections = body.blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
    expect(sections[0]).toContain(`*Time:* ${shown}`);
    expect(sections[1]).toContain(`*Time:* ${shown}`);
    expect(server.accepted[0]!.body).not.toContain(ISO);
  });

  it.each(ZONES)('teams in %s: the card\'s batch time and each event\'s Time fact read %s', async (zone, shown) => {
    const n = await setup('teams', {}, { displayTimezone: zone });
    await send(n);
    const card = server.bodies<{ attachments: Array<{ content: { body: Array<{ text?: string }> } }> }>()[0]!.attachments[0]!.content;
    expect(card.body[1]?.text).toBe(`Severity: Critical · ${shown}`);
    const raw = JSON.stringify(card);
    expect(raw.split(`"title":"Time","value":"${shown}"`)).toHaveLength(3);
    expect(raw).not.toContain(ISO);
  });

  it('webhook and pagerduty payloads keep UTC ISO whatever displayTimezone says', async () => {
    const hook = await setup('webhook', {}, { displayTimezone: 'Europe/Berlin' });
    await send(hook);
    const batch = JSON.parse(server.accepted[0]!.body) as { createdAt: string; events: Array<{ at: string }> };
    expect(batch.createdAt).toBe(ISO);
    expect(batch.events.map((e) => e.at)).toEqual([ISO, ISO]);
    expect(server.accepted[0]!.body).not.toMatch(/GMT\+1|CET/);
    await server.stop();

    const pd = await setup('pagerduty', {}, { displayTimezone: 'Europe/Berlin' });
    await send(pd);
    const events = server.bodies<{ payload: { timestamp: string } }>();
    expect(events.map((e) => e.payload.timestamp)).toEqual([ISO, ISO]);
    expect(server.accepted.map((r) => r.body).join('\n')).not.toMatch(/GMT\+1|CET/);
  });

  it('stdout JSON lines and OCSF keep UTC ISO whatever displayTimezone says', async () => {
    const module = NOTIFIERS.get('stdout')!;
    for (const format of ['event', 'batch', 'ocsf'] as const) {
      const out = testDeps({ clock, displayTimezone: 'Europe/Berlin' });
      const chunks: string[] = [];
      out.stdout.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
      await module.create(module.configSchema.parse({ id: 'out', type: 'stdout', format }), out).send(sampleBatch(), { signal: AbortSignal.timeout(5_000) });
      const text = chunks.join('');
      expect(text).not.toMatch(/GMT\+1|CET/);
      if (format === 'ocsf') expect(text).toContain(`"original_time":"${ISO}"`);
      else expect(text).toContain(`"at":"${ISO}"`);
    }
  });
});
