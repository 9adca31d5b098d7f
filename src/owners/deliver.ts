/**
 * Delivering the owner outbox (owner_notices): each pending row once per pass, retried with the
 * dispatcher's backoff (backoffDelay) up to delivery.maxAge; a row is marked sent only after the
 * channel accepted it. A failure of the mail channel itself (OwnerChannelError: the SMTP login,
 * TLS) keeps it queued like a transient one. A permanent failure (a bounce, an unknown Slack user,
 * a refused number) or giving up marks it failed and tells the team once; the case stays open and still escalates.
 */
import type { App } from '../app.js';
import { OwnerStore, type OwnerNoticeRow } from '../../storage/owners.js';
import { timeoutSignal } from '../core/abort.js';
import { ProviderError, toProviderError } from '../core/errors.js';
import { redactSecrets } from '../core/secret.js';
import { backoffDelay } from '../delivery/dispatcher.js';
import type { EmailConfig } from '../../notifiers/email/config.js';
import { OwnerChannelError, sendOwnerMail, sendOwnerSlack, sendOwnerSms } from './channels.js';
import { caseEvent, ownersSettings, tellTeam } from './cases.js';
import { noticeHtml, noticeSlack, noticeSms, noticeText, type OwnerNotice } from './notice.js';

export interface OwnerDeliveryTally {
  sent: number;
  failed: number;
  retrying: number;
}

async function sendOne(app: App, row: OwnerNoticeRow, notice: OwnerNotice, signal: AbortSignal): Promise<void> {
  const settings = ownersSettings(app);
  if (!settings) throw new ProviderError('owner notices are turned off', { reason: 'client', provider: 'owners' });
  const timeout = app.config.delivery.timeout;
  switch (row.channel) {
    case 'email': {
      const via = app.config.notifiers.find((n) => n.config.id === settings.email?.via);
      if (!via || via.module.type !== 'email') throw new ProviderError('owners.email.via names no email notifier', { reason: 'client', provider: 'email' });
      await sendOwnerMail(via.config as unknown as EmailConfig, { to: row.recipient, subject: notice.subject, text: noticeText(notice), html: noticeHtml(notice), id: `${row.case_id}-${row.kind}` }, signal, app.clock.now());
      return;
    }
    case 'slack':
      if (!settings.slack) throw new ProviderError('owners.slack is not configured any more', { reason: 'client', provider: 'slack' });
      await sendOwnerSlack(settings.slack, row.recipient, noticeSlack(notice), app.logger, timeout);
      return;
    case 'sms':
      if (!settings.sms) throw new ProviderError('owners.sms is not configured any more', { reason: 'client', provider: 'twilio' });
      await sendOwnerSms(settings.sms, row.recipient, noticeSms(notice, settings.deadline), app.deps.fetch, timeout, signal);
      return;
  }
}

/** Attempts every due owner notice once. */
export async function deliverOwnerNotices(app: App, signal?: AbortSignal): Promise<OwnerDeliveryTally> {
  const tally: OwnerDeliveryTally = { sent: 0, failed: 0, retrying: 0 };
  const settings = ownersSettings(app);
  if (!settings) return tally;
  const owners = new OwnerStore(app.store);
  const secrets = [settings.slack?.token, settings.sms?.authToken];
  for (const row of owners.dueNotices(app.clock.now(), 100)) {
    if (signal?.aborted) break;
    const notice = JSON.parse(row.payload) as OwnerNotice;
    const c = owners.caseById(row.case_id);
    const subject = c ? `${c.monitor_id}:${c.account_id}` : String(row.case_id);
    const sendSignal = AbortSignal.any([timeoutSignal(app.config.delivery.timeout), ...(signal ? [signal] : [])]);
    try {
      await sendOne(app, row, notice, sendSignal);
      const at = app.clock.now();
      app.store.transaction(() => {
        owners.recordNoticeAttempt(row.id, at, { status: 'sent' });
        app.store.audit({ at, actor: app.actor, action: 'owner.notice.sent', subject, detail: { case: row.case_id, kind: row.kind, channel: row.channel, attempts: row.attempts + 1 } });
      });
      tally.sent += 1;
    } catch (thrown) {
      const at = app.clock.now();
      const err = toProviderError(thrown, row.channel);
      // The message already ends with the hint (ProviderError).
      const message = redactSecrets(err.message, secrets);
      if (signal?.aborted) {
        owners.recordNoticeAttempt(row.id, at, { status: 'pending', nextAttemptAt: at, error: 'mfawatch was stopping; the notice will be retried' });
        tally.retrying += 1;
        continue;
      }
      const nextAt = at.getTime() + backoffDelay(row.attempts + 1, app.config.delivery, err.retryAfterMs);
      // A broken channel (a refused SMTP login) is retried like a transient failure: the person is not unreachable.
      const giveUp = !(err.transient || err instanceof OwnerChannelError) || nextAt - Date.parse(row.created_at) > app.config.delivery.maxAge;
      if (!giveUp) {
        owners.recordNoticeAttempt(row.id, at, { status: 'pending', nextAttemptAt: new Date(nextAt), error: message });
        app.logger.warn({ case: row.case_id, channel: row.channel, retryAt: new Date(nextAt).toISOString() }, `owner notice not delivered, will retry: ${message}`);
        tally.retrying += 1;
        continue;
      }
      app.store.transaction(() => {
        owners.recordNoticeAttempt(row.id, at, { status: 'failed', error: message });
        app.store.audit({ at, actor: app.actor, action: 'owner.notice.failed', subject, detail: { case: row.case_id, kind: row.kind, channel: row.channel, reason: err.reason, error: message } });
        if (c) {
          tellTeam(app, settings, `owner-undeliverable-${row.id}`, `mfawatch could not reach the owner of ${c.login} at ${c.monitor_id} by ${row.channel}`,
            (time) => `The ${row.kind} to ${row.recipient} by ${row.channel} failed: ${message}. The case stays open${c.status === 'open' ? ` (deadline ${time(c.deadline_at)})` : ''}; reach the person another way.`,
            [], c.monitor_id, at, caseEvent(app, c));
        }
      });
      app.logger.error({ case: row.case_id, channel: row.channel, reason: err.reason }, `owner notice failed: ${message}`);
      tally.failed += 1;
    }
  }
  return tally;
}
