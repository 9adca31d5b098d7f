import { z } from 'zod';
import { duration, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/** One Slack Enterprise Grid org. See responders/slack/README.md for the token it needs. */
export const slackResponderSchema = responderConfig('slack', {
  /** A user token (xoxp-) of an org admin/owner with admin.users:write and users:read.email. */
  token: secret(),
  /** Web API root. */
  baseUrl: httpUrl().default('https://slack.com/api'),
  /** Also reset mobile sessions (default true); false resets web sessions only. */
  mobile: z.boolean().default(true),
  requestTimeout: duration().default(30_000),
});

export type SlackResponderConfig = z.output<typeof slackResponderSchema>;
