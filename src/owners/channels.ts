/**
 * The three ways to an owner, each one attempt that resolves once the channel accepted the
 * message or throws a ProviderError whose reason decides retry (src/owners/deliver.ts retries):
 *
 * - e-mail over SMTP with the settings and `from` of the email notifier `owners.email.via`
 *   (notifiers/email/smtp.ts, the email notifier's own SMTP set-up); a permanent refusal of the
 *   recipient (RCPT TO 550 unknown user: a bounce) fails the notice, while a refused login, TLS,
 *   sender or server is the channel's failure (OwnerChannelError) and the notice stays queued;
 * - Slack: `users.lookupByEmail`, then `chat.postMessage` to the user id, which opens the DM
 *   (https://api.slack.com/methods/users.lookupByEmail, https://api.slack.com/methods/chat.postMessage);
 *   `users_not_found` and other platform errors are permanent, rate limits and 5xx transient, and a
 *   refused bot token or a missing scope is the channel's failure (OwnerChannelError, stays queued);
 * - SMS through Twilio's Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
 *   form-encoded To, From, Body, HTTP basic auth (AccountSid, AuthToken); 201 is accepted
 *   (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource); a 401
 *   or 403 is the channel's failure (OwnerChannelError, stays queued), other 4xx fail the notice.
 */
import { ErrorCode, WebClient, LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { EmailConfig } from '../../notifiers/email/config.js';
import { sendSmtpMail, smtpSecrets } from '../../notifiers/email/smtp.js';
import { fetchWithTimeout } from '../core/abort.js';
import type { Logger } from '../core/deps.js';
import { ProviderError, reasonForStatus } from '../core/errors.js';
import { redactSecrets } from '../core/secret.js';
import type { OwnersConfig } from './config.js';

export interface OwnerMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable id of this notice (Message-ID, header). */
  id: string;
}

/**
 * A failure of the channel itself (the `owners.email.via` notifier's SMTP login, TLS, sender or the
 * server), not of the person's address: src/owners/deliver.ts keeps the notice queued and retries
 * it like other delivery failures, until delivery.maxAge, instead of calling the owner unreachable.
 */
export class OwnerChannelError extends ProviderError {}

interface SmtpFailure {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  rejectedErrors?: Array<{ recipient?: string; response?: string; responseCode?: number }>;
}

/**
 * What an SMTP failure of an owner mail means. A permanent refusal of the recipient (RCPT TO
 * 550/551/553, nodemailer's EENVELOPE naming it) is the owner's address; everything else (login,
 * TLS, sender, message, connection) is the channel, and says which setting of which notifier to check.
 */
