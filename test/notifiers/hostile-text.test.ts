/**
 * One table of hostile provider strings, sent through every notifier's real wire (the loopback
 * receivers of test/fakes/channels.ts, smtp-server for e-mail, the stdout stream), as a login, an
 * e-mail, a factor, a summary, an account URL, a baseline list entry, a reminder line and a kill
 * announcement. Whatever the string, the message keeps its meaning: no live mention, no link to a
 * URL other than the account's own http(s) page, no markup from the string, no forged line, no
 * control or bidi character; the JSON channels (webhook, stdout) carry the string byte-exact.
 */
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFIERS } from '../../notifiers/index.js';
import type { NotificationBatch, Notifier } from '../../notifiers/types.js';
import { hasUnsafeCharacters, safeHttpUrl, visible } from '../../src/core/text.js';
import type { ChangeEvent } from '../../src/core/types.js';
import { buildBatch } from '../../src/delivery/routing.js';
import { FakeChannel } from '../fakes/channels.js';
import { PinnedClock, testDeps } from '../helpers.js';
import { account, sampleEvent } from './sample.js';

/** The marker a forged line would start with. */
const FORGED = 'FORGED-LINE';

/** Strings a provider (or whoever controls an account there) can put in a login, name, e-mail or summary. */
const HOSTILE: Array<[string, string]> = [
  ['Slack mention and references', '<!channel> <!here> <@U0123ABC> <#C0123|general> <!subteam^S0123>'],
  ['Slack link syntax', '<http://evil.example/phish|Reset your MFA>'],
  ['a URL ending a link early', 'http://evil.example/> <!channel> <http://x.example'],
  ['pre-escaped entities', '&lt;!channel&gt; &amp;'],
  ['markdown link (Teams)', '[Reset your MFA](http://evil.example/phish)'],
  ['markdown emphasis and code', '**URGENT** _call_ ~gone~ `code` # heading'],
  ['autolink', '<http://evil.example/phish>'],
  ['list marker', '- [x] done'],
  ['Adaptive Card date function', '{{DATE(2017-02-14T06:08:39Z, SHORT)}}'],
  ['HTML and script', '<a href="http://evil.example">click</a><script>alert(1)</script><img src=x onerror=alert(1)>'],
  ['attribute breakout', '" onmouseover="alert(1)'],
  ['line feed forging a line', `alice\n${FORGED}: root disabled two-factor authentication`],
  ['carriage return overwriting a row', `alice\r${FORGED}`],
  ['line separator', `alice\u2028${FORGED}`],
  ['screen clear and cursor home', 'alice\u001b[2J\u001b[H'],
  ['OSC 8 hyperlink', '\u001b]8;;http://evil.example/phish\u0007alice\u001b]8;;\u0007'],
  ['C1 CSI and NEL', `alice\u009b2J\u0085${FORGED}`],
  ['right-to-left override', 'alice\u202e\u2066nimda\u2069\u202c'],
  ['pipe', 'a|b|<c>'],
];

/** Account URLs a provider can send; only http(s) ones may become links, re-serialised. */
const URLS = ['http://evil.example/> <!channel> <http://x.example', 'javascript:alert(document.cookie)', 'https://github.com@evil.example/', 'data:text/html,<script>alert(1)</script>', 'https://github.com/alice'];

const at = new Date('2026-11-22T10:00:00.000Z');
const SOURCE = { monitorId: 'cmd-hr', provider: 'HR', type: 'command', scope: '', label: 'hr' };

function hostileEvents(s: string, url: string): ChangeEvent[] {
  const hostileAccount = account({ login: s, email: s, displayName: s, factors: [s], url, admin: true });
  return [
    sampleEvent({ id: 1, monitorId: 'cmd-hr', provider: 'HR', login: s, before: { ...hostileAccount, mfa: 'enabled' }, after: { ...hostileAccount, mfa: 'weak' }, type: 'mfa_weakened', severity: 'high', summary: `${s} weakened two-factor authentication` }),
    sampleEvent({ id: 2, monitorId: 'cmd-hr', provider: 'HR', login: s, before: null, after: { ...hostileAccount, mfa: 'disabled' }, type: 'account_added', severity: 'high', summary: `${s} was added without two-factor authentication` }),
    sampleEvent({ id: 3, monitorId: 'cmd-hr', provider: 'HR', accountId: null, login: null, before: null, after: null, type: 'baseline', severity: 'info', summary: 'first scan: 2 accounts, 1 without MFA', detail: { withoutMfa: [{ login: s, admin: true, mfa: 'disabled' }], withoutMfaTotal: 1 } }),
  ];
}

