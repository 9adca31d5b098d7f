/**
 * The `slack` notifier: one Block Kit message per batch through an incoming webhook, sent with
 * @slack/webhook (retries off: the dispatcher owns retries). Every message has a `text` fallback
 * for notifications and screen readers. Slack allows 50 blocks per message and 3000 characters
 * per section text, so long batches list the first events and count the rest.
 * https://api.slack.com/messaging/webhooks, https://api.slack.com/reference/block-kit/blocks
 */
import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError, reasonForStatus, type ErrorReason } from '../../src/core/errors.js';
import { redactSecrets, secretUrlParts } from '../../src/core/secret.js';
import { slackLink, slackText, visible } from '../../src/core/text.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import { severityAtLeast, type Severity } from '../../src/core/types.js';
import { SEVERITY_WORDS, durationSince, reminderDetail, reminderSummary, renderEvent, batchSubject, type TimeFormat } from '../../src/delivery/render.js';
import { REDIRECT_HINT, parseRetryAfter, redirectTarget } from '../../src/http/client.js';
import type { Notifier, NotifierModule, NotificationBatch } from '../types.js';
import { slackConfigSchema, type SlackConfig } from './config.js';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
const MAX_BLOCKS = 50;
const MAX_SECTION_TEXT = 3000;
const MAX_HEADER_TEXT = 150;
/** Event sections in one message: header + context + events + the "and N more" line stay ≤ 50. */
const MAX_EVENT_BLOCKS = 45;

const EMOJI: Record<Severity, string> = { critical: ':rotating_light:', high: ':red_circle:', medium: ':large_orange_circle:', low: ':large_yellow_circle:', info: ':information_source:' };

/**
 * Provider text is escaped with src/core/text.ts: `slackText` (controls visible; &, < and > as
 * entities, https://api.slack.com/reference/surfaces/formatting#escaping) and `slackLink` (http(s)
 * targets only). Every mrkdwn object is `verbatim`, so Slack does not turn bare URLs, channel
 * names or "@channel" typed in provider text into links or mentions on its own.
 */
const esc = slackText;

/** Text mfawatch composed of lines: its line breaks stay, each line escaped. */
function escLines(text: string): string {
  return text.split('\n').map(slackText).join('\n');
}

function mrkdwn(text: string): Record<string, unknown> {
  return { type: 'mrkdwn', text, verbatim: true };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function section(text: string): Record<string, unknown> {
  return { type: 'section', text: mrkdwn(clip(text, MAX_SECTION_TEXT)) };
}

/** Splits lines into section texts of at most 3000 characters each. */
function chunkLines(lines: readonly string[]): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const line of lines) {
    const next = current ? `${current}\n${line}` : line;
    if (next.length > MAX_SECTION_TEXT && current) {
      chunks.push(current);
      current = clip(line, MAX_SECTION_TEXT);
    } else {
      current = clip(next, MAX_SECTION_TEXT);
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

/** The Slack message of one batch: Block Kit blocks plus the `text` fallback; times with `formatTime` (the display zone). */
function slackMessage(batch: NotificationBatch, config: SlackConfig, now: Date, formatTime: TimeFormat): IncomingWebhookSendArguments {
  const mention = config.mention && severityAtLeast(batch.severity, config.mentionMinSeverity) ? `${config.mention} ` : '';
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(visible(batch.title), MAX_HEADER_TEXT), emoji: true } },
    { type: 'context', elements: [mrkdwn(`${EMOJI[batch.severity]} *${SEVERITY_WORDS[batch.severity]}*${batch.source ? ` · ${esc(batch.source.provider)} ${esc(batch.source.label || batch.source.monitorId)} (monitor \`${esc(batch.source.monitorId)}\`)` : ''} · ${esc(formatTime(batch.createdAt))}`)] },
  ];
  if (mention || batch.text) blocks.push(section(`${mention}${escLines(batch.text ?? '')}`.trim()));

  const eventRoom = MAX_EVENT_BLOCKS - (blocks.length - 2);
  const shown = batch.events.length > eventRoom ? batch.events.slice(0, eventRoom - 1) : batch.events;
  for (const e of shown) {
    const r = renderEvent(e, batch, formatTime);
    const account = r.account ? slackLink(r.accountUrl, r.account) : null;
    const lines = [
      `${EMOJI[e.severity]} *${esc(r.headline)}* (${r.severityWord}): ${esc(r.sentence)}`,
      ...(account ? [`*Account:* ${account}`] : []),
      `*Where:* ${esc(r.where)}`,
      ...(r.change ? [`*Change:* ${esc(r.change)}`] : []),
      ...(r.extra ? [esc(r.extra)] : []),
      `*Time:* ${esc(r.at)}`,
    ];
    blocks.push(section(lines.join('\n')));
  }
  if (shown.length < batch.events.length) {
    blocks.push(section(`… and ${batch.events.length - shown.length} more changes. Run \`mfawatch events\` to see all of them.`));
  }

  if (batch.reminder) {
    const d = batch.reminder;
    const lines = d.accounts.map((a) => `• ${slackLink(a.url, a.login)}${esc(reminderDetail(a, now))}`);
    const room = MAX_BLOCKS - blocks.length - 2;
    const chunks = chunkLines(lines);
    const kept = chunks.slice(0, room);
    for (const c of kept) blocks.push(section(c));
    const listed = kept.join('\n').split('\n').length;
    const more = d.total - Math.min(listed, d.accounts.length);
    blocks.push({ type: 'context', elements: [mrkdwn(`${more > 0 ? `… and ${more} more (\`mfawatch status\` lists every account). ` : ''}Silence one account for a while: \`mfawatch ack ACCOUNT --for 7d --reason "..."\``)] });
  }
  if (batch.notifierHealth) {
    const h = batch.notifierHealth;
    blocks.push({ type: 'context', elements: [mrkdwn(`Notifier \`${esc(h.notifierId)}\` (${esc(h.channel)}): ${h.state === 'failing' ? `failing for ${durationSince(h.since, now)}, ${h.failures} failed attempts` : 'delivering again'}`)] });
  }

  const summary = batch.reminder ? reminderSummary(batch.reminder) : batch.events.length > 1 ? batch.events.slice(0, 5).map((e) => visible(e.summary)).join('; ') : (batch.text ?? '');
  return { text: clip(`${mention}${esc(batchSubject(batch))}${summary ? ` — ${escLines(summary)}` : ''}`, MAX_SECTION_TEXT), blocks: blocks.slice(0, MAX_BLOCKS) as unknown as NonNullable<IncomingWebhookSendArguments['blocks']>, unfurl_links: false, unfurl_media: false };
}

