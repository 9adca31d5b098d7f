/**
 * What a responder can do from the console. Each action runs the same function as its CLI
 * command (kill, cancel-kill, ack, unack, accept, redeliver) with the signed-in person as the
 * actor, so the audit log names them. Checks of role, CSRF token, origin and sign-in age happen
 * in server.ts before any of these is called.
 */
import type { App } from '../app.js';
import { acceptHeldScans } from '../cli/accept.js';
import { ackDuration, acknowledgeAccount, endAcknowledgements } from '../cli/ack.js';
import { identityFromArgument, planKill } from '../cli/kill.js';
import { requeueFailedDeliveries } from '../cli/redeliver.js';
import { UsageError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { killComplete, nobodyKnows, type ServiceResult } from '../response/invalidate.js';
import { identityContext, responseRunnerFor } from '../response/wiring.js';
import { ResponseStore } from '../../storage/responses.js';
import { html, type Html } from './html.js';
import { accountHref, badge, page, personHref, place, postForm, timeIn, type Viewer } from './layout.js';
import type { Params } from './pages.js';

/** How long a kill preview may be confirmed. */
const PREVIEW_VALID_MS = 15 * 60_000;

function results(list: readonly ServiceResult[], dryRun: boolean): Html {
  return html`<table id="results"><thead><tr><th>service</th><th>result</th><th>detail</th><th>${dryRun ? 'would call' : 'called'}</th></tr></thead><tbody>
${list.map((r) => html`<tr data-responder="${r.responderId}"><td>${r.responderId} (${r.service})</td><td>${badge(r.outcome === 'skipped' ? 'skipped' : r.outcome)}${r.outcome === 'skipped' ? ' (dry run)' : ''}</td><td>${r.detail}</td><td><ul class="calls">${r.calls.map((c) => html`<li>${c.method} ${c.url}${c.note ? html` <span class="muted"># ${c.note}</span>` : ''}</li>`)}</ul></td></tr>`)}
</tbody></table>`;
}

/** Kill previews shown by this process and already confirmed (a preview confirms one kill). */
export class PreviewLedger {
  readonly #used = new Set<number>();
  /** Checks that `previewId` is this person's recent dry run of `identity`, unused; marks it used. */
  consume(app: App, viewer: Viewer, previewId: number, identity: string): void {
    const row = new ResponseStore(app.store).get(previewId);
    const age = row ? app.clock.now().getTime() - Date.parse(row.created_at) : Number.POSITIVE_INFINITY;
    if (!row || row.dry_run !== 1 || row.origin !== 'manual' || row.identity !== identity || row.actor !== viewer.actor || age > PREVIEW_VALID_MS) {
      throw new UsageError('this confirmation does not belong to a recent preview of yours; open the person again and preview the kill');
    }
    if (this.#used.has(previewId)) throw new UsageError(`this preview was already confirmed once (kill #${previewId} is not repeated by a second submit); preview again to kill again`);
    this.#used.add(previewId);
  }
}

/** The preview: a dry run (the same code as `mfawatch kill --dry-run`) and the typed confirmation form. */
export async function killPreview(app: App, viewer: Viewer, params: Params): Promise<Html> {
  const plan = planKill(app, params.identity ?? '', undefined);
  const report = await responseRunnerFor(app).kill({ identity: plan.identity, dryRun: true, actor: viewer.actor });
  return page(`Kill preview: ${plan.identity}`, viewer, html`
<p>Nothing has been changed. Confirming signs <strong>${plan.identity}</strong> out of ${plan.targets.length} service(s) with the calls below.</p>
${plan.exempt ? html`<div class="notice">${plan.identity} is exempt from auto-response (autoResponse.exempt); a manual kill still applies.</div>` : ''}
<h2>Linked accounts</h2>
${plan.accounts.length ? html`<ul>${plan.accounts.map((a) => html`<li><a href="${accountHref(a.monitorId, a.scope, a.accountId)}">${a.login}</a> at ${place(a.monitorId, a.scope)} (linked by ${a.via})</li>`)}</ul>` : html`<p class="muted">none seen by the monitors (services that look people up by email still will)</p>`}
<h2>What each service would get</h2>
${results(report.results, true)}
${nobodyKnows(report.results) ? html`<div class="notice bad">No configured service knows ${plan.identity}: check the identity, or link its accounts with identities.map.</div>` : ''}
<h2>Confirm</h2>
${postForm('/kill', { identity: plan.identity, preview: String(report.responseId) }, viewer, html`<div><label>Type <code>${plan.identity}</code> to confirm<input name="confirm" id="confirm" autocomplete="off" required></label> <button type="submit" class="danger" id="kill-confirm">Sign ${plan.identity} out everywhere</button></div>`, 'stack')}
<p><a href="${personHref(plan.identity)}">Back without killing</a></p>
`);
}

/** The kill itself, after the typed confirmation: the same code as `mfawatch kill --yes`. */
export async function killConfirmed(app: App, viewer: Viewer, params: Params, previews: PreviewLedger): Promise<Html> {
  const plan = planKill(app, params.identity ?? '', undefined);
  if ((params.confirm ?? '').trim().toLowerCase() !== plan.identity) {
    throw new UsageError(`the confirmation does not match: type exactly ${plan.identity} to sign them out (nothing was done)`);
  }
  previews.consume(app, viewer, Number(params.preview), plan.identity);
  const report = await responseRunnerFor(app).kill({ identity: plan.identity, dryRun: false, actor: viewer.actor });
  const failed = report.results.filter((r) => r.outcome === 'failed');
  const summary = nobodyKnows(report.results)
    ? html`<div class="notice bad">No configured service knows ${plan.identity}: check the identity, or link its accounts with identities.map.</div>`
    : killComplete(report.results)
      ? html`<div class="notice good" id="kill-outcome">${plan.identity} was signed out at every service that knows them (kill #${report.responseId}).</div>`
      : html`<div class="notice bad" id="kill-outcome">Kill #${report.responseId} is incomplete: ${failed.map((f) => f.responderId).join(', ')} failed. Nothing is retried by itself; fix the cause, then kill again (a kill is safe to repeat).</div>`;
  return page(`Kill of ${plan.identity}`, viewer, html`${summary}${results(report.results, false)}<p><a href="${personHref(plan.identity)}">Back to ${plan.identity}</a></p>`);
}

/** Cancels a kill in its grace period: the same code as `mfawatch cancel-kill`. */
export function cancelKill(app: App, viewer: Viewer, params: Params): Html {
  const time = timeIn(app.deps.displayTimezone);
  const identity = identityFromArgument(app.store, identityContext(app), params.identity ?? '');
  const cancelled = responseRunnerFor(app).cancel(identity, viewer.actor);
  const text = cancelled.length
    ? html`<div class="notice good">Cancelled ${cancelled.length} scheduled kill(s) of ${identity} (was due ${cancelled.map((c, i) => html`${i > 0 ? ', ' : ''}${time(c.due_at)}`)}).</div>`
    : html`<div class="notice">No kill of ${identity} is waiting in a grace period (nothing to cancel).</div>`;
  return page('Cancel kill', viewer, html`${text}<p><a href="${personHref(identity)}">Back to ${identity}</a></p>`);
}

/** Acknowledges an account: the same code as `mfawatch ack`. */
export function ack(app: App, viewer: Viewer, params: Params): Html {
  const time = timeIn(app.deps.displayTimezone);
  const ms = ackDuration(params.for ?? '');
  const { matches, until } = acknowledgeAccount(app, viewer.actor, { account: params.account ?? '', monitor: params.monitor, ms, reason: params.reason ?? '' });
  const back = matches[0];
  return page('Acknowledged', viewer, html`<div class="notice good">Acknowledged ${matches.map((a) => a.login).join(', ')} for ${formatDuration(ms)}, until ${time(until.toISOString())}. Reminder digests leave it out until then; a new change still alerts.</div>
${back ? html`<p><a href="${accountHref(back.monitorId, back.scope, back.accountId)}">Back to ${back.login}</a></p>` : ''}`);
}

/** Ends an account's acknowledgements: the same code as `mfawatch unack`. */
export function unack(app: App, viewer: Viewer, params: Params): Html {
  const ended = endAcknowledgements(app, viewer.actor, { account: params.account ?? '', monitor: params.monitor, reason: params.reason ?? '' });
  const back = ended[0]?.a;
  const n = ended.reduce((s, e) => s + e.n, 0);
  return page('Acknowledgement ended', viewer, html`<div class="notice ${n ? 'good' : ''}">${n ? `Ended ${n} acknowledgement(s); the account is back in the reminder digests.` : 'No acknowledgement was in force (nothing to end).'}</div>
${back ? html`<p><a href="${accountHref(back.monitorId, back.scope, back.accountId)}">Back to ${back.login}</a></p>` : ''}`);
}

/** Accepts a held scan: the same code as `mfawatch accept`; the running daemon delivers the events. */
export function accept(app: App, viewer: Viewer, params: Params): Html {
  const monitorId = params.monitor ?? '';
  if (!app.config.monitors.some((m) => m.config.id === monitorId)) throw new UsageError(`no monitor with id "${monitorId}"`);
  const accepted = acceptHeldScans(app, viewer.actor, monitorId, params.scope);
  return page('Held scan accepted', viewer, html`<div class="notice good">${accepted.map((r) => html`<div>${place(monitorId, r.scope)}: held scan ${r.scanId} accepted and committed: ${r.accounts} accounts, ${r.changes} change(s). The events are queued for delivery.</div>`)}</div><p><a href="/">Back to the overview</a></p>`);
}

/** Queues the failed deliveries of one notifier again: the same code as `mfawatch redeliver`. */
export function redeliver(app: App, viewer: Viewer, params: Params): Html {
  const id = params.notifier ?? '';
  if (!app.config.notifiers.some((n) => n.config.id === id)) throw new UsageError(`no notifier with id "${id}"`);
  const n = requeueFailedDeliveries(app, viewer.actor, [id], 7 * 86_400_000, '7d');
  return page('Redeliver', viewer, html`<div class="notice ${n ? 'good' : ''}">${n ? `${n} failed deliver${n === 1 ? 'y' : 'ies'} to ${id} queued again; the running mfawatch delivers them.` : `Nothing to redeliver: no failed delivery to ${id} in the last 7 days.`}</div><p><a href="/deliveries">Back to deliveries</a></p>`);
}
