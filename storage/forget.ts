/**
 * `mfawatch forget`: removes what mfawatch keeps about a monitor instance, or one of its scopes,
 * once it has left the config: its scans, current accounts, account history, held scans,
 * acknowledgements and health-alert marks. Change events, their deliveries, session kills and the
 * audit log stay: they are the record of what was alerted and done.
 */
import type { Store } from './store.js';

/** Rows removed per table. */
export type ForgetCounts = Record<'scans' | 'accounts' | 'history' | 'heldScans' | 'acks' | 'healthAlerts', number>;

/** Removes the data of `monitorId` (every scope, or only `scope`) in one transaction. */
export function forgetMonitorData(store: Store, monitorId: string, scope: string | undefined): ForgetCounts {
  const where = scope === undefined ? 'monitor_id = ?' : 'monitor_id = ? AND scope = ?';
  const params = scope === undefined ? [monitorId] : [monitorId, scope];
  const run = (sql: string) => store.db.prepare(sql).run(...params).changes;
  return store.transaction(() => {
    run(`DELETE FROM held_accounts WHERE scan_id IN (SELECT scan_id FROM held_scans WHERE ${where})`);
    const heldScans = run(`DELETE FROM held_scans WHERE ${where}`);
    return {
      accounts: run(`DELETE FROM accounts WHERE ${where}`),
      history: run(`DELETE FROM account_history WHERE ${where}`),
      acks: run(`DELETE FROM acks WHERE ${where}`),
      healthAlerts: run(`DELETE FROM health_alerts WHERE ${where}`),
      heldScans,
      scans: run(`DELETE FROM scans WHERE ${where}`),
    };
  });
}