/** What Slack's error bodies mean and what to do (https://api.slack.com/messaging/webhooks#handling_errors). */
function describeSlackError(status: number, body: string, redirectedTo: string): { reason: ErrorReason; message: string; hint: string } {
  if (status >= 300 && status < 400) return { reason: 'client', message: `Slack answered with a redirect (HTTP ${status}) to ${redirectedTo}`, hint: `${REDIRECT_HINT}; an incoming webhook URL starts with https://hooks.slack.com/services/` };
  const code = /^[a-z_]{3,60}$/.test(body.trim()) ? body.trim() : '';
  const said = code ? ` (${code})` : '';
  if (status === 429) return { reason: 'rate_limited', message: `Slack is rate limiting this webhook (429)`, hint: 'Slack allows about one message per second per webhook' };
  if (status >= 500) return { reason: 'server', message: `Slack answered ${status}${said}`, hint: 'Slack is having trouble; see https://slack-status.com' };
  if (status === 404 || status === 410 || ['no_service', 'no_team', 'channel_not_found', 'channel_is_archived', 'invalid_token', 'no_active_hooks'].includes(code)) {
    return { reason: status === 410 ? 'not_found' : reasonForStatus(status), message: `Slack answered ${status}${said}: the webhook was removed, or its channel was archived or deleted`, hint: 'create a new incoming webhook for the channel and update SLACK_WEBHOOK_URL (notifiers/slack/README.md)' };
  }
  if (status === 403) return { reason: 'permission', message: `Slack answered 403${said}: posting with this webhook is not allowed`, hint: 'a workspace admin may have restricted posting to the channel or disabled the app; see notifiers/slack/README.md' };
  return { reason: reasonForStatus(status), message: `Slack rejected the message (${status}${said})`, hint: 'if the error is invalid_payload or invalid_blocks, please report it as an mfawatch bug' };
}

/** Creates the notifier. */
export function createSlackNotifier(config: SlackConfig, deps: Pick<ModuleDeps, 'fetch' | 'clock' | 'displayTimezone'>): Notifier {
  const formatTime = displayTimeFormatter(deps.displayTimezone);
  return {
    async send(batch: NotificationBatch, ctx): Promise<void> {
      let retryAfter: string | null = null;
      let redirectedTo = '';
      // @slack/webhook's HTTP error carries no headers, so the answer's Retry-After and Location are
      // read here. Redirects are not followed but answered as what they are: its own
      // `redirect: 'error'` would make one read "could not reach Slack (fetch failed)".
      const fetchWithSignal = async (url: string | URL, init?: RequestInit) => {
        const response = await deps.fetch(url, { ...init, redirect: 'manual', signal: init?.signal ? AbortSignal.any([init.signal, ctx.signal]) : ctx.signal });
        retryAfter = response.headers.get('retry-after');
        redirectedTo = redirectTarget(response.headers.get('location'), url);
        return response;
      };
      const webhook = new IncomingWebhook(config.webhookUrl.reveal(), { fetch: fetchWithSignal as never, timeout: 0, retryConfig: { retries: 0 } });
      try {
        await webhook.send(slackMessage(batch, config, deps.clock.now(), formatTime));
      } catch (err) {
        const e = err as { code?: string; statusCode?: number; body?: unknown; original?: { name?: string; message?: string; cause?: { code?: string } } };
        if (e.code === 'slack_webhook_http_error' && typeof e.statusCode === 'number') {
          const d = describeSlackError(e.statusCode, typeof e.body === 'string' ? e.body : '', redirectedTo);
          throw new ProviderError(redactSecrets(d.message, secretUrlParts(config.webhookUrl)), { reason: d.reason, provider: 'Slack', status: e.statusCode, retryAfterMs: parseRetryAfter(retryAfter, deps.clock.now().getTime()), hint: d.hint });
        }
        const name = e.original?.name;
        if (ctx.signal.aborted || name === 'AbortError' || name === 'TimeoutError') {
          throw new ProviderError('Slack did not accept the message in time', { reason: 'timeout', provider: 'Slack', hint: 'check connectivity to hooks.slack.com' });
        }
        const detail = redactSecrets(e.original?.cause?.code ?? e.original?.message ?? 'unknown error', secretUrlParts(config.webhookUrl));
        throw new ProviderError(`could not reach Slack (${detail})`, { reason: 'network', provider: 'Slack', hint: 'check DNS, proxy and firewall access to hooks.slack.com' });
      }
    },
  };
}

export const slackNotifier: NotifierModule<SlackConfig> = {
  type: 'slack',
  channel: 'Slack',
  configSchema: slackConfigSchema,
  secretKeys: ['webhookUrl'],
  readers: 'people',
  create: createSlackNotifier,
};
