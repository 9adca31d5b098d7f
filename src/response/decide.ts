/**
 * Auto-response decisions, taken inside the scan's commit transaction (outbox style): the
 * verdict of every guard is written as a `responses` row next to the events that caused it, and
 * the team is told in the same transaction about kills held back and kills announced for later.
 * Nothing is killed here; src/response/runner.ts runs the scheduled rows after the commit.
 */
import type { Store } from '../../storage/store.js';
import { ResponseStore } from '../../storage/responses.js';
import type { ConfiguredNotifier } from '../config/load.js';
import { visible } from '../core/text.js';
import { SEVERITIES, type ChangeEvent, type Severity } from '../core/types.js';
import { announce } from './announce.js';
import { changedAccountCount, decideKills, type AutoResponsePolicy, type Candidate, type GuardName, type Verdict } from './guards.js';
import { identityOfAccount, type IdentityContext } from './identity.js';

/** The kills decided so far in one run, shared by every scan of that run (for maxPerRun). */
export interface RunTally {
  killsDecided: number;
}

/** What a scan commit needs to decide auto-responses. */
export interface AutoResponseContext {
  policy: AutoResponsePolicy;
  identities: IdentityContext;
  /** The monitor type of the scanned instance (`github`, `aws-iam`). */
  monitorType: string;
  notifiers: readonly ConfiguredNotifier[];
  actor: string;
  /** This run's tally; absent: the scan is a run of its own (`mfawatch accept`). */
  run?: RunTally | undefined;
  /** Told of every kill a guard held back (metrics). */
  onBlocked?: ((guard: GuardName) => void) | undefined;
}

export interface DecisionInput {
  events: readonly ChangeEvent[];
  /** The scan whose commit decided; null for a commit driven by provider events. */
  scanId: number | null;
  /**
   * Names this commit in outbox batch ids (held-back notices): `scan-ID` for a scan (the
   * default), `events-ID` for an event-driven commit.
   */
  commitKey?: string | undefined;
  monitorId: string;
  scope: string;
  /** Accounts of the scope after the commit. */
  scopeAccounts: number;
  now: Date;
}

export interface DecisionSummary {
  scheduled: number[];
  blocked: Verdict[];
}

const DAY_MS = 86_400_000;

function highest(events: readonly ChangeEvent[]): Severity {
  return events.reduce<Severity>((s, e) => (SEVERITIES.indexOf(e.severity) > SEVERITIES.indexOf(s) ? e.severity : s), 'info');
}

/** Decides and records the auto-responses of one committed scan. Call inside the commit transaction. */
export function recordAutoResponses(store: Store, ctx: AutoResponseContext, input: DecisionInput): DecisionSummary {
  const { policy } = ctx;
  const summary: DecisionSummary = { scheduled: [], blocked: [] };
  if (!policy.enabled) return summary;
  const responses = new ResponseStore(store);
  const candidates: Candidate[] = input.events
    .filter((e) => e.after && e.accountId)
    .map((e) => {
      const login = e.after?.login ?? e.login ?? '';
      return {
        event: e,
        identity: identityOfAccount(ctx.identities, { monitorId: input.monitorId, login, email: e.after?.email ?? null }),
        accountKeys: [`${ctx.monitorType}:${login}`, `${input.monitorId}:${login}`],
      };
    });
  const verdicts = decideKills(candidates, policy, {
    now: input.now,
    killsLast24h: responses.autoCountSince(new Date(input.now.getTime() - DAY_MS)),
    killsEarlierThisRun: ctx.run?.killsDecided ?? 0,
    lastKillAt: (identity) => responses.lastKillAt(identity),
    scopeAccounts: input.scopeAccounts,
    changedAccounts: changedAccountCount(input.events),
  });
  if (verdicts.length === 0) return summary;
  const dueAt = new Date(input.now.getTime() + policy.graceMinutes * 60_000);
  for (const v of verdicts) {
    const e = v.candidate.event;
    const account = `${input.monitorId}${input.scope ? `/${input.scope}` : ''}:${e.login ?? e.accountId ?? ''}`;
    const id = responses.insert({
      identity: v.identity ?? `(unlinked) ${account}`,
      origin: 'auto',
      status: v.kill ? 'scheduled' : 'blocked',
      dryRun: policy.dryRun,
      eventId: e.id,
      scanId: input.scanId,
      monitorId: input.monitorId,
      account,
      reason: v.kill ? null : `${v.guard}: ${v.reason}`,
      createdAt: input.now,
      dueAt: v.kill ? dueAt : input.now,
      actor: ctx.actor,
    });
    store.audit({
      at: input.now,
      actor: ctx.actor,
      action: v.kill ? 'response.scheduled' : 'response.blocked',
      subject: v.identity ?? account,
      detail: { responseId: id, eventId: e.id, event: e.type, account, dryRun: policy.dryRun, ...(v.kill ? { dueAt: dueAt.toISOString() } : { guard: v.guard, reason: v.reason }) },
    });
    if (v.kill) {
      summary.scheduled.push(id);
      if (ctx.run) ctx.run.killsDecided += 1;
      if (policy.graceMinutes > 0) {
        const who = v.identity;
        announce(store, ctx.notifiers, {
          id: `response-${id}-grace`,
          title: `${policy.dryRun ? '[dry run] ' : ''}sessions of ${who} will be killed in ${policy.graceMinutes} min`,
          text: visible(`${e.summary}. mfawatch will ${policy.dryRun ? 'pretend to ' : ''}sign ${who} out of every configured service at ${dueAt.toISOString()} unless someone runs: mfawatch cancel-kill ${who}`),
          severity: e.severity,
          monitorId: input.monitorId,
          events: [e],
        }, input.now);
      }
    } else {
      summary.blocked.push(v);
      ctx.onBlocked?.(v.guard);
    }
  }
  if (summary.blocked.length > 0) {
    const mass = summary.blocked.find((v) => v.kill === false && v.guard === 'mass_change');
    // One line per account: provider text made visible, so a summary with a line break cannot add a line.
    const lines = summary.blocked.map((v) => visible(`- ${v.candidate.event.summary}: not killed. ${v.kill ? '' : v.reason}`));
    announce(store, ctx.notifiers, {
      id: `response-held-${input.commitKey ?? `scan-${input.scanId ?? 0}`}`,
      title: mass
        ? `auto-response held back: ${mass.kill ? '' : mass.reason.split(':')[0]}`
        : `auto-response held back for ${summary.blocked.length} account(s)`,
      text: `${lines.join('\n')}\nReview the accounts, and kill sessions by hand where needed: mfawatch kill IDENTITY`,
      severity: highest(summary.blocked.map((v) => v.candidate.event)),
      monitorId: input.monitorId,
      events: summary.blocked.map((v) => v.candidate.event),
    }, input.now);
  }
  return summary;
}
