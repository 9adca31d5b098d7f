/**
 * Routing by who owns what: a notifier's `match` list, one table per matcher kind (scopes,
 * identities, GitHub teams, Okta and Google groups, AWS OUs and OU tags, with the failure rule),
 * and the whole path through `mfawatch run` with GitHub team members read from the fake's
 * GET /orgs/{org}/teams/{team_slug}/members. Okta, Google and AWS through their fakes:
 * test/delivery/routing-directories.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RoutingDirectory, type AccountPlacement, type GroupKind, type GroupReader, type PlacementReader } from '../../src/delivery/directory.js';
import { eventMatcher, type NotifierMatcher } from '../../src/delivery/matchers.js';
import type { AccountState, ChangeEvent } from '../../src/core/types.js';
import { FakeChannel } from '../fakes/channels.js';
import { FakeGitHub } from '../fakes/github.js';
import { memoryLogger, runCli, tempDir, writeConfig } from '../helpers.js';

const TOKEN = 'ghp_routing_token';

function account(login: string, email: string | null = null): AccountState {
  return { accountId: `id-${login}`, login, email, displayName: null, kind: 'member', admin: false, mfa: 'disabled', factors: [], url: null };
}
function event(monitorId: string, scope: string, a: AccountState | null): ChangeEvent {
  return { id: 1, type: a ? 'mfa_disabled' : 'scan_failed', severity: 'high', monitorId, scope, provider: 'x', at: '2026-11-22T10:00:00.000Z', accountId: a?.accountId ?? null, login: a?.login ?? null, before: a, after: a, summary: 's' };
}
const identities = { map: { 'github:carol': 'carol@payments.example.com' }, monitorTypes: new Map([['gh', 'github'], ['aws', 'aws-iam']]) };

describe('matchers (tables)', () => {
  const none = new RoutingDirectory([], [], memoryLogger().logger);
  const table: Array<[string, NotifierMatcher[], ChangeEvent, boolean]> = [
    ['scope listed', [{ scopes: ['111122223333'] }], event('aws', '111122223333', account('bob')), true],
    ['scope not listed', [{ scopes: ['111122223333'] }], event('aws', '444455556666', account('bob')), false],
    ['scope matcher takes an account-less event of its scope', [{ scopes: ['111122223333'] }], event('aws', '111122223333', null), true],
    ['identity pattern through identities.map', [{ identities: ['*@payments.example.com'] }], event('gh', '', account('carol')), true],
    ['identity pattern through the account e-mail', [{ identities: ['*@payments.example.com'] }], event('aws', '1', account('dan', 'Dan@Payments.Example.com')), true],
    ['identity pattern not matching', [{ identities: ['*@payments.example.com'] }], event('aws', '1', account('eve', 'eve@infra.example.com')), false],
    ['identity pattern: no identity', [{ identities: ['*'] }], event('aws', '1', account('nobody')), false],
    ['identity matcher never takes an account-less event', [{ identities: ['*'] }], event('aws', '1', null), false],
    ['both keys of one matcher must match', [{ scopes: ['1'], identities: ['*@payments.example.com'] }], event('aws', '2', account('dan', 'dan@payments.example.com')), false],
    ['any matcher of the list', [{ scopes: ['9'] }, { identities: ['dan@*'] }], event('aws', '2', account('dan', 'dan@payments.example.com')), true],
  ];
  it.each(table)('%s', (_name, matchers, e, expected) => {
    expect(eventMatcher(matchers, identities, none)?.(e)).toBe(expected);
  });
  it('no match list: every event', () => {
    expect(eventMatcher(undefined, identities, none)).toBeUndefined();
  });
});

/** A reader answering from memory (what the directory was told), or failing like an unreadable group. */
function group(kind: GroupKind, name: string, monitorId: string, members: string[] | Error): GroupReader {
  return { kind, name, monitorId, label: `${kind} ${name}`, fix: 'the test', read: async () => { if (members instanceof Error) throw members; return new Set(members); } };
}
function placements(monitorId: string, placed: Record<string, AccountPlacement>, failing: string[] = []): PlacementReader {
  return {
    monitorId, fix: 'the test', accounts: () => [...Object.keys(placed), ...failing],
    read: async (ids) => ({ placed: new Map(ids.filter((id) => placed[id]).map((id) => [id, placed[id] as AccountPlacement])), failed: ids.filter((id) => failing.includes(id)).map((accountId) => ({ accountId, error: new Error('denied') })) }),
  };
}
const at = (ancestors: string[], tags: Record<string, string[]>): AccountPlacement => ({ ancestors, tags: new Map(Object.entries(tags).map(([k, v]) => [k, new Set(v)])) });

