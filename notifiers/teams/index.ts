/**
 * The `teams` notifier: one Adaptive Card (schema 1.4) per batch, posted to a Microsoft Teams
 * Workflows webhook as `{"type":"message","attachments":[{"contentType":
 * "application/vnd.microsoft.card.adaptive","content":{…}}]}`. Workflows answers 202 Accepted
 * (legacy Office 365 connector webhooks answer 200 "1"; both are accepted).
 * Teams caps a message at about 28 KB, so long batches list the first events and summarise the rest.
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 */
import type { ModuleDeps } from '../../src/core/deps.js';
import { displayTimeFormatter } from '../../src/core/display-time.js';
import type { Severity } from '../../src/core/types.js';
import { SEVERITY_WORDS, batchSubject, durationSince, reminderLine, reminderSummary, renderEvent, type TimeFormat } from '../../src/delivery/render.js';
import { secretUrlParts } from '../../src/core/secret.js';
import { teamsText, visible } from '../../src/core/text.js';
import { createHttpClient } from '../../src/http/client.js';
import { AFTER_DELIVERY_FAILURE, type Notifier, type NotifierModule, type NotificationBatch } from '../types.js';
import { teamsConfigSchema, type TeamsConfig } from './config.js';

/** Events shown in full in one card; the rest are counted (keeps the card well under 28 KB). */
const MAX_EVENTS = 25;
const MAX_REMINDER_LINES = 50;

const COLOR: Record<Severity, string> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default', info: 'Good' };

type CardElement = Record<string, unknown>;

/**
 * TextBlock texts and Fact titles and values are markdown in Teams: provider text goes through
 * `teamsText` (src/core/text.ts), so a login such as "[Reset your MFA](http://evil.example)" shows
 * as typed instead of as a link. Action titles are plain text (controls made visible); action URLs
 * are http(s) only.
 */
const md = teamsText;

/** Text mfawatch composed of lines: its line breaks and its own "- " list items stay, each line escaped. */
function mdLines(text: string): string {
  return text.split('\n').map((line) => (line.startsWith('- ') ? `- ${teamsText(line.slice(2))}` : teamsText(line))).join('\n');
}

/** The Adaptive Card of one batch; times with `formatTime` (the display zone). */
function adaptiveCard(batch: NotificationBatch, now: Date, formatTime: TimeFormat): CardElement {
  const body: CardElement[] = [
    { type: 'TextBlock', text: md(batch.title), size: 'Large', weight: 'Bolder', wrap: true, color: COLOR[batch.severity], style: 'heading' },
    { type: 'TextBlock', text: `Severity: ${SEVERITY_WORDS[batch.severity]} · ${md(formatTime(batch.createdAt))}`, isSubtle: true, spacing: 'None', wrap: true },
  ];
  if (batch.text) body.push({ type: 'TextBlock', text: mdLines(batch.text), wrap: true });
  for (const e of batch.events.slice(0, MAX_EVENTS)) {
    const r = renderEvent(e, batch, formatTime);
    const facts = [
      ...(r.account ? [{ title: 'Account', value: md(r.account) }] : []),
      { title: 'Where', value: md(r.where) },
      ...(r.change ? [{ title: 'Change', value: md(r.change) }] : []),
      { title: 'Severity', value: r.severityWord },
      { title: 'Time', value: md(r.at) },
    ];
    const items: CardElement[] = [
      { type: 'TextBlock', text: `**${r.headline}**: ${md(r.sentence)}`, wrap: true, color: COLOR[e.severity] },
      { type: 'FactSet', facts },
    ];
    if (r.extra) items.push({ type: 'TextBlock', text: md(r.extra), wrap: true, isSubtle: true });
    if (r.accountUrl) items.push({ type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', title: visible(`Open ${e.login ?? 'account'} at ${e.provider}`), url: r.accountUrl }] });
    body.push({ type: 'Container', separator: true, spacing: 'Medium', items });
  }
  if (batch.events.length > MAX_EVENTS) {
    body.push({ type: 'TextBlock', text: `… and ${batch.events.length - MAX_EVENTS} more changes: run \`mfawatch events\` for all of them.`, wrap: true, isSubtle: true });
  }
  if (batch.reminder) {
    const d = batch.reminder;
    body.push({ type: 'TextBlock', text: md(reminderSummary(d)), wrap: true });
    const lines = d.accounts.slice(0, MAX_REMINDER_LINES).map((a) => `- ${md(reminderLine(a, now))}`);
    if (lines.length) body.push({ type: 'TextBlock', text: lines.join('\n'), wrap: true });
    const more = d.total - Math.min(d.accounts.length, MAX_REMINDER_LINES);
    if (more > 0) body.push({ type: 'TextBlock', text: `… and ${more} more (mfawatch status lists every account).`, wrap: true, isSubtle: true });
    body.push({ type: 'TextBlock', text: 'Silence one account for a while: `mfawatch ack ACCOUNT --for 7d --reason "..."`', wrap: true, isSubtle: true });
  }
  if (batch.notifierHealth) {
    const h = batch.notifierHealth;
    body.push({ type: 'FactSet', facts: [{ title: 'Notifier', value: md(`${h.notifierId} (${h.channel})`) }, { title: 'Failing for', value: durationSince(h.since, now) }, { title: 'Failed attempts', value: String(h.failures) }] });
  }
  return { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' }, body };
}

/** Creates the notifier. */
export function createTeamsNotifier(config: TeamsConfig, deps: Pick<ModuleDeps, 'fetch' | 'clock' | 'displayTimezone'>): Notifier {
  const formatTime = displayTimeFormatter(deps.displayTimezone);
  const http = createHttpClient({
    afterFailure: AFTER_DELIVERY_FAILURE,
    provider: 'Teams',
    baseUrl: config.webhookUrl.reveal(),
    fetch: deps.fetch,
    retries: 0, // the dispatcher owns retries
    hidePath: true,
    secrets: secretUrlParts(config.webhookUrl),
    describeError: (status, body) => {
      const said = typeof body === 'string' ? body.slice(0, 200) : '';
      if (status === 429 || status >= 500) return { message: `Teams answered ${status}`, hint: status === 429 ? 'Teams (Power Automate) is throttling the flow' : 'Teams or the Power Automate flow is failing; the flow\'s run history says why' };
      if (status === 400) return { message: `Teams rejected the card (400${said ? `: ${said}` : ''})`, hint: 'the Workflows flow must use the "Send webhook alerts to a channel" template, which posts Adaptive Cards; see notifiers/teams/README.md' };
      if (status === 401 || status === 403 || status === 404) return { message: `Teams answered ${status}: the webhook URL is no longer valid or its flow was turned off`, hint: 'create a new Workflows webhook and update TEAMS_WEBHOOK_URL' };
      return undefined;
    },
  });
  return {
    async send(batch: NotificationBatch, ctx): Promise<void> {
      const message = {
        type: 'message',
        summary: batchSubject(batch),
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: adaptiveCard(batch, deps.clock.now(), formatTime) }],
      };
      await http.request({ method: 'POST', path: config.webhookUrl.reveal(), json: message, signal: ctx.signal, retries: 0 });
    },
  };
}

export const teamsNotifier: NotifierModule<TeamsConfig> = {
  type: 'teams',
  channel: 'Teams',
  configSchema: teamsConfigSchema,
  secretKeys: ['webhookUrl'],
  readers: 'people',
  create: createTeamsNotifier,
};
