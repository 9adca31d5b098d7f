import { z } from 'zod';
import { secretUrl } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';

/**
 * `{ "id": "slack-sec", "type": "slack", "webhookUrl": "${SLACK_WEBHOOK_URL}", "minSeverity": "medium" }`:
 * one Block Kit message per batch through a Slack incoming webhook.
 */
export const slackConfigSchema = notifierConfig('slack', {
  /** The incoming-webhook URL (https://hooks.slack.com/services/…); it is a credential. */
  webhookUrl: secretUrl(),
  /** Prepended to messages at or above `mentionMinSeverity`, e.g. "<!here>" or "<!subteam^S0123>". */
  mention: z.string().min(1).max(200).optional(),
  /** Severity from which `mention` is added (default critical). */
  mentionMinSeverity: z.enum(['info', 'low', 'medium', 'high', 'critical']).default('critical'),
});

export type SlackConfig = z.output<typeof slackConfigSchema>;
