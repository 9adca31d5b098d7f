/**
 * The `pagerduty` notifier: PagerDuty Events API v2 (POST /v2/enqueue, answer 202). One event per
 * account change, not one per batch: an account that loses MFA opens (`trigger`) an alert whose
 * `dedup_key` is that monitor + account, and the same key is `resolve`d when the account regains
 * MFA or leaves. A retry of a batch re-sends triggers with the same keys, which PagerDuty folds
 * into the open alert, so retries never page twice.
 * Summaries and details are the plain words of src/delivery/render.ts (provider text with its
 * control and bidi characters made visible); links are https only.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 */
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import type { ChangeEvent, Severity } from '../../src/core/types.js';
import { visible, visibleLines } from '../../src/core/text.js';
import { isoTime, renderEvent } from '../../src/delivery/render.js';
import { createHttpClient } from '../../src/http/client.js';
import { lacksMfa } from '../../src/scan/policy.js';
import { AFTER_DELIVERY_FAILURE, type Notifier, type NotifierModule, type NotificationBatch } from '../types.js';
import { pagerdutyConfigSchema, type PagerdutyConfig } from './config.js';

/** PagerDuty's four severities. */
type PdSeverity = 'critical' | 'error' | 'warning' | 'info';
const SEVERITY: Record<Severity, PdSeverity> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info' };

/** payload.summary is limited to 1024 characters; dedup_key to 255. */
const SUMMARY_MAX = 1024;
const DEDUP_MAX = 255;

const accepted = z.object({ status: z.string(), message: z.string().optional(), dedup_key: z.string().optional() });
const rejected = z.object({ status: z.string().optional(), message: z.string().optional(), errors: z.array(z.string()).optional() });

export interface PdEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  client: string;
  payload?: {
    summary: string;
    source: string;
    severity: PdSeverity;
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
  links?: Array<{ href: string; text: string }>;
}

/** The alert key of one account at one monitor. */
function accountKey(e: Pick<ChangeEvent, 'monitorId' | 'scope' | 'accountId'>): string {
  return `mfawatch/${e.monitorId}${e.scope ? `/${e.scope}` : ''}/account/${e.accountId ?? ''}`.slice(0, DEDUP_MAX);
}

function scanKey(e: Pick<ChangeEvent, 'monitorId' | 'scope'>): string {
  return `mfawatch/${e.monitorId}${e.scope ? `/${e.scope}` : ''}/scan`.slice(0, DEDUP_MAX);
}

/** Events that close an alert: the account is safe again, or gone; the monitor works again. */
function isResolution(e: ChangeEvent): boolean {
  if (e.type === 'mfa_enabled' || e.type === 'scan_recovered') return true;
  return e.type === 'account_removed' && e.before !== null && lacksMfa(e.before.mfa);
}

/** The PagerDuty event for one change, or null when it is no incident (a baseline summary). */
function eventFor(e: ChangeEvent, batch: NotificationBatch, routingKey: string, source: string): PdEvent | null {
  if (e.type === 'baseline') return null;
  // Monitor health shares one alert per monitor scope: a scan that succeeds again resolves it.
  const key = e.type === 'scan_failed' || e.type === 'scan_recovered' || e.type === 'stale_data' ? scanKey(e) : e.type === 'anomaly' ? `${scanKey(e)}/anomaly/${e.at}`.slice(0, DEDUP_MAX) : accountKey(e);
  if (isResolution(e)) return { routing_key: routingKey, event_action: 'resolve', dedup_key: key, client: 'mfawatch' };
  // PagerDuty's payload is read by machines: its times stay UTC ISO (`timestamp` above all).
  const r = renderEvent(e, batch, isoTime);
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: key,
    client: 'mfawatch',
    payload: {
      summary: `[${r.severityWord}] ${r.sentence} — ${r.where}`.slice(0, SUMMARY_MAX),
      source: `${source}/${e.monitorId}${e.scope ? `/${e.scope}` : ''}`,
      severity: SEVERITY[e.severity],
      timestamp: e.at,
      component: e.provider,
      group: e.monitorId,
      class: e.type,
      custom_details: { what: r.headline, sentence: r.sentence, account: r.account, change: r.change, where: r.where, severity: e.severity, mfawatchEventId: e.id },
    },
    ...(r.accountUrl?.startsWith('https://') ? { links: [{ href: r.accountUrl, text: visible(`${e.login ?? 'account'} at ${e.provider}`) }] } : {}),
  };
}

