/**
 * Issue 14: the Overview shows the monitors' event sources with their health and lag (the same
 * rows as `mfawatch status`), and the person page shows the owner cases of that person's accounts.
 * The state is made by the real EventRunner and OwnerStore on the harness's store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/console/html.js';
import { EventRunner } from '../../src/events/runner.js';
import { EventStore } from '../../storage/events.js';
import { OwnerStore } from '../../storage/owners.js';
import { get, signIn, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The HTML of the element with this id (a table), or ''. */
function tableById(body: string, id: string): string {
  return new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(body)?.[1] ?? '';
}

const HOSTILE_ERROR = '<script>alert("probe")</script> 502 from <b>api.github.com</b>';

describe('overview: event sources', () => {
  it('lists each event source with health, last event age, lag, counts, failures and pending verifications; provider text escaped', async () => {
    h = await startHarness({ monitor: { events: { probe: '60s', webhookSecret: 'console-test-webhook-secret' } } });
    const runner = new EventRunner(h.app);
    const instance = h.app.monitors.find((m) => m.config.id === 'gh-acme')!;
    const receivedAt = h.clock.now();
    const event = { id: 'probe:1:2:entered', occurredAt: new Date(receivedAt.getTime() - 45_000), scope: '', name: 'probe.2fa_disabled.entered', hint: { account: { accountId: '2', login: 'bob' }, topic: 'mfa' as const } };
    runner.ingest(instance, 'probe', { events: [event], ignored: [{ reason: 'irrelevant', message: 'not a 2FA change' }], cursor: '[2]', requests: 2 }, { poll: true });
    runner.ingest(instance, 'probe', { events: [event], ignored: [], cursor: '[2]', requests: 2 }, { poll: true });
    h.clock.set(new Date(receivedAt.getTime() + 120_000).toISOString());

    const cookie = await signIn(h, 'viewer');
    const ok = await get(h, '/', cookie);
    expect(ok.statusCode).toBe(200);
    const table = tableById(ok.body, 'event-sources');
    const row = /<tr><td>gh-acme<\/td><td>probe<\/td>[\s\S]*?<\/tr>/.exec(table)?.[0] ?? '';
    expect(row).toContain('pulled');
    expect(row).toContain('class="badge ok"');
    expect(row).toContain('3m ago'); // last event: 45s before receipt, 2 minutes ago
    expect(row).toMatch(/<td class="num">45s<\/td>/); // lag: receipt − provider time
    const stored = new EventStore(h.app.store).source('gh-acme', 'probe')!;
    expect([stored.received, stored.duplicates, stored.ignored]).toEqual([3, 1, 1]); // every message counts as received
    expect(row).toContain('3 / 1 / 1'); // received / duplicates / ignored
    expect(row).toContain('last set aside: irrelevant: not a 2FA change');
    const pending = new EventStore(h.app.store).pendingHints('gh-acme').length;
    expect(pending).toBe(1);
    expect(ok.body).toMatch(/<p id="pending-verifications">1 pending verification\(s\)/);

    // A failing poll: the provider's error text is hostile and shown as text.
    new EventStore(h.app.store).recordPollFailure('gh-acme', 'probe', h.clock.now(), HOSTILE_ERROR, new Date(h.clock.now().getTime() + 60_000));
    const failing = await get(h, '/', cookie);
    const failingRow = /<tr><td>gh-acme<\/td><td>probe<\/td>[\s\S]*?<\/tr>/.exec(tableById(failing.body, 'event-sources'))?.[0] ?? '';
    expect(failingRow).toContain('class="badge failing"');
    expect(failingRow).toContain('1 in a row');
    expect(failingRow).toContain(`last error: ${escapeHtml(HOSTILE_ERROR)}`);
    expect(failing.body).not.toContain('<script>alert("probe")');
    expect(failing.body).not.toContain('<b>api.github.com</b>');

    // A refused push: counted with its reason (text from the request, so hostile too).
    runner.refused(instance, 'webhook', 'bad_signature', 'X-Hub-Signature-256 does not match <svg onload=alert(4)>');
    const refused = await get(h, '/', cookie);
    const hookRow = /<tr><td>gh-acme<\/td><td>webhook<\/td>[\s\S]*?<\/tr>/.exec(tableById(refused.body, 'event-sources'))?.[0] ?? '';
    expect(hookRow).toContain('pushed');
    expect(hookRow).toContain(`1, last <time datetime="${h.clock.now().toISOString()}">`);
    expect(hookRow).toContain(escapeHtml('X-Hub-Signature-256 does not match <svg onload=alert(4)>'));
    expect(refused.body).not.toContain('<svg onload=alert(4)>');
  });

  it('says when no monitor has event sources', async () => {
    h = await startHarness();
    const cookie = await signIn(h, 'viewer');
    const res = await get(h, '/', cookie);
    expect(res.body).toContain('<h2>Event sources</h2><p class="muted">no monitor has event sources configured');
    expect(res.body).not.toContain('id="event-sources"');
  });
});

