/**
 * The `email` notifier: one mail per batch over SMTP with nodemailer, with a text and an HTML part;
 * the subject carries the highest severity and the count ("[mfawatch] CRITICAL: 3 changes at
 * GitHub acme"). One connection per send, closed when the send is cancelled.
 *
 * SMTP replies decide retry: 4xx replies are temporary (retried by the dispatcher), 5xx replies
 * are permanent (e.g. 550 unknown recipient: not retried, the team is told through the other
 * notifiers). A mail that some recipients accepted is delivered: resending would duplicate it for
 * them, so the rejected addresses are logged as an error instead.
 */
import type { ModuleDeps } from '../../src/core/deps.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import { ProviderError, type ErrorReason } from '../../src/core/errors.js';
import { redactSecrets } from '../../src/core/secret.js';
import { htmlText, safeHttpUrl } from '../../src/core/text.js';
import type { Severity } from '../../src/core/types.js';
import { SEVERITY_WORDS, adviceFor, batchSubject, durationSince, reminderDetail, reminderSummary, renderBatchText, renderEvent, type TimeFormat } from '../../src/delivery/render.js';
import type { Notifier, NotifierModule, NotificationBatch } from '../types.js';
import { emailConfigSchema, type EmailConfig } from './config.js';
import { sendSmtpMail, smtpSecrets } from './smtp.js';

const COLOR: Record<Severity, string> = { critical: '#b00020', high: '#d32f2f', medium: '#ef6c00', low: '#f9a825', info: '#1565c0' };

/** Provider text in the HTML part: controls and bidi characters visible, markup as entities (src/core/text.ts). */
const html = htmlText;

/** Text mfawatch composed of lines: each line escaped, the breaks kept as <br>. */
function htmlLines(text: string): string {
  return text.split('\n').map(htmlText).join('<br>');
}

