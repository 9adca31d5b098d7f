/**
 * The words and severities of every session-kill message, as pure functions: what the guards
 * decided in one scan (one message for all of it), and what a kill did. Each message says what
 * happened and nothing more: a dry run "would kill", never "killed", and is `info`; a kill the
 * guards held back is `high` only when a real kill was wanted; a kill nobody could act on is a
 * short `low` notice. test/response/messages.test.ts holds the table.
 */
import { visible } from '../core/text.js';
import { maxSeverity, type ChangeEvent, type Severity } from '../core/types.js';
import type { TimeFormat } from '../delivery/render.js';
import type { GuardName } from './guards.js';
import { killComplete, nobodyKnows, type ServiceResult } from './invalidate.js';

/** One auto-response decision of a scan, as the message tells it. */
export type Decision =
  | { kind: 'would_kill'; identity: string; event: ChangeEvent }
  | { kind: 'kill_now'; identity: string; event: ChangeEvent }
  | { kind: 'kill_later'; identity: string; event: ChangeEvent; dueAt: Date }
  | { kind: 'held_back'; identity: string | null; event: ChangeEvent; guard: GuardName; reason: string };

export interface DecisionMessageInput {
  decisions: readonly Decision[];
  /** autoResponse.dryRun: nothing is killed, whatever the decisions. */
  dryRun: boolean;
  graceMinutes: number;
  /** Times in the words: the display zone for people, `isoTime` for machines (src/delivery/render.ts `timeFormatFor`). */
  formatTime: TimeFormat;
}

/** A message's words and severity; the caller adds its id and routing. */
export interface MessageText {
  title: string;
  text: string;
  severity: Severity;
}

const NAMES_IN_TITLE = 3;

function names(identities: readonly string[]): string {
  const shown = identities.slice(0, NAMES_IN_TITLE).join(', ');
  return identities.length > NAMES_IN_TITLE ? `${shown} and ${identities.length - NAMES_IN_TITLE} more` : shown;
}

function decisionSeverity(d: Decision, dryRun: boolean): Severity {
  switch (d.kind) {
    case 'would_kill':
    case 'kill_now': // the kill's own result message carries the weight
      return 'info';
    case 'kill_later':
      return d.event.severity;
    case 'held_back':
      // The event itself has already been sent at its own severity; this says no kill follows.
      return dryRun ? 'info' : 'high';
  }
}

/** One line per decision; provider text made visible, so a summary with a line break cannot add a line. */
function decisionLine(d: Decision, dryRun: boolean, formatTime: TimeFormat): string {
  return visible(decisionText(d, dryRun, formatTime));
}

function decisionText(d: Decision, dryRun: boolean, formatTime: TimeFormat): string {
  switch (d.kind) {
    case 'would_kill':
      return `- ${d.event.summary}: would kill (dry run) the sessions of ${d.identity}`;
    case 'kill_now':
      return `- ${d.event.summary}: killing the sessions of ${d.identity} now`;
    case 'kill_later':
      return `- ${d.event.summary}: the sessions of ${d.identity} will be killed at ${formatTime(d.dueAt.toISOString())} unless someone runs: mfawatch cancel-kill ${d.identity}`;
    case 'held_back':
      return `- ${d.event.summary}: ${dryRun ? 'would not kill (dry run)' : 'not killed'}. ${d.reason}`;
  }
}

/**
 * The one message about every auto-response decision of one scan, or null when there is nothing
 * to say beyond the kill results that follow (kills at once, no guard held one back).
 */
export function decisionMessage(input: DecisionMessageInput): MessageText | null {
  const { decisions, dryRun } = input;
  if (decisions.every((d) => d.kind === 'kill_now')) return null;
  const of = <K extends Decision['kind']>(kind: K) => decisions.filter((d): d is Extract<Decision, { kind: K }> => d.kind === kind);
  const held = of('held_back');
  const mass = held.find((d) => d.guard === 'mass_change');
  const dry = dryRun ? ' (dry run)' : '';
  let title: string;
  if (mass) {
    title = `auto-response${dry} held back: ${mass.reason.split(':')[0] ?? mass.reason}`;
  } else {
    const parts: string[] = [];
    const wouldKill = of('would_kill');
    const later = of('kill_later');
    const now = of('kill_now');
    if (wouldKill.length) parts.push(`would kill (dry run) the sessions of ${names(wouldKill.map((d) => d.identity))}`);
    if (later.length) parts.push(`sessions of ${names(later.map((d) => d.identity))} will be killed in ${input.graceMinutes} min`);
    if (now.length) parts.push(`killing the sessions of ${names(now.map((d) => d.identity))} now`);
    if (held.length) parts.push(`auto-response${dry} held back for ${held.length} account(s)`);
    title = parts.join('; ');
  }
  const footer: string[] = [];
  if (dryRun) footer.push('Dry run (autoResponse.dryRun is true): nothing was killed. Set it to false to act.');
  else if (held.length) footer.push('Review the accounts, and kill sessions by hand where needed: mfawatch kill IDENTITY');
  return {
    title: visible(title),
    text: [...decisions.map((d) => decisionLine(d, dryRun, input.formatTime)), ...footer].join('\n'),
    severity: decisions.reduce<Severity>((s, d) => maxSeverity(s, decisionSeverity(d, dryRun)), 'info'),
  };
}

export interface KillResultInput {
  identity: string;
  /** "auto-response" or "by alice". */
  by: string;
  dryRun: boolean;
  results: readonly ServiceResult[];
  /** The event that caused an automatic kill, when there is one. */
  cause: ChangeEvent | null;
}

/**
 * What a finished kill tells the team, or null when it tells nobody: a dry run (it changed
 * nothing; its would-be calls are printed, audited and counted in `status`).
 */
export function killResultMessage(input: KillResultInput): MessageText | null {
  const { identity, results } = input;
  if (input.dryRun) return null;
  if (nobodyKnows(results)) {
    return {
      title: visible(`kill of ${identity} (${input.by}): no configured service knows them`),
      text: 'Nothing was changed. Check the identity, or link its accounts with identities.map.',
      severity: 'low',
    };
  }
  const ok = killComplete(results);
  return {
    title: visible(`${ok ? 'sessions killed' : 'session kill incomplete'} for ${identity} (${input.by})`),
    text: [
      ...(input.cause ? [`Because: ${input.cause.summary}`] : []),
      ...results.map((r) => `- ${r.service} (${r.responderId}): ${r.outcome}: ${r.detail}`),
      ...(ok ? [] : [`Finish by hand: mfawatch kill ${identity}`]),
    ].map(visible).join('\n'), // provider text made visible per line: none can add a line
    severity: ok ? (input.cause?.severity ?? 'high') : 'critical',
  };
}