/** A scan batch, a reminder digest and a kill announcement, each carrying the string. */
function hostileBatches(s: string, url: string): NotificationBatch[] {
  const changes = buildBatch('scan-1', 'changes', SOURCE, hostileEvents(s, url), at);
  const reminder: NotificationBatch = {
    id: 'reminder-1', kind: 'reminder', title: 'Reminder: 1 account still without MFA', severity: 'high', source: null, events: [], createdAt: at.toISOString(),
    reminder: { total: 1, acknowledged: 0, intervalMs: 86_400_000, accounts: [{ monitorId: 'cmd-hr', scope: '', provider: 'HR', accountId: '1', login: s, email: s, kind: 'member', admin: true, mfa: 'weak', factors: [s], url, withoutMfaSince: '2026-11-01T00:00:00.000Z' }] },
  };
  const response: NotificationBatch = {
    id: 'response-1-done', kind: 'response', title: `sessions killed for ${s} (auto-response)`, severity: 'high', source: null, createdAt: at.toISOString(), events: hostileEvents(s, url).slice(0, 1),
    // Composed as src/response/runner.ts composes it: provider text made visible line by line.
    text: [`Because: ${s} weakened two-factor authentication`, `- Okta (okta): done: ${s}`].map(visible).join('\n'),
  };
  return [changes, reminder, response];
}