function ownerMailError(err: SmtpFailure, via: EmailConfig, to: string, secrets: ReturnType<typeof smtpSecrets>): ProviderError {
  const refusal = err.rejectedErrors?.find((r) => r.recipient === to) ?? err.rejectedErrors?.[0];
  const quoted = (s: string | undefined) => redactSecrets(s ?? '', secrets).trim().slice(0, 300);
  const reply = quoted(refusal?.response ?? err.response ?? err.message) || 'no reply';
  const code = refusal?.responseCode ?? err.responseCode;
  const server = `${via.smtp.host}:${via.smtp.port}`;
  const provider = 'email';
  const check = (what: string) => `check ${what} of the email notifier "${via.id}" (owners.email.via); the notice stays queued and is retried`;
  if (err.code === 'EENVELOPE' && err.command === 'RCPT TO' && code !== undefined && code >= 500) {
    return new ProviderError(`the SMTP server ${server} refused the owner's address ${to} (${reply})`, { reason: 'client', provider, status: code, hint: "the owner's address was refused: check the identity's e-mail (identities.map) and reach the owner another way" });
  }
  if (code !== undefined && code >= 400 && code < 500) {
    return new ProviderError(`the SMTP server ${server} did not take the owner mail for now (${reply})`, { reason: 'server', provider, status: code, hint: 'mfawatch will retry' });
  }
  switch (err.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new OwnerChannelError(`the owner mail could not be sent: the SMTP login was refused by ${server} (${reply})`, { reason: 'auth', provider, status: code, hint: check('smtp.auth.user and its password variable') });
    case 'ETLS':
    case 'EREQUIRETLS':
      return new OwnerChannelError(`the owner mail could not be sent: TLS with ${server} failed (${reply})`, { reason: 'client', provider, status: code, hint: check('smtp.secure, smtp.starttls and smtp.rejectUnauthorized against what the server offers') });
    case 'ETIMEDOUT':
      return new ProviderError(`the owner mail could not be sent: ${server} did not answer in time`, { reason: 'timeout', provider, hint: check('smtp.host and smtp.port, and the firewall') });
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'EPROXY':
      return new ProviderError(`the owner mail could not be sent: could not talk to ${server} (${err.code}: ${reply})`, { reason: 'network', provider, hint: check('smtp.host and smtp.port, DNS and the firewall') });
  }
  if (err.command === 'MAIL FROM' && code === 530) {
    return new OwnerChannelError(`the owner mail could not be sent: ${server} wants a login first (${reply})`, { reason: 'auth', provider, status: code, hint: check('smtp.auth') });
  }
  if (err.command === 'MAIL FROM') {
    return new OwnerChannelError(`the owner mail could not be sent: ${server} refused the sender ${via.from} (${reply})`, { reason: 'client', provider, status: code, hint: check('`from`') });
  }
  return new OwnerChannelError(`the owner mail could not be sent: ${server} refused it (${reply})`, { reason: code !== undefined && code >= 500 ? 'client' : 'network', provider, status: code, hint: check('the smtp settings') });
}

/** Sends one owner mail with an email notifier's SMTP settings. */
export async function sendOwnerMail(via: EmailConfig, mail: OwnerMail, signal: AbortSignal, now: Date): Promise<void> {
  try {
    await sendSmtpMail(via.smtp, {
      from: via.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      date: now,
      headers: { 'X-Mfawatch-Owner-Notice': mail.id },
      messageId: `<owner-${mail.id.replace(/[^A-Za-z0-9.-]/g, '-')}.${now.getTime()}@mfawatch>`,
    }, signal);
  } catch (thrown) {
    if (signal.aborted) throw new ProviderError('the SMTP server did not take the owner mail in time', { reason: 'timeout', provider: 'email', hint: 'mfawatch will retry' });
    throw ownerMailError(thrown as SmtpFailure, via, mail.to, smtpSecrets(via.smtp));
  }
}

/** Slack's client logs through ours, at debug (its own messages never carry the token). */
function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.DEBUG;
  return {
    debug: (...m: unknown[]) => logger.debug({ slack: m.map(String).join(' ') }),
    info: (...m: unknown[]) => logger.debug({ slack: m.map(String).join(' ') }),
    warn: (...m: unknown[]) => logger.debug({ slack: m.map(String).join(' ') }),
    error: (...m: unknown[]) => logger.debug({ slack: m.map(String).join(' ') }),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Maps an @slack/web-api error to a ProviderError. */
function slackError(thrown: unknown, step: string): ProviderError {
  const err = thrown as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number; message?: string };
  switch (err.code) {
    case ErrorCode.PlatformError: {
      const code = err.data?.error ?? 'unknown_error';
      const hint =
        code === 'users_not_found'
          ? "no Slack user has this e-mail: the identity's address differs from the Slack profile's, or the person is not in the workspace"
          : code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked' || code === 'account_inactive'
            ? 'check owners.slack.token (a bot token, xoxb-)'
            : code === 'missing_scope'
              ? 'the bot needs the scopes users:read.email and chat:write'
              : 'see https://api.slack.com/methods for the error';
      const tokenFailure = code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked' || code === 'account_inactive';
      // The bot token or its scopes: the channel's failure, not the person's; the notice stays queued.
      if (tokenFailure || code === 'missing_scope') return new OwnerChannelError(`the owner's Slack message could not be sent: Slack ${step} answered "${code}"`, { reason: tokenFailure ? 'auth' : 'permission', provider: 'slack', hint: `${hint}; the notice stays queued and is retried` });
      return new ProviderError(`Slack ${step} answered "${code}"`, { reason: 'client', provider: 'slack', hint });
    }
    case ErrorCode.RateLimitedError:
      return new ProviderError(`Slack ${step} is rate-limited`, { reason: 'rate_limited', provider: 'slack', retryAfterMs: (err.retryAfter ?? 30) * 1000, hint: 'mfawatch will retry' });
    case ErrorCode.HTTPError:
      return new ProviderError(`Slack ${step} answered HTTP ${err.statusCode ?? 0}`, { reason: reasonForStatus(err.statusCode ?? 500), provider: 'slack', status: err.statusCode, hint: 'mfawatch will retry when it may help' });
    default:
      return new ProviderError(`could not reach Slack for ${step}`, { reason: 'network', provider: 'slack', hint: 'check outbound access to slack.com; mfawatch will retry' });
  }
}

