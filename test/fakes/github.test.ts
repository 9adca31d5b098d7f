/** The GitHub fake caches its sorted listings; every kind of change must still show in the next answer. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHub } from './github.js';

const TOKEN = 'ghp_fake_cache_owner_token';
let gh: FakeGitHub;

async function ids(query: string): Promise<number[]> {
  const res = await fetch(`${gh.url}/orgs/acme/members?per_page=100&${query}`, { headers: { authorization: `token ${TOKEN}` } });
  return ((await res.json()) as Array<{ id: number }>).map((u) => u.id);
}

beforeEach(async () => {
  gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
  gh.addMember({ id: 30, login: 'c', twoFactor: 'enabled' });
  gh.addMember({ id: 10, login: 'a', twoFactor: 'enabled', role: 'admin' });
  gh.addMember({ id: 20, login: 'b', twoFactor: 'disabled' });
  await gh.start();
});
afterEach(() => gh.stop());

describe('FakeGitHub listings', () => {
  it('answer sorted by id and follow in-place edits, additions and removals', async () => {
    expect(await ids('filter=all')).toEqual([10, 20, 30]);
    expect(await ids('filter=2fa_disabled')).toEqual([20]);
    expect(await ids('role=admin')).toEqual([10]);

    const c = gh.members.get(30);
    if (!c) throw new Error('no member 30');
    c.twoFactor = 'disabled';
    c.role = 'admin';
    expect(await ids('filter=2fa_disabled')).toEqual([20, 30]);
    expect(await ids('role=admin')).toEqual([10, 30]);

    gh.members.delete(20);
    gh.addMember({ id: 5, login: 'e', twoFactor: 'insecure' });
    expect(await ids('filter=all')).toEqual([5, 10, 30]);
    expect(await ids('filter=2fa_disabled')).toEqual([30]);
    expect(await ids('filter=2fa_insecure')).toEqual([5]);

    c.login = 'renamed';
    const res = await fetch(`${gh.url}/orgs/acme/members?filter=all`, { headers: { authorization: `token ${TOKEN}` } });
    expect(((await res.json()) as Array<{ login: string }>).map((u) => u.login)).toEqual(['e', 'a', 'renamed']);
  });
});
