/**
 * The `webhook` notifier: one JSON POST per batch (schema `mfawatch.webhook/v1`, see README.md),
 * signed with HMAC-SHA256 over "<timestamp>.<raw body>" with a shared secret, so the receiver can
 * check that mfawatch sent it and that it is fresh (replay protection).
 */
import { createHmac } from 'node:crypto';
import type { ModuleDeps } from '../../src/core/deps.js';
import { secretUrlParts } from '../../src/core/secret.js';
import { createHttpClient } from '../../src/http/client.js';
import { AFTER_DELIVERY_FAILURE, type Notifier, type NotifierModule, type NotificationBatch } from '../types.js';
import { webhookConfigSchema, type WebhookConfig } from './config.js';

/** The body schema id; bumped only on an incompatible change. */
export const WEBHOOK_SCHEMA = 'mfawatch.webhook/v1';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Creates the notifier. */
export function createWebhookNotifier(config: WebhookConfig, deps: Pick<ModuleDeps, 'fetch' | 'clock'>): Notifier {
  const http = createHttpClient({
    afterFailure: AFTER_DELIVERY_FAILURE,
    provider: 'webhook',
    baseUrl: config.url.reveal(),
    fetch: deps.fetch,
    retries: 0, // the dispatcher owns retries
    hidePath: true,
    secrets: [...secretUrlParts(config.url), config.secret],
    describeError: (status, body) => {
      const said = typeof body === 'string' ? body.slice(0, 200) : typeof body === 'object' && body !== null ? JSON.stringify(body).slice(0, 200) : '';
      if (status === 408) return { message: `the webhook receiver timed out (HTTP 408)`, reason: 'timeout' };
      if (status >= 500 || status === 429) return { message: `the webhook receiver answered HTTP ${status}${said ? `: ${said}` : ''}` };
      return {
        message: `the webhook receiver rejected the batch with HTTP ${status}${said ? `: ${said}` : ''}`,
        hint: status === 401 || status === 403 ? 'check that the receiver uses the same shared secret and accepts the signature (notifiers/webhook/README.md)' : 'check the receiver and the url',
      };
    },
  });
  return {
    async send(batch: NotificationBatch, ctx): Promise<void> {
      const body = JSON.stringify({ schema: WEBHOOK_SCHEMA, ...batch });
      const timestamp = Math.floor(deps.clock.now().getTime() / 1000);
      await http.request({
        method: 'POST',
        path: config.url.reveal(),
        body,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'x-mfawatch-timestamp': String(timestamp),
          'x-mfawatch-signature': webhookSignature(config.secret.reveal(), timestamp, body),
          'x-mfawatch-delivery': batch.id,
          'x-mfawatch-kind': batch.kind,
        },
        signal: ctx.signal,
        retries: 0,
      });
    },
  };
}

export const webhookNotifier: NotifierModule<WebhookConfig> = {
  type: 'webhook',
  channel: 'webhook',
  configSchema: webhookConfigSchema,
  secretKeys: ['url', 'secret'],
  create: createWebhookNotifier,
};
