import { z } from 'zod';
import { httpUrl, secret } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';

/**
 * `{ "id": "pd", "type": "pagerduty", "routingKey": "${PAGERDUTY_ROUTING_KEY}", "minSeverity": "high" }`:
 * PagerDuty Events API v2, one alert per account at risk.
 */
export const pagerdutyConfigSchema = notifierConfig('pagerduty', {
  /** The 32-character Integration Key of an "Events API v2" integration on a service. */
  routingKey: secret(),
  /** Events API base URL (EU accounts: https://events.eu.pagerduty.com; a fake on loopback in tests). */
  url: httpUrl().default('https://events.pagerduty.com'),
  /** payload.source prefix: "<source>/<monitor id>" (default "mfawatch"). */
  source: z.string().min(1).max(200).default('mfawatch'),
});

export type PagerdutyConfig = z.output<typeof pagerdutyConfigSchema>;