/** Lines of displayed text, with list bullets and markup prefixes stripped, never start with the forged marker. */
function expectNoForgedLine(text: string): void {
  for (const line of text.split(/\r\n|\n|\r/)) expect(line.replace(/^[\s\-•*>#\\[\]]+/, '')).not.toMatch(new RegExp(`^${FORGED}`));
}

/** Every string in a JSON value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

/** No control or bidi character other than the line breaks mfawatch itself composed. */
function expectNoUnsafe(text: string): void {
  expect(hasUnsafeCharacters(text.replace(/\n/g, ' ')), JSON.stringify(text)).toBe(false);
}

const clock = new PinnedClock('2026-11-22T10:00:05.000Z');

/** Each hostile string once, with the account URLs taken in turn (every URL several times). */
const CASES = HOSTILE.map(([name, s], i) => [name, s, URLS[i % URLS.length]!] as const);

describe.each(CASES)('hostile text: %s %j, account URL %j', (_name, s, url) => {
  const safe = safeHttpUrl(url);
  const batches = hostileBatches(s, url);

  /** Sends every batch the channel takes to its loopback receiver; the raw request bodies. */
  async function viaChannel(kind: 'slack' | 'teams' | 'pagerduty' | 'webhook', config: (base: string) => Record<string, unknown>): Promise<string[]> {
    const server = new FakeChannel(kind);
    const base = await server.start();
    try {
      const module = NOTIFIERS.get(kind)!;
      const n: Notifier = module.create(module.configSchema.parse(config(base)), testDeps({ clock }));
      for (const b of batches) if (!module.kinds || module.kinds.includes(b.kind)) await n.send(b, { signal: AbortSignal.timeout(5_000) });
      expect(server.accepted.length).toBeGreaterThan(0);
      return server.accepted.map((r) => r.body);
    } finally {
      await server.stop();
    }
  }

  it('Slack: no mention, no link but the account page, no forged line, every mrkdwn object verbatim', async () => {
    const bodies = (await viaChannel('slack', (base) => ({ id: 'slack', type: 'slack', webhookUrl: `${base}/services/T1/B1/x` }))).map((b) => JSON.parse(b) as { text: string; blocks: Array<Record<string, unknown>> });
    const allowedTargets = safe ? [safe.replace(/\|/g, '%7C').replace(/&/g, '&amp;')] : [];
    for (const body of bodies) {
      const mrkdwn: string[] = [body.text];
      for (const block of body.blocks) {
        const objects = [block.text, ...((block.elements as unknown[] | undefined) ?? [])] as Array<{ type?: string; text?: string; verbatim?: boolean } | undefined>;
        for (const o of objects) {
          if (!o?.text) continue;
          if (o.type === 'mrkdwn') {
            expect(o.verbatim).toBe(true);
            mrkdwn.push(o.text);
          } else {
            expectNoUnsafe(o.text);
            expectNoForgedLine(o.text);
          }
        }
      }
      for (const text of mrkdwn) {
        expectNoUnsafe(text);
        expectNoForgedLine(text);
        for (const [, inner] of text.matchAll(/<([^>]*)>/g)) {
          const target = inner!.split('|')[0]!;
          expect(allowedTargets, `link <${inner}> in ${text}`).toContain(target);
        }
      }
    }
  });

  it('Teams: no markdown link, emphasis or list from the string, actions only to the account page', async () => {
    for (const raw of await viaChannel('teams', (base) => ({ id: 'teams', type: 'teams', webhookUrl: `${base}/workflows` }))) {
      const message = JSON.parse(raw) as { summary: string; attachments: Array<{ content: { body: unknown[] } }> };
      expectNoUnsafe(message.summary);
      const markdown: string[] = [];
      const urls: string[] = [];
      const walk = (el: unknown): void => {
        if (Array.isArray(el)) return el.forEach(walk);
        if (!el || typeof el !== 'object') return;
        const o = el as Record<string, unknown>;
        if (o.type === 'TextBlock' && typeof o.text === 'string') markdown.push(o.text);
        if (o.type === 'FactSet') for (const f of o.facts as Array<{ title: string; value: string }>) markdown.push(f.title, f.value);
        if (o.type === 'Action.OpenUrl') {
          urls.push(String(o.url));
          expectNoUnsafe(String(o.title));
        }
        Object.values(o).forEach(walk);
      };
      walk(message.attachments[0]!.content.body);
      for (const text of markdown) {
        expectNoUnsafe(text);
        expectNoForgedLine(text);
        // What is left once every backslash escape is removed: mfawatch's own markup only.
        const bare = text.replace(/\\./g, '').replace(/^\*\*[A-Za-z -]+\*\*: /, '');
        expect(bare, text).not.toMatch(/[[\]<>_~{}&]/);
        expect(bare, text).not.toMatch(/\*/);
        if (!/mfawatch (events|ack)/.test(bare)) expect(bare, text).not.toContain('`');
      }
      for (const u of urls) expect(u).toBe(safe);
      if (!safe) expect(urls).toEqual([]);
    }
  });

  it('PagerDuty: plain one-line summaries and details, links only to the https account page', async () => {
    for (const raw of await viaChannel('pagerduty', (base) => ({ id: 'pd', type: 'pagerduty', routingKey: 'R0UT1NGKEY0123456789abcdef012345', url: base }))) {
      const event = JSON.parse(raw) as { payload?: { summary: string; custom_details: Record<string, unknown> }; links?: Array<{ href: string; text: string }> };
      if (!event.payload) continue;
      expect(hasUnsafeCharacters(event.payload.summary)).toBe(false);
      for (const v of strings(event.payload.custom_details)) expectNoUnsafe(v);
      for (const l of event.links ?? []) {
        expect(l.href).toBe(safe);
        expect(l.href.startsWith('https://')).toBe(true);
        expectNoUnsafe(l.text);
      }
    }
  });

  it('webhook: the JSON carries the string and the URL byte-exact', async () => {
    const [changes] = (await viaChannel('webhook', (base) => ({ id: 'soar', type: 'webhook', url: `${base}/hook`, secret: 'HMACsecret-0123456789abcdef' }))).map((b) => JSON.parse(b) as NotificationBatch);
    expect(changes!.events[0]!.login).toBe(s);
    expect(changes!.events[0]!.after!.url).toBe(url);
    expect(changes!.events[0]!.after!.factors).toEqual([s]);
    expect((changes!.events[2]!.detail as { withoutMfa: Array<{ login: string }> }).withoutMfa[0]!.login).toBe(s);
  });

  it('stdout: one JSON line per event, the string byte-exact', async () => {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const module = NOTIFIERS.get('stdout')!;
    const n = module.create(module.configSchema.parse({ id: 'out', type: 'stdout' }), testDeps({ clock, stdout }));
    await n.send(batches[0]!, { signal: AbortSignal.timeout(5_000) });
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0]!) as ChangeEvent;
    expect(first.login).toBe(s);
    expect(first.after!.url).toBe(url);
  });

  it('e-mail: the HTML part has no markup or link from the string, the text part no forged line', async () => {
    const mails = await viaSmtp(batches);
    expect(mails).toHaveLength(3);
    for (const mail of mails) {
      expectNoUnsafe(mail.subject);
      expectNoUnsafe(mail.text);
      expectNoForgedLine(mail.text);
      const tags = [...mail.html.matchAll(/<\/?([a-zA-Z!][a-zA-Z0-9]*)([^>]*)>/g)];
      for (const [, name, attrs] of tags) {
        expect(['!doctype', 'html', 'body', 'h2', 'p', 'strong', 'div', 'table', 'tr', 'td', 'ul', 'li', 'a', 'code', 'br']).toContain(name!.toLowerCase());
        const attributes = [...attrs!.matchAll(/\s([a-z-]+)=/g)].map((m) => m[1]);
        for (const a of attributes) expect(['style', 'href']).toContain(a);
        const href = /href="([^"]*)"/.exec(attrs!)?.[1];
        if (href !== undefined) expect(href.replace(/&amp;/g, '&')).toBe(safe);
      }
      expectNoUnsafe(mail.html);
      for (const text of mail.html.split(/<[^>]*>/)) expectNoForgedLine(text);
    }
  });
});

