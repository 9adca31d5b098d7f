/** Sample batches for notifier tests, shaped as the scan pipeline builds them. */
import type { NotificationBatch } from '../../notifiers/types.js';
import type { AccountState, ChangeEvent } from '../../src/core/types.js';
import { buildBatch } from '../../src/delivery/routing.js';

export const account = (over: Partial<AccountState> = {}): AccountState => ({
  accountId: '1', login: 'alice', email: null, displayName: null, kind: 'member', admin: false, mfa: 'enabled', factors: [], url: 'https://github.com/alice', ...over,
});

export function sampleEvent(over: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    id: 7, type: 'mfa_disabled', severity: 'critical', monitorId: 'gh-acme', scope: '', provider: 'GitHub', at: '2026-11-22T10:00:00.000Z',
    accountId: '1', login: 'alice', before: account({ admin: true }), after: account({ admin: true, mfa: 'disabled' }),
    summary: 'alice (admin) disabled two-factor authentication', ...over,
  };
}

/** A scan batch: alice (admin) lost 2FA (critical), bob was added without 2FA (medium). */
export function sampleBatch(extra: ChangeEvent[] = []): NotificationBatch {
  const events = [
    sampleEvent(),
    sampleEvent({ id: 8, type: 'account_added', severity: 'medium', accountId: '2', login: 'bob', before: null, after: account({ accountId: '2', login: 'bob', mfa: 'disabled', url: 'https://github.com/bob' }), summary: 'bob was added as member without two-factor authentication' }),
    ...extra,
  ];
  return buildBatch('scan-42', 'changes', { monitorId: 'gh-acme', provider: 'GitHub', type: 'GitHub', scope: '', label: 'acme' }, events, new Date('2026-11-22T10:00:00.000Z'));
}

/** `n` changes in one batch, to exercise message size limits. */
export function bigBatch(n: number): NotificationBatch {
  const events = Array.from({ length: n }, (_, i) =>
    sampleEvent({ id: 100 + i, severity: 'high', accountId: String(1000 + i), login: `user${i}`, before: account({ accountId: String(1000 + i), login: `user${i}` }), after: account({ accountId: String(1000 + i), login: `user${i}`, mfa: 'disabled' }), summary: `user${i} disabled two-factor authentication` }),
  );
  return buildBatch('scan-99', 'changes', { monitorId: 'gh-acme', provider: 'GitHub', type: 'GitHub', scope: '', label: 'acme' }, events, new Date('2026-11-22T10:00:00.000Z'));
}
