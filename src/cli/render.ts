/** Terminal renderings of events and history. Provider text is shown with its control and bidi characters as escapes. */
import { visibleDeep } from '../core/text.js';
import type { ChangeEvent } from '../core/types.js';

const SEVERITY_MARK: Record<string, string> = { critical: 'CRITICAL', high: 'HIGH    ', medium: 'MEDIUM  ', low: 'LOW     ', info: 'info    ' };

/** One block per event: severity, time (in the display time zone, named), monitor, account, the sentence, before → after, deliveries. */
export function renderEvent(event: ChangeEvent & { deliveries?: Array<{ notifier: string; status: string; attempts: number }>; silenced?: { silenceId: number; reason: string } | null }, formatTime: (iso: string) => string = (iso) => iso): string {
  const e = visibleDeep(event);
  const where = `${e.monitorId}${e.scope ? `/${e.scope}` : ''}`;
  const account = e.login ? ` ${e.login} (id ${e.accountId})` : '';
  const lines = [`${SEVERITY_MARK[e.severity] ?? e.severity} ${formatTime(e.at)}  ${e.type.padEnd(17)} ${where}${account}`, `         ${e.summary}`];
  if (e.before && e.after) {
    const b = e.before;
    const a = e.after;
    lines.push(`         before: mfa=${b.mfa}${b.factors.length ? `(${b.factors.join(',')})` : ''} admin=${b.admin}   after: mfa=${a.mfa}${a.factors.length ? `(${a.factors.join(',')})` : ''} admin=${a.admin}`);
  }
  const detail = e.detail as { withoutMfa?: Array<{ login: string; mfa: string; admin: boolean }>; withoutMfaTotal?: number } | undefined;
  if (e.type === 'baseline' && detail?.withoutMfa?.length) {
    lines.push(`         without MFA: ${detail.withoutMfa.map((a) => `${a.login}${a.admin ? ' [admin]' : ''}${a.mfa === 'weak' ? ' (weak)' : ''}`).join(', ')}${(detail.withoutMfaTotal ?? 0) > detail.withoutMfa.length ? ', …' : ''}`);
  }
  if (e.silenced) lines.push(`         SILENCED by silence #${e.silenced.silenceId} (${e.silenced.reason}): sent to no notifier`);
  if (e.deliveries?.length) lines.push(`         delivery: ${e.deliveries.map((d) => `${d.notifier}=${d.status}${d.attempts > 1 ? `(${d.attempts} attempts)` : ''}`).join(', ')}`);
  return lines.join('\n');
}
