/**
 * The notifier registry: an explicit list, one entry per folder under notifiers/ (a test checks
 * that the two agree). The key is the config `type`.
 */
import { emailNotifier } from './email/index.js';
import { pagerdutyNotifier } from './pagerduty/index.js';
import { slackNotifier } from './slack/index.js';
import { stdoutNotifier } from './stdout/index.js';
import { teamsNotifier } from './teams/index.js';
import { registerNotifier, type NotifierCommonConfig, type NotifierModule } from './types.js';
import { webhookNotifier } from './webhook/index.js';

export const NOTIFIERS: ReadonlyMap<string, NotifierModule<NotifierCommonConfig>> = new Map(
  [
    registerNotifier(stdoutNotifier),
    registerNotifier(slackNotifier),
    registerNotifier(emailNotifier),
    registerNotifier(webhookNotifier),
    registerNotifier(pagerdutyNotifier),
    registerNotifier(teamsNotifier),
  ].map((m) => [m.type, m]),
);