describe('group and OU matchers (tables, with the failure rule)', async () => {
  const log = memoryLogger();
  const directory = new RoutingDirectory(
    [
      group('githubTeams', 'acme/payments', 'gh', ['carol', '1']),
      group('oktaGroups', 'okta/Payments', 'okta', ['00ucarol', 'carol@example.com']),
      group('oktaGroups', 'okta/Broken', 'okta', new Error('Okta returned 403')),
      group('googleGroups', 'payments@acme.example', 'gws', ['100000000000000000002', 'carol@acme.example']),
    ],
    [placements('aws-org', { '111111111111': at(['ou-ab12-payments', 'ou-ab12-workload', 'r-ab12'], { team: ['payments'], env: ['prod'] }), '222222222222': at(['ou-ab12-infra001', 'r-ab12'], { team: ['infra'] }) }, ['333333333333'])],
    log.logger,
  );
  await directory.refresh();
  const table: Array<[string, NotifierMatcher[], ChangeEvent, boolean]> = [
    ['okta group member by id', [{ oktaGroups: ['okta/Payments'] }], event('okta', '', { ...account('carol@example.com'), accountId: '00ucarol' }), true],
    ['okta group: not a member', [{ oktaGroups: ['okta/Payments'] }], event('okta', '', { ...account('dave@example.com'), accountId: '00udave' }), false],
    ['okta group names match case-insensitively', [{ oktaGroups: ['OKTA/payments'] }], event('okta', '', { ...account('carol@example.com'), accountId: '00ucarol' }), true],
    ['okta group never matches another monitor\'s account', [{ oktaGroups: ['okta/Payments'] }], event('gh', '', account('carol@example.com')), false],
    ['unreadable okta group: every account of its monitor', [{ oktaGroups: ['okta/Broken'] }], event('okta', '', account('anyone@example.com')), true],
    ['unreadable okta group: still not another monitor\'s', [{ oktaGroups: ['okta/Broken'] }], event('gh', '', account('anyone')), false],
    ['google group member by e-mail', [{ googleGroups: ['payments@acme.example'] }], event('gws', '', account('carol@acme.example')), true],
    ['google group: not a member', [{ googleGroups: ['payments@acme.example'] }], event('gws', '', account('dave@acme.example')), false],
    ['github team member', [{ githubTeams: ['acme/payments'] }], event('gh', '', account('carol')), true],
    ['group keys of one matcher must all hold (team and okta group)', [{ githubTeams: ['acme/payments'], oktaGroups: ['okta/Payments'] }], event('gh', '', account('carol')), false],
    ['a group matcher never takes an account-less event', [{ oktaGroups: ['okta/Broken'] }], event('okta', '', null), false],
    ['OU tag on the parent OU', [{ awsOuTags: { team: 'payments' } }], event('aws-org', '111111111111', account('deployer')), true],
    ['OU tag on an ancestor OU', [{ awsOuTags: { env: 'prod' } }], event('aws-org', '111111111111', account('deployer')), true],
    ['OU tags: every tag must be carried', [{ awsOuTags: { env: 'prod', team: 'infra' } }], event('aws-org', '111111111111', account('deployer')), false],
    ['OU tag value differs', [{ awsOuTags: { team: 'payments' } }], event('aws-org', '222222222222', account('deployer')), false],
    ['OU id of a grandparent', [{ awsOrganizationalUnits: ['ou-ab12-workload'] }], event('aws-org', '111111111111', account('deployer')), true],
    ['OU id not in the chain', [{ awsOrganizationalUnits: ['ou-ab12-workload'] }], event('aws-org', '222222222222', account('deployer')), false],
    ['the root holds every account', [{ awsOrganizationalUnits: ['r-ab12'] }], event('aws-org', '222222222222', account('deployer')), true],
    ['OU matchers take account-less events of the scope (scan_failed)', [{ awsOuTags: { team: 'payments' } }], event('aws-org', '111111111111', null), true],
    ['an account that could not be placed: OU matchers take it', [{ awsOuTags: { team: 'payments' } }], event('aws-org', '333333333333', account('deployer')), true],
    ['OU matchers never take a monitor without an organization', [{ awsOuTags: { team: 'payments' } }], event('aws', '111111111111', account('deployer')), false],
  ];
  it.each(table)('%s', (_name, matchers, e, expected) => {
    expect(eventMatcher(matchers, identities, directory)?.(e)).toBe(expected);
  });
  it('each failure is a warning naming the group and what to check', () => {
    expect(log.text()).toContain('cannot read the members of oktaGroups okta/Broken for notifier routing (Okta returned 403)');
    expect(log.text()).toContain('cannot read where 1 AWS account(s) sit in the organization for notifier routing (333333333333: denied)');
  });
  it('a failed read keeps the last good answer', async () => {
    let fail = false;
    const flaky: GroupReader = { ...group('oktaGroups', 'okta/Flaky', 'okta', []), read: async () => { if (fail) throw new Error('Okta returned 500'); return new Set(['00ucarol']); } };
    const d = new RoutingDirectory([flaky], [], memoryLogger().logger);
    await d.refresh();
    fail = true;
    await d.refresh();
    expect(d.inGroup('oktaGroups', 'okta/Flaky', { monitorId: 'okta', accountId: '00udave', login: 'dave', email: null })).toBe(false);
  });
});