/** Sends one Slack direct message to the user whose e-mail is `email`. */
export async function sendOwnerSlack(settings: NonNullable<OwnersConfig['slack']>, email: string, text: string, logger: Logger, timeoutMs: number): Promise<void> {
  const client = new WebClient(settings.token.reveal(), {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/` } : {}),
    // src/owners/deliver.ts owns retries, as the dispatcher does for notifiers.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: slackLogger(logger),
  });
  let userId: string | undefined;
  try {
    const found = await client.users.lookupByEmail({ email });
    userId = found.user?.id;
  } catch (err) {
    throw slackError(err, 'users.lookupByEmail');
  }
  if (!userId) throw new ProviderError('Slack users.lookupByEmail answered without a user id', { reason: 'malformed', provider: 'slack' });
  try {
    await client.chat.postMessage({ channel: userId, text, mrkdwn: true, unfurl_links: false, unfurl_media: false });
  } catch (err) {
    throw slackError(err, 'chat.postMessage');
  }
}

/** Sends one SMS through Twilio's Messages API. */
export async function sendOwnerSms(settings: NonNullable<OwnersConfig['sms']>, to: string, body: string, fetchFn: typeof fetch, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const url = `${settings.baseUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const auth = Buffer.from(`${settings.accountSid}:${settings.authToken.reveal()}`).toString('base64');
  let res: Response;
  try {
    res = await fetchWithTimeout(fetchFn, url, {
      method: 'POST',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ To: to, From: settings.from, Body: body.slice(0, 1600) }).toString(),
    }, timeoutMs, [signal]);
  } catch (err) {
    throw new ProviderError('could not reach Twilio', { reason: 'network', provider: 'twilio', hint: 'check outbound access to api.twilio.com (owners.sms.baseUrl); mfawatch will retry', cause: err });
  }
  const text = await res.text().catch(() => '');
  if (res.status === 201 || res.status === 200) return;
  // Twilio errors: { "code": 21211, "message": "The 'To' number ... is not a valid phone number.", "more_info", "status" }
  let detail = '';
  try {
    const parsed = JSON.parse(text) as { code?: number; message?: string };
    detail = ` (Twilio error ${parsed.code ?? '?'}: ${String(parsed.message ?? '').slice(0, 200)})`;
  } catch {
    // Not Twilio's JSON error: the status says enough.
  }
  const reason = reasonForStatus(res.status);
  if (reason === 'auth' || reason === 'permission') {
    // The account SID or auth token: the channel's failure, not the person's; the notice stays queued.
    throw new OwnerChannelError(`the owner's SMS could not be sent: Twilio refused the login with HTTP ${res.status}${redactSecrets(detail, [settings.authToken])}`, {
      reason, provider: 'twilio', status: res.status, hint: 'check owners.sms.accountSid and the auth token; the notice stays queued and is retried',
    });
  }
  throw new ProviderError(`Twilio refused the SMS with HTTP ${res.status}${redactSecrets(detail, [settings.authToken])}`, {
    reason, provider: 'twilio', status: res.status,
    hint: reason === 'client' || reason === 'not_found' ? "check the number in identities.phones and owners.sms.from" : 'mfawatch will retry',
  });
}
