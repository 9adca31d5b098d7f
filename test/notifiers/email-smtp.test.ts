/**
 * One SMTP set-up (notifiers/email/smtp.ts) for the email notifier and the owner mails of
 * src/owners/channels.ts, against a real SMTP server (smtp-server) on 127.0.0.1: both go through
 * STARTTLS with AUTH when the settings say so, both refuse to send without STARTTLS when it is
 * required, and neither quotes the password, not even as the base64 of an AUTH PLAIN exchange
 * that a server echoes in its refusal.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { emailNotifier } from '../../notifiers/email/index.js';
import type { EmailConfig } from '../../notifiers/email/config.js';
import { ProviderError } from '../../src/core/errors.js';
import { OwnerChannelError, sendOwnerMail } from '../../src/owners/channels.js';
import { testDeps } from '../helpers.js';
import { sampleBatch } from './sample.js';

const PASSWORD = 'smtp-Pa55word-shared-by-both';
const AUTH_PLAIN = Buffer.from(`\u0000mfawatch\u0000${PASSWORD}`).toString('base64');

let server: SMTPServer | null = null;
let sessions: Array<{ secure: boolean; user: string | undefined; to: string[] }> = [];

/** smtp-server on a free loopback port; `echoAuth`: its refusal of a login quotes the AUTH PLAIN argument, as some servers do. */
async function startSmtp(options: { starttls: boolean; echoAuth?: boolean }): Promise<number> {
  sessions = [];
  const s = new SMTPServer({
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (!options.echoAuth && auth.username === 'mfawatch' && auth.password === PASSWORD) cb(null, { user: 'mfawatch' });
      else cb(Object.assign(new Error(`Authentication failed for ${Buffer.from(`\u0000${auth.username}\u0000${auth.password ?? ''}`).toString('base64')}`), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        sessions.push({ secure: session.secure, user: typeof session.user === 'string' ? session.user : undefined, to: session.envelope.rcptTo.map((r) => r.address) });
        cb();
      });
    },
  });
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return (s.server.address() as AddressInfo).port;
}

afterEach(async () => {
  const s = server;
  server = null;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

function emailConfig(port: number): EmailConfig {
  return emailNotifier.configSchema.parse({
    id: 'mail-sec', type: 'email',
    smtp: { host: '127.0.0.1', port, starttls: 'required', rejectUnauthorized: false, auth: { user: 'mfawatch', pass: PASSWORD } },
    from: 'mfawatch@example.com', to: ['security@example.com'],
  });
}

const viaNotifier = (config: EmailConfig) => emailNotifier.create(config, testDeps()).send(sampleBatch(), { signal: AbortSignal.timeout(10_000) });
const viaOwnerMail = (config: EmailConfig) => sendOwnerMail(config, { to: 'alice@example.com', subject: 'Your account', text: 'hello', html: '<p>hello</p>', id: 'case-1' }, AbortSignal.timeout(10_000), new Date('2026-11-22T10:00:00.000Z'));

async function failure(send: Promise<void>): Promise<ProviderError> {
  try {
    await send;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error('expected the send to fail');
}

describe('one SMTP set-up for alerts and owner mails', () => {
  it('both send over STARTTLS with AUTH', async () => {
    const config = emailConfig(await startSmtp({ starttls: true }));
    await viaNotifier(config);
    await viaOwnerMail(config);
    expect(sessions).toEqual([
      { secure: true, user: 'mfawatch', to: ['security@example.com'] },
      { secure: true, user: 'mfawatch', to: ['alice@example.com'] },
    ]);
  });

  it('both refuse to send when STARTTLS is required and the server does not offer it', async () => {
    const config = emailConfig(await startSmtp({ starttls: false }));
    expect((await failure(viaNotifier(config))).message).toMatch(/^TLS with the SMTP server failed/);
    // The owner path reads the refused STARTTLS as its channel's failure (kept queued), never as a bounce of alice's address.
    const owner = await failure(viaOwnerMail(config));
    expect(owner).toBeInstanceOf(OwnerChannelError);
    expect(owner.message).toMatch(/^the owner mail could not be sent: TLS with 127\.0\.0\.1:\d+ failed \(5\d\d .*\): check smtp\.secure, smtp\.starttls and smtp\.rejectUnauthorized .* of the email notifier "mail-sec" \(owners\.email\.via\)/);
    expect(owner.message).not.toMatch(/alice|identities\.map/);
    expect(sessions).toEqual([]);
  });

  it('neither quotes the password, nor its AUTH PLAIN base64, from a refusal that echoes it', async () => {
    const config = emailConfig(await startSmtp({ starttls: true, echoAuth: true }));
    const owner = await failure(viaOwnerMail(config));
    expect(owner.message).toMatch(/^the owner mail could not be sent: the SMTP login was refused by 127\.0\.0\.1:\d+ \(535 /);
    expect(owner.reason).toBe('auth');
    for (const err of [await failure(viaNotifier(config)), owner]) {
      expect(err.message).toMatch(/535/);
      expect(err.message).not.toContain(AUTH_PLAIN);
      expect(err.message).not.toContain(PASSWORD);
      expect(err.message).toContain('[redacted]');
    }
  });
});
