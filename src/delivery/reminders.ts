/**
 * Reminder digests: accounts that stay without MFA are listed once per `reminders.interval` in one
 * `reminder` batch per notifier, instead of being re-alerted on every scan. Acknowledged accounts
 * (`mfawatch ack`) are left out until their acknowledgement expires.
 *
 * Due-based, so it works the same from `mfawatch run` (a timer every 30 minutes) and from the
 * daemon: a digest is due when `interval` has passed since the last one (or, for the first one,
 * since the first complete scan). The digest record and its outbox rows are written in one
 * transaction: a crash either queues all of it or none, and the next check tries again.
 */
import type { NotificationBatch, ReminderAccount } from '../../notifiers/types.js';
import { DeliveryStore, accountKey } from '../../storage/delivery.js';
import type { Store } from '../../storage/store.js';
import type { ConfiguredNotifier } from '../config/load.js';
import type { RootConfig } from '../config/schema.js';
import type { Clock, Logger } from '../core/deps.js';
import { severityAtLeast } from '../core/types.js';
import { isPrivileged } from '../scan/policy.js';
import { queueBatch } from './outbox.js';
import { acceptsKind } from './routing.js';
import { reminderSummary } from './render.js';

export interface ReminderEnvironment {
  store: Store;
  clock: Clock;
  logger: Logger;
  notifiers: readonly ConfiguredNotifier[];
  settings: RootConfig['reminders'];
  actor: string;
}

export interface ReminderOutcome {
  due: boolean;
  /** Accounts without MFA listed (acknowledged ones excluded). */
  accounts: number;
  acknowledged: number;
  /** Notifier ids that got a digest. */
  notifiers: string[];
}

/** Queues a digest when one is due; returns what it did. */
export function queueReminderIfDue(env: ReminderEnvironment): ReminderOutcome {
  const none: ReminderOutcome = { due: false, accounts: 0, acknowledged: 0, notifiers: [] };
  if (!env.settings.enabled) return none;
  const ds = new DeliveryStore(env.store);
  const now = env.clock.now();
  const anchor = ds.lastDigestAt() ?? ds.firstSuccessAt();
  if (!anchor || now.getTime() - anchor.getTime() < env.settings.interval) return none;

  const acks = ds.activeAcks(now);
  const all = ds.unprotectedAccounts();
  const open = all.filter((a) => !acks.has(accountKey(a.monitorId, a.scope, a.accountId)));
  const acknowledged = all.length - open.length;
  const toReminder = (a: (typeof all)[number]): ReminderAccount => ({
    monitorId: a.monitorId, scope: a.scope, provider: a.provider, accountId: a.accountId, login: a.login, email: a.email,
    kind: a.kind, admin: a.admin, mfa: a.mfa === 'weak' ? 'weak' : 'disabled', factors: a.factors, url: a.url, withoutMfaSince: a.withoutMfaSince,
  });

  return env.store.transaction(() => {
    ds.recordDigest(now, open.length, acknowledged);
    const sent: string[] = [];
    for (const n of env.notifiers) {
      const routable = { config: n.config, module: n.module };
      if (!acceptsKind(routable, 'reminder')) continue;
      if (env.settings.notifiers && !env.settings.notifiers.includes(n.config.id)) continue;
      const mine = open.filter((a) => !n.config.monitors || n.config.monitors.includes(a.monitorId));
      if (mine.length === 0) continue;
      const severity = mine.some((a) => isPrivileged(a)) ? 'high' : 'medium';
      if (!severityAtLeast(severity, n.config.minSeverity)) continue;
      const ackedHere = all.filter((a) => (!n.config.monitors || n.config.monitors.includes(a.monitorId)) && acks.has(accountKey(a.monitorId, a.scope, a.accountId))).length;
      const reminder = { accounts: mine.slice(0, env.settings.maxListed).map(toReminder), total: mine.length, acknowledged: ackedHere, intervalMs: env.settings.interval };
      const batch: NotificationBatch = {
        id: `reminder-${now.getTime()}`,
        kind: 'reminder',
        title: `Reminder: ${mine.length} account${mine.length === 1 ? '' : 's'} still without MFA`,
        text: reminderSummary(reminder),
        severity,
        source: null,
        events: [],
        createdAt: now.toISOString(),
        reminder,
      };
      if (queueBatch(env.store, n.config.id, batch, now)) sent.push(n.config.id);
    }
    env.store.audit({ at: now, actor: env.actor, action: 'reminder.queued', subject: null, detail: { accounts: open.length, acknowledged, notifiers: sent } });
    env.logger.info({ accounts: open.length, acknowledged, notifiers: sent }, 'reminder digest queued');
    return { due: true, accounts: open.length, acknowledged, notifiers: sent };
  });
}
