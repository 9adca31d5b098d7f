/**
 * Auto-response decisions, taken inside the scan's commit transaction (outbox style): the
 * verdict of every guard is written as a `responses` row next to the events that caused it, and
 * the team is told in the same transaction, in one message per scan, about kills held back, kills
 * announced for later and what a dry run would kill (src/response/messages.ts words it).
 * Nothing is killed here; src/response/runner.ts runs the scheduled rows after the commit.
 */
import type { Store } from '../../storage/store.js';
import { ResponseStore } from '../../storage/responses.js';
import type { ChangeEvent } from '../core/types.js';
import type { ConfiguredNotifier } from '../config/load.js';
import { isoTime, type TimeFormat } from '../delivery/render.js';
import { announce } from './announce.js';
import { changedAccountCount, decideKills, type AutoResponsePolicy, type Candidate, type GuardName, type Verdict } from './guards.js';
import { identityOfAccount, type IdentityContext } from './identity.js';
import { decisionMessage, type Decision } from './messages.js';

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
  /** The zone of times in words for people (config `displayTimezone`); channels read by machines get UTC ISO. */
  displayTimezone: string;
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
  const decisions: Decision[] = [];
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
      const kind = policy.dryRun ? 'would_kill' : policy.graceMinutes > 0 ? 'kill_later' : 'kill_now';
      decisions.push(kind === 'kill_later' ? { kind, identity: v.identity, event: e, dueAt } : { kind, identity: v.identity, event: e });
    } else {
      summary.blocked.push(v);
      decisions.push({ kind: 'held_back', identity: v.identity, event: e, guard: v.guard, reason: v.reason });
      ctx.onBlocked?.(v.guard);
    }
  }
  // One message for every decision of the scan: a dry-run rollout is one `info` line per person.
  const words = (formatTime: TimeFormat) => decisionMessage({ decisions, dryRun: policy.dryRun, graceMinutes: policy.graceMinutes, formatTime });
  const message = words(isoTime);
  if (message) {
    announce(store, ctx.notifiers, {
      id: `response-decisions-${input.commitKey ?? `scan-${input.scanId ?? 0}`}`,
      ...message,
      // Each channel's words with times for its readers (a kill due at 11:10 CET for people).
      text: (formatTime) => words(formatTime)?.text ?? message.text,
      monitorId: input.monitorId,
      events: decisions.map((d) => d.event),
    }, input.now, ctx.displayTimezone);
  }
  return summary;
}
