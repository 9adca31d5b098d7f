/**
 * One mail over SMTP with an email notifier's `smtp` settings, shared by the `email` notifier and
 * the owner notices of src/owners/channels.ts (which send with the settings of the email notifier
 * `owners.email.via`), so both talk to the server the same way: TLS from the first byte
 * (`secure`) or STARTTLS as `starttls` says, the certificate checked unless `rejectUnauthorized`
 * is false, AUTH when `auth` is set, and the same connection, greeting and socket timeouts.
 *
 * Each send opens its own connection and closes it afterwards, or as soon as `signal` aborts. A
 * failure is thrown as nodemailer reports it (`code`, `responseCode`, `response`): what a failure
 * means differs per caller (a bounce of an owner's address is not a broken alert channel), so each
 * caller classifies it, scrubbing `smtpSecrets` from whatever it quotes.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Secret } from '../../src/core/secret.js';
import type { EmailConfig } from './config.js';

/** The `smtp` block of an email notifier, after defaults. */
export type SmtpSettings = EmailConfig['smtp'];

/** How long to wait for the TCP connection, for the server's greeting, and between bytes (nodemailer's settings, ms). */
const CONNECTION_TIMEOUT = 20_000;
const GREETING_TIMEOUT = 20_000;
const SOCKET_TIMEOUT = 30_000;

/** What an SMTP failure may quote and must not: the password, also as the base64 of an AUTH PLAIN exchange. */
export function smtpSecrets(smtp: SmtpSettings): Array<Secret | string> {
  if (!smtp.auth) return [];
  return [smtp.auth.pass, Buffer.from(`\u0000${smtp.auth.user}\u0000${smtp.auth.pass.reveal()}`).toString('base64')];
}

/**
 * Sends `message` over a new SMTP connection with `smtp`'s settings; resolves with the server's
 * answer once it accepted the mail (for some recipients at least: see `rejected`).
 */
export async function sendSmtpMail(smtp: SmtpSettings, message: SendMailOptions, signal: AbortSignal): Promise<SMTPTransport.SentMessageInfo> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls === 'required',
    ignoreTLS: !smtp.secure && smtp.starttls === 'never',
    tls: { rejectUnauthorized: smtp.rejectUnauthorized },
    ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass.reveal() } } : {}),
    connectionTimeout: CONNECTION_TIMEOUT,
    greetingTimeout: GREETING_TIMEOUT,
    socketTimeout: SOCKET_TIMEOUT,
  });
  const onAbort = () => transport.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await transport.sendMail(message);
  } finally {
    signal.removeEventListener('abort', onAbort);
    transport.close();
  }
}
