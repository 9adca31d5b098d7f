/**
 * Owner cases (src/owners/README.md): committed change events in `owners.on` open one case per
 * account and event type, told to the person the account is linked to; deadlines, the reminder
 * at half the deadline, the one escalation, closing with thanks. All of it is written to the
 * database in transactions (cases, owner outbox rows, team notices, new events, audit) and sent
 * afterwards by src/owners/deliver.ts: a crash loses nothing and a restart keeps every deadline.
 *
 * Events are read after they were committed, by id (a cursor in owner_state): a scan held by the
 * mass-change guard commits no event, so nobody is told until the change is confirmed or accepted.
 */
import { randomBytes } from 'node:crypto';
import type { App } from '../app.js';
import { eventFromRow, type EventRow } from '../../storage/rows.js';
import { OwnerStore, type OwnerCaseRow, type OwnerChannel } from '../../storage/owners.js';
import { formatDuration } from '../core/duration.js';
import { visible } from '../core/text.js';
import type { ChangeEvent, MfaState } from '../core/types.js';
import { announce, type Announcement } from '../response/announce.js';
import { recordAutoResponses } from '../response/decide.js';
import { identityOfAccount, normaliseIdentity } from '../response/identity.js';
import { autoResponseContext, identityContext } from '../response/wiring.js';
import { lacksMfa, severityOf } from '../scan/policy.js';
import type { OwnersConfig } from './config.js';
import { signLink } from './links.js';
import { composeNotice, needsMfa, type NoticeKind } from './notice.js';

/** Events read per pass. */
const BATCH = 500;

/** The owners settings, when owner notices are on. */
export function ownersSettings(app: App): OwnersConfig | undefined {
  const o = app.config.owners;
  return o?.enabled ? o : undefined;
}

function monitorOf(app: App, monitorId: string) {
  return app.monitors.find((m) => m.config.id === monitorId);
}

/** "GitHub acme": where an account lives, in words. */
function placeOf(app: App, monitorId: string, scope: string): string {
  const m = monitorOf(app, monitorId);
  const label = scope ? (app.store.lastScan(monitorId, scope)?.scope_label || scope) : (m?.monitor.scopes()[0]?.label ?? monitorId);
  return `${m?.module.provider ?? monitorId} ${label}`;
}

/**
 * The notifiers told about owner matters: `owners.escalateTo`, or every notifier when it is empty.
 * With `about` (the event of the case), their `match` lists apply (scopes, identities, teams,
 * Okta/Google groups, AWS OUs; src/delivery/matchers.ts): the payments team hears of the payments
 * accounts. When no escalation notifier's matchers take the event, all of them are told: an
 * escalation twice beats none.
 */
function teamNotifiers(app: App, settings: OwnersConfig, about?: ChangeEvent) {
  const all = [...app.notifiers.values()];
  const team = settings.escalateTo.length ? all.filter((n) => settings.escalateTo.includes(n.config.id)) : all;
  if (!about) return team;
  const routed = team.filter((n) => !n.matches || n.matches(about));
  return routed.length ? routed : team;
}

/** The event a case was opened for (undefined when it was removed by retention). */
export function caseEvent(app: App, c: Pick<OwnerCaseRow, 'event_id'>): ChangeEvent | undefined {
  return eventById(app, c.event_id);
}

/** True when the identity or the account is exempt (owners.exempt or autoResponse.exempt). */
function isExempt(app: App, settings: OwnersConfig, identity: string | null, monitorId: string, login: string): boolean {
  const type = monitorOf(app, monitorId)?.module.type ?? '';
  const keys = new Set([`${type}:${login}`.toLowerCase(), `${monitorId}:${login}`.toLowerCase(), ...(identity ? [normaliseIdentity(identity)] : [])]);
  return [...settings.exempt, ...app.config.autoResponse.exempt].some((e) => keys.has(e.toLowerCase()));
}

/** The channels an identity can be reached on for an event of this severity. */
function channelsFor(app: App, settings: OwnersConfig, identity: string, critical: boolean): Array<{ channel: OwnerChannel; recipient: string }> {
  const out: Array<{ channel: OwnerChannel; recipient: string }> = [];
  if (settings.email) out.push({ channel: 'email', recipient: identity });
  if (settings.slack) out.push({ channel: 'slack', recipient: identity });
  const phone = Object.entries(app.config.identities.phones).find(([k]) => normaliseIdentity(k) === identity)?.[1];
  if (settings.sms && phone && critical) out.push({ channel: 'sms', recipient: phone });
  return out;
}

