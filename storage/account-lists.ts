/**
 * Account lists for `status` beyond "without MFA": the accounts of one scope in a given MFA state
 * (e.g. `not_applicable`: IAM users without a console password, listed as API-only).
 */
import type { MfaState } from '../src/core/types.js';
import { accountFromRow, type AccountRow } from './rows.js';
import type { Store } from './store.js';

/** Up to `limit` accounts of one monitor scope whose MFA state is `state`, by login. */
export function accountsInState(store: Store, monitorId: string, scope: string, state: MfaState, limit: number): ReturnType<typeof accountFromRow>[] {
  const rows = store.db
    .prepare(`SELECT account_id, login, email, display_name, kind, admin, mfa, factors, url FROM accounts WHERE monitor_id = ? AND scope = ? AND mfa = ? ORDER BY login LIMIT ?`)
    .all(monitorId, scope, state, limit) as AccountRow[];
  return rows.map(accountFromRow);
}