// ---------------------------------------------------------------- e-mail over SMTP on loopback

let smtp: SMTPServer;
let smtpPort = 0;
let received: string[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

interface Mail {
  subject: string;
  text: string;
  html: string;
}

async function viaSmtp(batches: NotificationBatch[]): Promise<Mail[]> {
  received = [];
  const module = NOTIFIERS.get('email')!;
  const config = module.configSchema.parse({ id: 'mail', type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, starttls: 'never' }, from: 'mfawatch@example.com', to: ['security@example.com'] });
  const n = module.create(config, testDeps({ clock }));
  for (const b of batches) await n.send(b, { signal: AbortSignal.timeout(10_000) });
  return received.map(parseMail);
}

/** Splits a nodemailer multipart/alternative message into its decoded subject, text and HTML. */
function parseMail(raw: string): Mail {
  const [head = '', ...rest] = raw.split(/\r\n\r\n/);
  const headers = head.replace(/\r\n[ \t]+/g, ' ');
  const subject = decodeWords(/^Subject: (.*)$/m.exec(headers)?.[1] ?? '');
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(headers)?.[1];
  if (!boundary) throw new Error('expected a multipart mail');
  const parts = rest.join('\r\n\r\n').split(`--${boundary}`).slice(1, -1);
  const part = (type: string): string => {
    const p = parts.find((x) => new RegExp(`Content-Type: ${type}`, 'i').test(x));
    if (!p) throw new Error(`no ${type} part`);
    const [ph = '', ...body] = p.replace(/^\r\n/, '').split(/\r\n\r\n/);
    const content = body.join('\r\n\r\n').replace(/\r\n$/, '');
    const encoding = /Content-Transfer-Encoding: (\S+)/i.exec(ph)?.[1]?.toLowerCase();
    const decoded = encoding === 'base64' ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8') : encoding === 'quoted-printable' ? quotedPrintable(content) : content;
    return decoded.replace(/\r\n/g, '\n');
  };
  return { subject, text: part('text/plain'), html: part('text/html') };
}

function quotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=) in a header. */
function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : quotedPrintable(data.replace(/_/g, ' ')),
  );
}