/** The stored state of one account, or undefined when it is gone. */
function storedAccount(app: App, c: Pick<OwnerCaseRow, 'monitor_id' | 'scope' | 'account_id'>): { mfa: MfaState; url: string | null } | undefined {
  return app.store.db.prepare('SELECT mfa, url FROM accounts WHERE monitor_id = ? AND scope = ? AND account_id = ?').get(c.monitor_id, c.scope, c.account_id) as { mfa: MfaState; url: string | null } | undefined;
}

function eventById(app: App, id: number): ChangeEvent | undefined {
  const row = app.store.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as EventRow | undefined;
  return row ? eventFromRow(row) : undefined;
}

/** Queues the notice of `kind` for a case on each of its channels (inside the caller's transaction). */
function queueNotices(app: App, settings: OwnersConfig, c: OwnerCaseRow, event: ChangeEvent, kind: NoticeKind, links: { yes: string; no: string } | null, now: Date): OwnerChannel[] {
  if (!c.identity) return [];
  const owners = new OwnerStore(app.store);
  const notice = composeNotice({
    kind, event, monitorType: monitorOf(app, c.monitor_id)?.module.type ?? '', place: placeOf(app, c.monitor_id, c.scope),
    deadline: needsMfa(c.event_type) ? new Date(c.deadline_at) : null, deadlineMs: settings.deadline, contact: settings.contact, links,
    accountUrl: event.after?.url ?? null, displayTimezone: app.deps.displayTimezone,
  });
  const queued: OwnerChannel[] = [];
  for (const { channel, recipient } of channelsFor(app, settings, c.identity, event.severity === 'critical')) {
    if (kind === 'thanks' && channel === 'sms') continue;
    if (owners.queueNotice(c.id, kind, channel, recipient, notice, now)) queued.push(channel);
  }
  return queued;
}

/** Tells the team (owners.escalateTo, else every notifier; those whose matchers take `about`) one thing about an owner case. */
export function tellTeam(app: App, settings: OwnersConfig, id: string, title: string, text: Announcement['text'], events: ChangeEvent[], monitorId: string, now: Date, about?: ChangeEvent): number {
  return announce(app.store, teamNotifiers(app, settings, about), { id, title: visible(title), text, severity: 'high', monitorId, events }, now, app.deps.displayTimezone);
}

export interface OpenResult {
  opened: number;
  unreachable: number;
  exempt: number;
}

/**
 * Opens cases for the events committed since the last pass. The first pass after owners are
 * turned on starts at the newest event: history is never replayed to owners.
 */
