import { secret, secretUrl } from '../../src/config/fields.js';
import { notifierConfig } from '../types.js';
import type { z } from 'zod';

/**
 * `{ "id": "soar", "type": "webhook", "url": "${SOAR_WEBHOOK_URL}", "secret": "${SOAR_WEBHOOK_SECRET}" }`:
 * a signed JSON POST of every batch to your own endpoint (SOAR, ticketing, a Lambda).
 */
export const webhookConfigSchema = notifierConfig('webhook', {
  /** The receiver's URL; treated as a secret because such URLs often carry a token. */
  url: secretUrl(),
  /** Shared secret of the HMAC-SHA256 signature (X-Mfawatch-Signature). Use 32+ random bytes. */
  secret: secret(),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;