describe('GitHub team matchers through mfawatch run', () => {
  let gh: FakeGitHub;
  let payments: FakeChannel;
  let infra: FakeChannel;
  let everyone: FakeChannel;
  let dir: ReturnType<typeof tempDir>;
  let configPath: string;
  const run = () => runCli(['run', '--config', configPath], { env: { GH_TOKEN: TOKEN } });
  const typesAndLogins = (c: FakeChannel) => c.accepted.flatMap((r) => (JSON.parse(r.body) as { events: Array<{ type: string; login: string }> }).events.map((e) => `${e.type}:${e.login}`));

  beforeEach(async () => {
    gh = new FakeGitHub({ tokens: { [TOKEN]: { owner: true } } });
    gh.addMember({ id: 1, login: 'carol', twoFactor: 'enabled' });
    gh.addMember({ id: 2, login: 'bob', twoFactor: 'enabled' });
    gh.addMember({ id: 3, login: 'dave', twoFactor: 'enabled' });
    gh.teams.set('payments', [1]);
    gh.teams.set('infra', [2]);
    await gh.start();
    payments = new FakeChannel('webhook');
    infra = new FakeChannel('webhook');
    everyone = new FakeChannel('webhook');
    await Promise.all([payments.start(), infra.start(), everyone.start()]);
    dir = tempDir();
    configPath = writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url, retries: 0, outsideCollaborators: false }],
      notifiers: [
        { id: 'payments', type: 'webhook', url: `${payments.url}/in`, secret: 'payments-secret-123', match: [{ githubTeams: ['acme/payments'] }] },
        { id: 'infra', type: 'webhook', url: `${infra.url}/in`, secret: 'infra-secret-123', match: [{ githubTeams: ['acme/infra'] }] },
        { id: 'all', type: 'webhook', url: `${everyone.url}/in`, secret: 'all-secret-123' },
      ],
    });
  });
  afterEach(async () => {
    await Promise.all([gh.stop(), payments.stop(), infra.stop(), everyone.stop()]);
    dir.cleanup();
  });

  it("carol's loss of 2FA reaches her team's channel and no other team's", async () => {
    expect((await run()).code).toBe(0);
    payments.accepted.length = 0;
    infra.accepted.length = 0;
    everyone.accepted.length = 0;
    const carol = gh.members.get(1);
    if (carol) carol.twoFactor = 'disabled';
    const out = await run();
    expect(out.code, out.stderr).toBe(0);
    expect(typesAndLogins(payments)).toEqual(['mfa_disabled:carol']);
    expect(typesAndLogins(infra)).toEqual([]);
    expect(typesAndLogins(everyone)).toEqual(['mfa_disabled:carol']);
    expect(gh.requests.filter((r) => /\/teams\/(payments|infra)\/members$/.test(r.path)).length).toBeGreaterThanOrEqual(2);
  });

  it('config: a team of an org no github monitor watches is an error with its path', async () => {
    configPath = writeConfig(dir.path, {
      monitors: [{ id: 'gh', type: 'github', org: 'acme', token: '${GH_TOKEN}', baseUrl: gh.url }],
      notifiers: [{ id: 'x', type: 'stdout', match: [{ githubTeams: ['other/payments'] }] }, { id: 'y', type: 'stdout', match: [{ scopes: ['1'] }, {}] }],
    });
    const out = await runCli(['config', 'check', '--config', configPath], { env: { GH_TOKEN: TOKEN } });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('notifiers[0].match[0].githubTeams[0]: no github monitor watches the org "other"');
    expect(out.stderr).toContain('notifiers[1].match[1]: a matcher needs at least one of');
  });
});