/** Creates the notifier. */
export function createPagerdutyNotifier(config: PagerdutyConfig, deps: Pick<ModuleDeps, 'fetch'>): Notifier {
  const http = createHttpClient({
    afterFailure: AFTER_DELIVERY_FAILURE,
    provider: 'PagerDuty',
    baseUrl: config.url,
    fetch: deps.fetch,
    retries: 0, // the dispatcher owns retries
    secrets: [config.routingKey],
    describeError: (status, body) => {
      const parsed = rejected.safeParse(body);
      const errors = parsed.success ? [parsed.data.message, ...(parsed.data.errors ?? [])].filter(Boolean).join('; ') : '';
      if (status === 400) {
        return {
          message: `PagerDuty rejected the event (400${errors ? `: ${errors}` : ''})`,
          hint: 'check routingKey: it must be the 32-character Integration Key of an Events API v2 integration (notifiers/pagerduty/README.md)',
        };
      }
      if (status === 429) return { message: 'PagerDuty is rate limiting events (429)', hint: 'too many events for this integration key; PagerDuty accepts them again shortly' };
      if (status >= 500) return { message: `PagerDuty answered ${status}`, hint: 'PagerDuty is having trouble; see https://status.pagerduty.com' };
      return { message: `PagerDuty answered ${status}${errors ? `: ${errors}` : ''}`, hint: 'check the url and routingKey (notifiers/pagerduty/README.md)' };
    },
  });
  const routingKey = config.routingKey.reveal();
  const post = (event: PdEvent, signal: AbortSignal) => http.request({ method: 'POST', path: '/v2/enqueue', json: event, signal, retries: 0 }, accepted);

  return {
    async send(batch: NotificationBatch, ctx): Promise<void> {
      const events: PdEvent[] = [];
      if (batch.kind === 'test') {
        const key = `mfawatch/test/${batch.id}`.slice(0, DEDUP_MAX);
        events.push({
          routing_key: routingKey, event_action: 'trigger', dedup_key: key, client: 'mfawatch',
          payload: { summary: visible(batch.title).slice(0, SUMMARY_MAX), source: config.source, severity: 'info', timestamp: batch.createdAt, component: 'mfawatch', group: 'mfawatch', class: 'test', custom_details: { text: visibleLines(batch.text ?? '') } },
        });
        events.push({ routing_key: routingKey, event_action: 'resolve', dedup_key: key, client: 'mfawatch' });
      } else if (batch.kind === 'delivery_failure' && batch.notifierHealth) {
        const h = batch.notifierHealth;
        const key = `mfawatch/notifier/${h.notifierId}`.slice(0, DEDUP_MAX);
        events.push(
          h.state === 'failing'
            ? { routing_key: routingKey, event_action: 'trigger', dedup_key: key, client: 'mfawatch', payload: { summary: visible(batch.title).slice(0, SUMMARY_MAX), source: `${config.source}/notifier/${h.notifierId}`, severity: 'error', timestamp: batch.createdAt, component: h.channel, group: 'mfawatch', class: 'delivery_failure', custom_details: { text: visibleLines(batch.text ?? ''), failures: h.failures, since: h.since } } }
            : { routing_key: routingKey, event_action: 'resolve', dedup_key: key, client: 'mfawatch' },
        );
      } else {
        for (const e of batch.events) {
          const pd = eventFor(e, batch, routingKey, config.source);
          if (pd) events.push(pd);
        }
      }
      // One at a time, in order: a trigger and a later resolve of the same account must not race.
      for (const event of events) await post(event, ctx.signal);
    },
  };
}

export const pagerdutyNotifier: NotifierModule<PagerdutyConfig> = {
  type: 'pagerduty',
  channel: 'PagerDuty',
  configSchema: pagerdutyConfigSchema,
  secretKeys: ['routingKey'],
  // A digest of accounts still without MFA is no incident.
  kinds: ['changes', 'health', 'test', 'delivery_failure'],
  routeAlso: isResolution,
  create: createPagerdutyNotifier,
};