export function openOwnerCases(app: App): OpenResult {
  const result: OpenResult = { opened: 0, unreachable: 0, exempt: 0 };
  const settings = ownersSettings(app);
  if (!settings) return result;
  const owners = new OwnerStore(app.store);
  const ctx = identityContext(app);
  const on = new Set<string>(settings.on);
  for (;;) {
    const now = app.clock.now();
    const more = app.store.transaction(() => {
      const cursorText = owners.state('event_cursor');
      if (cursorText === undefined) {
        owners.setState('event_cursor', String(owners.lastEventId()));
        return false;
      }
      const cursor = Number(cursorText);
      const rows = app.store.db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(cursor, BATCH) as EventRow[];
      for (const row of rows) {
        const e = eventFromRow(row);
        if (!on.has(e.type) || !e.accountId || !monitorOf(app, e.monitorId)) continue;
        if (e.type === 'account_added' && !(e.after && lacksMfa(e.after.mfa))) continue;
        const login = e.after?.login ?? e.login ?? '';
        const identity = identityOfAccount(ctx, { monitorId: e.monitorId, login, email: e.after?.email ?? e.before?.email ?? null });
        if (isExempt(app, settings, identity, e.monitorId, login)) {
          result.exempt += 1;
          app.store.audit({ at: now, actor: app.actor, action: 'owner.exempt', subject: `${e.monitorId}:${e.accountId}`, detail: { event: e.id, type: e.type, login } });
          continue;
        }
        if (owners.openCase(e.monitorId, e.scope, e.accountId, e.type)) continue; // told already; the case runs on
        const reachable = identity ? channelsFor(app, settings, identity, e.severity === 'critical').length > 0 : false;
        const unreachable = !identity
          ? `no identity is linked to ${login} at ${e.monitorId}: add "identities.map": { "${monitorOf(app, e.monitorId)?.module.type ?? e.monitorId}:${login}": "person@example.com" }, or an e-mail at the provider`
          : !reachable
            ? 'no owner channel is configured (owners.email, owners.slack)'
            : null;
        const deadlineMs = needsMfa(e.type) ? settings.deadline : settings.linkTtl;
        const openedAt = new Date(Math.max(now.getTime(), Date.parse(e.at) || 0));
        const caseId = owners.addCase({
          monitorId: e.monitorId, scope: e.scope, accountId: e.accountId, login, provider: e.provider, eventType: e.type, eventId: e.id,
          identity, unreachable, openedAt, deadlineAt: new Date(openedAt.getTime() + deadlineMs),
        });
        const c = owners.caseById(caseId) as OwnerCaseRow;
        let links: { yes: string; no: string } | null = null;
        if (!needsMfa(e.type) && settings.publicUrl && identity) {
          const nonce = randomBytes(12).toString('base64url');
          const expires = new Date(openedAt.getTime() + settings.linkTtl);
          owners.addLink(nonce, caseId, expires);
          const key = owners.linkKey();
          links = { yes: signLink(settings.publicUrl, key, { caseId, nonce, answer: 'yes', expires }), no: signLink(settings.publicUrl, key, { caseId, nonce, answer: 'no', expires }) };
        }
        const channels = queueNotices(app, settings, c, e, 'notice', links, now);
        app.store.audit({ at: now, actor: app.actor, action: 'owner.case.opened', subject: `${e.monitorId}:${e.accountId}`, detail: { case: caseId, event: e.id, type: e.type, identity, channels, deadline: c.deadline_at, unreachable } });
        result.opened += 1;
        if (unreachable) {
          result.unreachable += 1;
          tellTeam(app, settings, `owner-unreachable-${caseId}`, `mfawatch could not tell the owner of ${login} at ${placeOf(app, e.monitorId, e.scope)}`,
            `${visible(e.summary)}\nThe owner was not told: ${unreachable}. The case stays open${needsMfa(e.type) ? ` and is escalated ${formatDuration(settings.deadline)} after it opened if MFA is still off` : ''}; reach the person another way.`,
            [], e.monitorId, now, e);
        }
      }
      const last = rows.at(-1);
      if (last) owners.setState('event_cursor', String(last.id));
      return rows.length === BATCH;
    });
    if (!more) break;
  }
  if (result.opened > 0) app.logger.info(result, 'owner cases opened');
  return result;
}

export interface DeadlineResult {
  reminded: number;
  escalated: ChangeEvent[];
  closed: number;
}

/**
 * Every open case: closed (with thanks) once MFA is back, closed when the account is gone or an
 * answer case expired; reminded once at half the deadline; escalated once past it, raising
 * `owner_deadline_passed` (to owners.escalateTo, and to auto-response when the policy lists it).
 */
