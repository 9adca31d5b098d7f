/**
 * `ack`/`unack` name one account: a bare login that exists at two monitors (GitHub carol and the
 * HR portal's carol, two people) is refused; "provider:login", "monitor/login" and --monitor pick one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { World } from '../owners/world.js';

let w: World;
beforeEach(async () => {
  w = new World();
  w.configure({
    delivery: { runDeadline: '1s' },
    monitors: [
      w.monitor('hr', [{ id: 'h-1', login: 'carol', mfa: 'disabled' }]),
      w.monitor('vpn', [{ id: 'v-9', login: 'carol', mfa: 'disabled' }, { id: 'v-2', login: 'dave', mfa: 'disabled' }]),
    ],
    notifiers: [],
  });
  expect((await w.cli(['run'])).code).toBe(0);
});
afterEach(() => w.cleanup());

const acks = () => w.query<{ monitor_id: string; account_id: string }>('SELECT monitor_id, account_id FROM acks ORDER BY monitor_id');

describe('ack names one account', () => {
  it('refuses a bare login matching two accounts, acknowledging nothing, and names the forms that tell them apart', async () => {
    const out = await w.cli(['ack', 'carol', '--for', '7d', '--reason', 'on leave']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/"carol" matches 2 accounts.*command:carol \(--monitor hr, id h-1\).*command:carol \(--monitor vpn, id v-9\).*"monitor\/login"/);
    expect(acks()).toEqual([]);
    const un = await w.cli(['unack', 'carol', '--reason', 'x']);
    expect(un.code).toBe(2);
  });

  it('accepts monitor/login, monitor:login and --monitor, each acknowledging only that account', async () => {
    expect((await w.cli(['ack', 'vpn/carol', '--for', '7d', '--reason', 'r'])).code).toBe(0);
    expect(acks()).toEqual([{ monitor_id: 'vpn', account_id: 'v-9' }]);
    expect((await w.cli(['ack', 'hr:carol', '--for', '7d', '--reason', 'r'])).code).toBe(0);
    expect((await w.cli(['unack', 'carol', '--monitor', 'vpn', '--reason', 'r'])).code).toBe(0);
    const inForce = w.query<{ monitor_id: string }>('SELECT monitor_id FROM acks WHERE until > ? ORDER BY monitor_id', new Date(Date.now() + 60_000).toISOString());
    expect(inForce.map((r) => r.monitor_id)).toEqual(['hr']);
    expect((await w.cli(['ack', 'dave', '--for', '7d', '--reason', 'r'])).code).toBe(0);
  });
});
