import type { z } from 'zod';
import { secretUrl } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';

/**
 * `{ "id": "teams-sec", "type": "teams", "webhookUrl": "${TEAMS_WEBHOOK_URL}", "minSeverity": "medium" }`:
 * an Adaptive Card per batch, posted to a Teams Workflows webhook ("Send webhook alerts to a channel").
 */
export const teamsConfigSchema = notifierConfig('teams', {
  /** The Workflows (Power Automate) webhook URL; it is a credential. */
  webhookUrl: secretUrl(),
});

export type TeamsConfig = z.output<typeof teamsConfigSchema>;
