/**
 * The email notifier through nodemailer to a real SMTP server (smtp-server) on 127.0.0.1:
 * STARTTLS and AUTH, the subject with severity and count, text and HTML parts, a rejected
 * recipient, temporary (4xx) vs permanent (5xx) replies, and the password in no error or log.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { emailNotifier } from '../../notifiers/email/index.js';
import type { Notifier } from '../../notifiers/types.js';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { testDeps } from '../helpers.js';
import { sampleBatch } from './sample.js';

const PASSWORD = 'smtp-Pa55word-that-must-not-leak';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

let server: SMTPServer | null = null;
let received: Received[] = [];

/** Starts smtp-server on a free loopback port; `refuse` maps a recipient to an SMTP reply code. */
async function startSmtp(options: { refuse?: Record<string, number>; starttls?: boolean } = {}): Promise<number> {
  received = [];
  const opts: SMTPServerOptions = {
    // smtp-server offers STARTTLS with its built-in self-signed certificate.
    disabledCommands: options.starttls === false ? ['STARTTLS'] : [],
    allowInsecureAuth: options.starttls === false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'mfawatch' && auth.password === PASSWORD) cb(null, { user: 'mfawatch' });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const code = options.refuse?.[address.address];
      if (code) cb(Object.assign(new Error(code >= 500 ? `<${address.address}>: Recipient address rejected: User unknown` : `<${address.address}>: Mailbox busy, try later`), { responseCode: code }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  };
  const s = new SMTPServer(opts);
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return (s.server.address() as AddressInfo).port;
}

afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

function notifier(port: number, over: Record<string, unknown> = {}, smtpOver: Record<string, unknown> = {}, depsOver: Partial<ModuleDeps> = {}): { n: Notifier; deps: ReturnType<typeof testDeps> } {
  const deps = testDeps(depsOver);
  const config = emailNotifier.configSchema.parse({
    id: 'mail-sec',
    type: 'email',
    smtp: { host: '127.0.0.1', port, starttls: 'required', rejectUnauthorized: false, auth: { user: 'mfawatch', pass: PASSWORD }, ...smtpOver },
    from: 'mfawatch@example.com',
    to: ['security@example.com'],
    ...over,
  });
  return { n: emailNotifier.create(config, deps), deps };
}

/** Decodes quoted-printable (soft breaks and =XX bytes) as UTF-8. */
function qp(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const send = (n: Notifier) => n.send(sampleBatch(), { signal: AbortSignal.timeout(10_000) });

async function failure(n: Notifier): Promise<ProviderError> {
  try {
    await send(n);
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the send to fail');
}

describe('email notifier', () => {
  it('sends one mail per batch over STARTTLS with AUTH: subject with severity and count, text and HTML parts', async () => {
    const port = await startSmtp();
    const { n } = notifier(port);
    await send(n);
    expect(received).toHaveLength(1);
    const mail = received[0]!;
    expect(mail.from).toBe('mfawatch@example.com');
    expect(mail.to).toEqual(['security@example.com']);
    expect(mail.raw).toMatch(/^Subject: \[mfawatch\] CRITICAL: 2 changes at GitHub acme\r?$/m);
    expect(mail.raw).toMatch(/^X-Mfawatch-Batch: scan-42\r?$/m);
    expect(mail.raw).toMatch(/Content-Type: multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain/);
    expect(mail.raw).toMatch(/Content-Type: text\/html/);
    const decoded = qp(mail.raw);
    expect(decoded).toContain('[CRITICAL] MFA disabled: alice (admin) disabled two-factor authentication');
    expect(decoded).toContain('account: alice (id 1, admin)');
    expect(decoded).toContain('change:  MFA: enabled → disabled');
    expect(decoded).toContain('link:    https://github.com/alice');
    expect(decoded).toContain('<a href="https://github.com/alice">alice (id 1, admin)</a>');
    expect(decoded).toContain('[MEDIUM] Account added: bob was added as member without two-factor authentication');
  });

  it('shows times in displayTimezone with the zone named, in the text and the HTML part', async () => {
    const port = await startSmtp();
    const { n } = notifier(port, {}, {}, { displayTimezone: 'Europe/Berlin' });
    await send(n);
    const decoded = qp(received[0]!.raw);
    const [text, html] = [decoded.slice(0, decoded.indexOf('Content-Type: text/html')), decoded.slice(decoded.indexOf('Content-Type: text/html'))];
    // sampleBatch(): both events and the batch at 2026-11-22T10:00:00.000Z, 11:00 in Berlin.
    expect(text.split('time:    2026-11-22 11:00 GMT+1')).toHaveLength(3);
    expect(text).toContain('mfawatch batch scan-42, 2026-11-22 11:00 GMT+1');
    expect(html).toContain('<strong>Critical</strong> · 2026-11-22 11:00 GMT+1</p>');
    expect(html.split('>Time</td><td>2026-11-22 11:00 GMT+1</td>')).toHaveLength(3);
    expect(decoded).not.toContain('2026-11-22T10:00');
  });

  it('a subject for a single change is the change itself', async () => {
    const port = await startSmtp();
    const { n } = notifier(port);
    const one = sampleBatch();
    await n.send({ ...one, events: one.events.slice(0, 1), severity: 'critical' }, { signal: AbortSignal.timeout(10_000) });
    const unfolded = (received[0]?.raw ?? '').replace(/\r?\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(/^Subject: \[mfawatch\] CRITICAL: alice \(admin\) disabled two-factor authentication \(GitHub acme\)\r?$/m);
  });

  it('every recipient refused (550) is a permanent failure that names the reply, without the password', async () => {
    const port = await startSmtp({ refuse: { 'security@example.com': 550 } });
    const { n, deps } = notifier(port);
    const err = await failure(n);
    expect(err.reason).toBe('client');
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/refused the recipients.*550/);
    expect(err.message).not.toContain(PASSWORD);
    expect(deps.logs.text()).not.toContain(PASSWORD);
    expect(received).toHaveLength(0);
  });

  it('one refused recipient among several: the others get the mail, the refused address is logged as an error', async () => {
    const port = await startSmtp({ refuse: { 'nobody@example.com': 550 } });
    const { n, deps } = notifier(port, { to: ['security@example.com', 'nobody@example.com'] });
    await send(n);
    expect(received).toHaveLength(1);
    expect(received[0]?.to).toEqual(['security@example.com']);
    const line = deps.logs.lines().find((l) => l.level === 50);
    expect(line?.rejected).toEqual(['nobody@example.com']);
    expect(String(line?.msg)).toMatch(/refused some recipients/);
  });

  it('a temporary refusal (450) is transient: the dispatcher will retry', async () => {
    const port = await startSmtp({ refuse: { 'security@example.com': 450 } });
    const { n } = notifier(port);
    const err = await failure(n);
    expect(err.reason).toBe('server');
    expect(err.transient).toBe(true);
  });

  it('a wrong password is an auth failure that does not show the password', async () => {
    const port = await startSmtp();
    const deps = testDeps();
    const config = emailNotifier.configSchema.parse({ id: 'm', type: 'email', smtp: { host: '127.0.0.1', port, rejectUnauthorized: false, auth: { user: 'mfawatch', pass: 'wrong-password-xyz' } }, from: 'a@example.com', to: ['b@example.com'] });
    const err = await failure(emailNotifier.create(config, deps));
    expect(err.reason).toBe('auth');
    expect(err.message).toMatch(/refused the login/);
    expect(`${err.message}${JSON.stringify(err)}${deps.logs.text()}`).not.toContain('wrong-password-xyz');
  });

  it('refuses to send without TLS when STARTTLS is required and the server does not offer it', async () => {
    const port = await startSmtp({ starttls: false });
    const { n } = notifier(port);
    const err = await failure(n);
    expect(err.reason).toBe('client');
    expect(err.message).toMatch(/TLS/);
    expect(received).toHaveLength(0);
  });

  it('an SMTP server that is down is a transient network failure', async () => {
    const port = await startSmtp();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = null;
    const { n } = notifier(port);
    const err = await failure(n);
    expect(err.reason).toBe('network');
    expect(err.transient).toBe(true);
  });

  it('the config refuses a plain-text password to a remote server and requires recipients', () => {
    const base = { id: 'm', type: 'email', from: 'a@example.com', to: ['b@example.com'] };
    expect(emailNotifier.configSchema.safeParse({ ...base, smtp: { host: 'smtp.example.com', starttls: 'never', auth: { user: 'u', pass: 'p' } } }).success).toBe(false);
    expect(emailNotifier.configSchema.safeParse({ ...base, smtp: { host: '127.0.0.1', starttls: 'never', auth: { user: 'u', pass: 'p' } } }).success).toBe(true);
    expect(emailNotifier.configSchema.safeParse({ ...base, to: [], smtp: { host: 'smtp.example.com' } }).success).toBe(false);
    expect(emailNotifier.configSchema.safeParse({ ...base, to: ['not an address'], smtp: { host: 'smtp.example.com' } }).success).toBe(false);
  });
});