describe('person page: owner notices', () => {
  it('lists the owner cases of the person\'s accounts with notices, deadline, escalation and answer', async () => {
    h = await startHarness();
    const owners = new OwnerStore(h.app.store);
    const now = h.clock.now();
    const eventId = (h.app.store.db.prepare(`SELECT id FROM events WHERE account_id = '3' ORDER BY id DESC LIMIT 1`).get() as { id: number }).id;
    const caseId = owners.addCase({ monitorId: 'gh-acme', scope: '', accountId: '3', login: 'carol', provider: 'github', eventType: 'mfa_disabled', eventId, identity: 'carol@example.com', unreachable: null, openedAt: now, deadlineAt: new Date(now.getTime() + 4 * 3_600_000) });
    owners.queueNotice(caseId, 'notice', 'email', 'carol@example.com', {}, now);
    owners.queueNotice(caseId, 'notice', 'slack', 'carol@example.com', {}, now);
    const [email, slack] = owners.noticesOf(caseId);
    owners.recordNoticeAttempt(email!.id, now, { status: 'sent' });
    owners.recordNoticeAttempt(slack!.id, now, { status: 'failed', error: 'users_not_found <img src=x onerror=alert(3)>' });
    owners.markEscalated(caseId, new Date(now.getTime() + 60_000));
    owners.recordAnswer(caseId, 'no', new Date(now.getTime() + 120_000));

    const cookie = await signIn(h, 'viewer');
    const res = await get(h, '/person?identity=carol%40example.com', cookie);
    expect(res.statusCode).toBe(200);
    const table = tableById(res.body, 'owner-cases');
    expect(table).toContain('<td>mfa_disabled</td>');
    expect(table).toContain('>carol</a>');
    expect(table).toContain(`<time datetime="${now.toISOString()}">`); // opened
    expect(table).toContain(`<time datetime="${new Date(now.getTime() + 4 * 3_600_000).toISOString()}">`); // deadline
    expect(table).toContain('notice by email: <span class="badge sent">sent</span>');
    expect(table).toContain(`notice by slack: <span class="badge failed">failed</span> <span class="muted">${escapeHtml('users_not_found <img src=x onerror=alert(3)>')}</span>`);
    expect(table).toContain(`<time datetime="${new Date(now.getTime() + 60_000).toISOString()}">`); // escalated
    expect(table).toContain('no, it was not me');
    expect(res.body).not.toContain('<img src=x onerror=alert(3)>');

    // Another person's page does not show carol's case.
    const bob = await get(h, '/person?identity=bob%40example.com', cookie);
    expect(bob.body).not.toContain('id="owner-cases"');
    expect(bob.body).toMatch(/<h2>Owner notices<\/h2>\s*<p class="muted">none<\/p>/);
  });
});