/** The HTML part: the same words as the text part, laid out; times with `formatTime` (the display zone). */
function htmlBody(batch: NotificationBatch, now: Date, formatTime: TimeFormat): string {
  const parts: string[] = [
    `<h2 style="margin:0 0 4px 0">${html(batch.title)}</h2>`,
    `<p style="margin:0 0 12px 0;color:${COLOR[batch.severity]}"><strong>${SEVERITY_WORDS[batch.severity]}</strong> · ${html(formatTime(batch.createdAt))}</p>`,
  ];
  if (batch.text) parts.push(`<p>${htmlLines(batch.text)}</p>`);
  for (const e of batch.events) {
    const r = renderEvent(e, batch, formatTime);
    const url = r.accountUrl;
    const rows = [
      r.account ? ['Account', url ? `<a href="${html(url)}">${html(r.account)}</a>` : html(r.account)] : null,
      ['Where', html(r.where)],
      r.change ? ['Change', html(r.change)] : null,
      ['Time', html(r.at)],
      e.severity !== 'info' && adviceFor(e.type) ? ['Next', html(adviceFor(e.type) ?? '')] : null,
    ].filter((x): x is string[] => x !== null);
    parts.push(
      `<div style="border-left:4px solid ${COLOR[e.severity]};padding:4px 12px;margin:12px 0">` +
        `<p style="margin:0"><strong>${html(r.headline)}</strong> (${r.severityWord}): ${html(r.sentence)}</p>` +
        `<table style="border-collapse:collapse">${rows.map(([k, v]) => `<tr><td style="padding:2px 12px 2px 0;color:#555">${k}</td><td>${v}</td></tr>`).join('')}</table>` +
        (r.extra ? `<p style="margin:4px 0 0 0;color:#555">${html(r.extra)}</p>` : '') +
        `</div>`,
    );
  }
  if (batch.reminder) {
    const d = batch.reminder;
    parts.push(`<p>${html(reminderSummary(d))}</p><ul>`);
    for (const a of d.accounts) {
      const url = safeHttpUrl(a.url);
      parts.push(`<li>${url ? `<a href="${html(url)}">${html(a.login)}</a>` : html(a.login)}${html(reminderDetail(a, now))}</li>`);
    }
    parts.push('</ul>');
    if (d.total > d.accounts.length) parts.push(`<p>… and ${d.total - d.accounts.length} more (<code>mfawatch status</code> lists every account).</p>`);
    parts.push('<p style="color:#555">Silence one account for a while: <code>mfawatch ack ACCOUNT --for 7d --reason "..."</code></p>');
  }
  if (batch.notifierHealth) {
    const h = batch.notifierHealth;
    parts.push(`<p>Notifier <code>${html(h.notifierId)}</code> (${html(h.channel)}): ${h.state === 'failing' ? `failing for ${durationSince(h.since, now)}, ${h.failures} failed attempts` : 'delivering again'}.</p>`);
  }
  parts.push(`<p style="color:#888;font-size:small">mfawatch batch ${html(batch.id)}</p>`);
  return `<!doctype html><html><body style="font-family:sans-serif">${parts.join('\n')}</body></html>`;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

/** Maps a nodemailer error to a reason: SMTP 4xx is temporary, 5xx permanent. */
function smtpError(err: SmtpError, scrub: (s: string) => string): ProviderError {
  const reply = err.response ? scrub(err.response).slice(0, 300) : undefined;
  const code = err.responseCode;
  const byReply = (): ErrorReason => (code !== undefined && code >= 500 ? 'client' : code !== undefined && code >= 400 ? 'server' : 'network');
  const base = { provider: 'email', status: code };
  switch (err.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return new ProviderError(`the SMTP server refused the login${reply ? ` (${reply})` : ''}`, { ...base, reason: code !== undefined && code >= 400 && code < 500 ? 'server' : 'auth', hint: 'check smtp.auth.user and the password variable; see notifiers/email/README.md' });
    case 'EENVELOPE':
      return new ProviderError(`the SMTP server refused the ${err.command === 'MAIL FROM' ? 'sender' : 'recipients'}${reply ? ` (${reply})` : ''}`, { ...base, reason: byReply(), hint: byReply() === 'client' ? 'check `from` and `to`: the server does not accept them' : 'the server asked to try later' });
    case 'ETIMEDOUT':
      return new ProviderError('the SMTP server did not answer in time', { ...base, reason: 'timeout', hint: 'check smtp.host and smtp.port and the firewall' });
    case 'ETLS':
    case 'EREQUIRETLS':
      return new ProviderError(`TLS with the SMTP server failed (${scrub(err.message ?? '')})`, { ...base, reason: 'client', hint: 'check smtp.secure/starttls against what the server offers, and its certificate (smtp.rejectUnauthorized)' });
    case 'ECONNECTION':
    case 'ESOCKET':
    case 'EDNS':
    case 'EPROXY':
      return new ProviderError(`could not talk to the SMTP server (${err.code}: ${scrub(err.message ?? '')})`, { ...base, reason: 'network', hint: 'check smtp.host, smtp.port, DNS and firewall' });
    default:
      return new ProviderError(`the SMTP server did not take the mail${reply ? ` (${reply})` : err.message ? ` (${scrub(err.message)})` : ''}`, { ...base, reason: byReply(), hint: byReply() === 'client' ? 'the server refused it permanently' : 'the server asked to try later' });
  }
}

/** Creates the notifier. */
export function createEmailNotifier(config: EmailConfig, deps: Pick<ModuleDeps, 'clock' | 'logger' | 'displayTimezone'>): Notifier {
  const formatTime = displayTimeFormatter(deps.displayTimezone);
  const { smtp } = config;
  const secrets = smtpSecrets(smtp);
  const scrub = (s: string) => redactSecrets(s, secrets);
  return {
    async send(batch: NotificationBatch, ctx): Promise<void> {
      try {
        const now = deps.clock.now();
        const info = await sendSmtpMail(smtp, {
          from: config.from,
          to: config.to,
          ...(config.cc ? { cc: config.cc } : {}),
          subject: batchSubject(batch),
          text: renderBatchText(batch, now, formatTime),
          html: htmlBody(batch, now, formatTime),
          date: now,
          headers: { 'X-Mfawatch-Batch': batch.id, 'X-Mfawatch-Severity': batch.severity },
          messageId: `<${batch.id.replace(/[^A-Za-z0-9.-]/g, '-')}.${now.getTime()}@mfawatch>`,
        }, ctx.signal);
        const rejected = ((info.rejected ?? []) as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address));
        const acceptedCount = ((info.accepted ?? []) as unknown[]).length;
        if (rejected.length > 0) {
          deps.logger.error({ rejected, accepted: acceptedCount }, `the SMTP server refused some recipients of batch ${batch.id}; the others got it. Fix the addresses in "to"/"cc".`);
        }
      } catch (err) {
        if (ctx.signal.aborted) throw new ProviderError('the SMTP server did not take the mail in time', { reason: 'timeout', provider: 'email', hint: 'check smtp.host and smtp.port and the firewall' });
        throw smtpError(err as SmtpError, scrub);
      }
    },
  };
}

export const emailNotifier: NotifierModule<EmailConfig> = {
  type: 'email',
  channel: 'email',
  configSchema: emailConfigSchema,
  secretKeys: ['smtp.auth.pass'],
  readers: 'people',
  create: createEmailNotifier,
};