export function checkOwnerDeadlines(app: App): DeadlineResult {
  const result: DeadlineResult = { reminded: 0, escalated: [], closed: 0 };
  const settings = ownersSettings(app);
  if (!settings) return result;
  const owners = new OwnerStore(app.store);
  for (const c of owners.openCases()) {
    const now = app.clock.now();
    const event = eventById(app, c.event_id);
    const account = storedAccount(app, c);
    const subject = `${c.monitor_id}:${c.account_id}`;
    app.store.transaction(() => {
      if (!event || !account) {
        if (owners.closeCase(c.id, now, 'account removed')) {
          result.closed += 1;
          app.store.audit({ at: now, actor: app.actor, action: 'owner.case.closed', subject, detail: { case: c.id, reason: 'account removed' } });
        }
        return;
      }
      if (needsMfa(c.event_type)) {
        if (!lacksMfa(account.mfa) && account.mfa !== 'unknown') {
          owners.closeCase(c.id, now, 'mfa restored');
          const channels = queueNotices(app, settings, c, event, 'thanks', null, now);
          app.store.audit({ at: now, actor: app.actor, action: 'owner.case.closed', subject, detail: { case: c.id, reason: 'mfa restored', thanked: channels } });
          result.closed += 1;
          return;
        }
      } else if (now.getTime() >= Date.parse(c.deadline_at)) {
        owners.closeCase(c.id, now, 'unanswered');
        app.store.audit({ at: now, actor: app.actor, action: 'owner.case.closed', subject, detail: { case: c.id, reason: 'unanswered: the answer links expired' } });
        result.closed += 1;
        return;
      }
      if (!needsMfa(c.event_type)) return;
      const opened = Date.parse(c.opened_at);
      const deadline = Date.parse(c.deadline_at);
      if (now.getTime() >= deadline) {
        if (!owners.markEscalated(c.id, now)) return;
        const escalation = raiseDeadlinePassed(app, settings, c, event, now);
        result.escalated.push(escalation);
      } else if (!c.reminded_at && now.getTime() >= opened + (deadline - opened) / 2) {
        owners.markReminded(c.id, now);
        const channels = queueNotices(app, settings, c, event, 'reminder', null, now);
        app.store.audit({ at: now, actor: app.actor, action: 'owner.case.reminded', subject, detail: { case: c.id, channels } });
        result.reminded += 1;
      }
    });
  }
  for (const e of result.escalated) {
    app.metrics.events.inc({ monitor: e.monitorId, type: e.type, severity: e.severity });
    app.logger.warn({ monitor: e.monitorId }, e.summary);
  }
  return result;
}

/** Stores `owner_deadline_passed`, queues it to the escalation notifiers and decides auto-response (inside the caller's transaction). */
function raiseDeadlinePassed(app: App, settings: OwnersConfig, c: OwnerCaseRow, cause: ChangeEvent, now: Date): ChangeEvent {
  const place = placeOf(app, c.monitor_id, c.scope);
  const e: Omit<ChangeEvent, 'id'> = {
    type: 'owner_deadline_passed', severity: severityOf('owner_deadline_passed', cause.before, cause.after, app.config.severity),
    monitorId: c.monitor_id, scope: c.scope, provider: c.provider, at: now.toISOString(), accountId: c.account_id, login: c.login,
    before: cause.after, after: cause.after,
    summary: `${c.login} has not re-enabled MFA at ${place}, ${formatDuration(Date.parse(c.deadline_at) - Date.parse(c.opened_at))} after the notice`,
    detail: { case: c.id, cause: cause.id, causeType: c.event_type, openedAt: c.opened_at, deadline: c.deadline_at, identity: c.identity, ownerTold: c.unreachable === null },
  };
  const stored: ChangeEvent = { ...e, id: app.store.insertEvent(e, null) };
  // The escalation notifiers' matchers apply: the payments team hears of the payments accounts.
  const teams = teamNotifiers(app, settings, stored);
  announce(app.store, teams, { id: `owner-deadline-${c.id}`, title: visible(stored.summary), text: (time) => c.unreachable ? `The owner was never told: ${c.unreachable}.` : `The owner (${c.identity ?? ''}) was told at ${time(c.opened_at)}${c.reminded_at ? ` and reminded at ${time(c.reminded_at)}` : ''}.`, severity: stored.severity, monitorId: c.monitor_id, events: [stored] }, now, app.deps.displayTimezone);
  app.store.audit({ at: now, actor: app.actor, action: 'owner.case.escalated', subject: `${c.monitor_id}:${c.account_id}`, detail: { case: c.id, event: stored.id, notifiers: teams.map((n) => n.config.id) } });
  decideAutoResponse(app, stored, `owner-${c.id}`, now);
  return stored;
}

/** Auto-response for an owner event, under the same guards as a scan's (inside the caller's transaction). */
export function decideAutoResponse(app: App, event: ChangeEvent, commitKey: string, now: Date): void {
  const m = monitorOf(app, event.monitorId);
  if (!m) return;
  recordAutoResponses(app.store, autoResponseContext(app, { ...m.config, type: m.module.type }), {
    events: [event], scanId: null, commitKey, monitorId: event.monitorId, scope: event.scope,
    scopeAccounts: app.store.storedCounts(event.monitorId, event.scope).accounts, now,
  });
}
