import { secret, secretUrl } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';
import { z } from 'zod';

/**
 * `{ "id": "soar", "type": "webhook", "url": "${SOAR_WEBHOOK_URL}", "secret": "${SOAR_WEBHOOK_SECRET}" }`:
 * a signed JSON POST of every batch to your own endpoint (SOAR, ticketing, a Lambda).
 */
export const webhookConfigSchema = notifierConfig('webhook', {
  /** The receiver's URL; treated as a secret because such URLs often carry a token. */
  url: secretUrl(),
  /** Shared secret of the HMAC-SHA256 signature (X-Mfawatch-Signature). Use 32+ random bytes. */
  secret: secret(),
  /** `mfawatch`: the batch as `mfawatch.webhook/v1`; `ocsf`: a JSON array of OCSF 1.3.0 events (notifiers/ocsf.ts). */
  format: z.enum(['mfawatch', 'ocsf']).default('mfawatch'),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
