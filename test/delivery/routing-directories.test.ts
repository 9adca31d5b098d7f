/**
 * Routing by Okta groups, Google groups and AWS OUs / OU tags, through `mfawatch run` against the
 * loopback fakes in the providers' formats (Okta Groups API with Link paging; Admin SDK
 * members.list with pageToken and derived membership; Organizations ListParents and
 * ListTagsForResource in AWS JSON 1.1, driven by the real SDK): each change reaches its team's
 * channel and no other team's, and a group or OU that cannot be read matches every account of its
 * monitor, with a warning that says what to fix.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GROUP_MEMBER_SCOPE } from '../../src/delivery/directories/google-groups.js';
import { oktaGroupReader } from '../../src/delivery/directories/okta-groups.js';
import { RoutingDirectory } from '../../src/delivery/directory.js';
import { eventMatcher } from '../../src/delivery/matchers.js';
import type { ChangeEvent } from '../../src/core/types.js';
import { Secret } from '../../src/core/secret.js';
import { FakeAws } from '../fakes/aws-iam.js';
import { FakeChannel } from '../fakes/channels.js';
import { DIRECTORY_READONLY, FakeGoogle, makeServiceAccount } from '../fakes/google.js';
import { FakeOkta } from '../fakes/okta.js';
import { FakeOrganizations, ROOT_ID } from '../fakes/organizations.js';
import { memoryLogger, runCli, tempDir, writeConfig } from '../helpers.js';

let dir: ReturnType<typeof tempDir>;
let channels: Record<string, FakeChannel>;
const received = (c: FakeChannel | undefined) => (c?.accepted ?? []).flatMap((r) => (JSON.parse(r.body) as { events: Array<{ type: string; login: string | null; scope: string }> }).events.map((e) => `${e.type}:${e.login ?? e.scope}`));
const clear = () => Object.values(channels).forEach((c) => (c.accepted.length = 0));

async function startChannels(...names: string[]): Promise<void> {
  channels = Object.fromEntries(names.map((n) => [n, new FakeChannel('webhook')]));
  await Promise.all(Object.values(channels).map((c) => c.start()));
}
function notifier(name: string, match?: unknown[]) {
  return { id: name, type: 'webhook', url: `${channels[name]?.url ?? ''}/in`, secret: `${name}-secret-1234`, ...(match ? { match } : {}) };
}

beforeEach(() => {
  dir = tempDir();
});
afterEach(async () => {
  await Promise.all(Object.values(channels).map((c) => c.stop()));
  dir.cleanup();
});

describe('oktaGroups', () => {
  const TOKEN = '00okta-routing-token';
  const PAYMENTS = '00gpayments00000000a';
  const INFRA = '00ginfra000000000000';
  let okta: FakeOkta;
  const run = (configPath: string) => runCli(['run', '--config', configPath], { env: { OKTA_TOKEN: TOKEN } });

  beforeEach(async () => {
    okta = new FakeOkta({ tokens: { [`SSWS ${TOKEN}`]: { factors: true } } });
    okta.addUser({ id: '00ucarol', login: 'carol@example.com', factors: [{ factorType: 'webauthn' }] });
    okta.addUser({ id: '00udave0', login: 'dave@example.com', factors: [{ factorType: 'push' }] });
    // 210 more members: the group's member listing takes two pages of 200.
    const filler = Array.from({ length: 210 }, (_, i) => `00ufill${String(i).padStart(4, '0')}`);
    for (const id of filler) okta.addUser({ id, login: `${id}@example.com`, factors: [{ factorType: 'push' }] });
    okta.groups.set(PAYMENTS, { id: PAYMENTS, name: 'Payments', members: ['00ucarol', ...filler] });
    okta.groups.set('00gpaymentsops000000', { id: '00gpaymentsops000000', name: 'Payments Ops', members: ['00udave0'] });
    okta.groups.set(INFRA, { id: INFRA, name: 'Infra', members: ['00udave0'] });
    await okta.start();
    await startChannels('payments', 'infra', 'missing', 'all');
  });
  afterEach(async () => {
    await okta.stop();
  });

  it("carol's lost factor reaches the channel of her Okta group (by name, paged) and not another group's (by id)", async () => {
    const configPath = writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}', retries: 0 }],
      notifiers: [
        notifier('payments', [{ oktaGroups: ['okta/Payments'] }]),
        notifier('infra', [{ oktaGroups: [`${new URL(okta.url).host}/${INFRA}`] }]),
        notifier('missing', [{ oktaGroups: ['okta/No Such Group'] }]),
        notifier('all'),
      ],
    });
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = okta.users.get('00ucarol');
    if (carol) carol.factors = [];
    const out = await run(configPath);
    expect(out.code, out.stderr).toBe(0);
    expect(received(channels.payments)).toEqual(['mfa_disabled:carol@example.com']);
    expect(received(channels.infra)).toEqual([]);
    expect(received(channels.all)).toEqual(['mfa_disabled:carol@example.com']);
    // The name was searched with q= and kept only on the exact match ("Payments Ops" also starts so).
    expect(okta.requests.some((r) => r.path === '/api/v1/groups' && r.query.get('q') === 'Payments')).toBe(true);
    const pages = okta.requests.filter((r) => r.path === `/api/v1/groups/${PAYMENTS}/users`);
    expect(pages.map((r) => r.query.get('after') !== null)).toContain(true);
    // The failure rule: a group that cannot be read matches every account of its monitor, and says so.
    expect(received(channels.missing)).toEqual(['mfa_disabled:carol@example.com']);
    expect(out.stderr).toContain('cannot read the members of Okta group \\"No Such Group\\" at okta');
    expect(out.stderr).toContain('Okta has no group named \\"No Such Group\\"');
  });

  it('a cron-driven run routes what its event source verified by the groups too (they are read before the events)', async () => {
    const configPath = writeConfig(dir.path, {
      database: './m.db',
      schedule: '0 0 1 1 *',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}', retries: 0, events: { systemLog: '30s' } }],
      notifiers: [notifier('payments', [{ oktaGroups: ['okta/Payments'] }]), notifier('infra', [{ oktaGroups: [`okta/${INFRA}`] }])],
    });
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = okta.users.get('00ucarol');
    if (carol) carol.factors = [];
    okta.addLog({ eventType: 'user.mfa.factor.deactivate', actor: { id: '00uadmin', alternateId: 'admin@example.com' }, target: [{ id: '00ucarol', type: 'User', alternateId: 'carol@example.com' }], published: new Date().toISOString() });
    const out = await run(configPath);
    expect(out.code, out.stderr).toBe(0);
    const delivered = channels.payments?.accepted.flatMap((r) => (JSON.parse(r.body) as { events: Array<{ type: string; detail?: { via?: string } }> }).events) ?? [];
    expect(delivered.map((e) => [e.type, e.detail?.via])).toEqual([['mfa_disabled', 'event']]);
    expect(received(channels.infra)).toEqual([]);
  });

  const source = (over: { requestTimeout?: number; retries?: number } = {}) => ({ monitorId: 'okta', baseUrl: okta.url, token: new Secret(TOKEN), authScheme: 'SSWS' as const, requestTimeout: 30_000, retries: 3, rateLimitReserve: 0.1, ...over });

  it("follows Okta's rate-limit headers through the monitor's RateGate: it leaves the reserve of a window to others and waits for X-Rate-Limit-Reset", async () => {
    // The fake's windows follow Date.now(); only Date is faked, and the injected sleep moves it on
    // (no wall-clock wait). With 4 requests per window and the reserve of 2, the search and the
    // first page spend what the reader may use: it waits for the reset before the second page.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      okta.rateLimit = 4;
      const slept: number[] = [];
      const sleep = (ms: number) => {
        slept.push(ms);
        vi.setSystemTime(Date.now() + ms);
        return Promise.resolve();
      };
      const reader = oktaGroupReader(source(), 'okta/Payments', 'Payments', { fetch: globalThis.fetch, sleep });
      const read = await reader.read();
      expect(read).toBeInstanceOf(Set);
      const members = read as ReadonlySet<string>;
      expect(members.has('00ucarol')).toBe(true);
      expect(members.has('carol@example.com')).toBe(true);
      expect(members.size).toBeGreaterThan(211 * 2 - 1);
      expect(okta.requests.filter((r) => r.path === `/api/v1/groups/${PAYMENTS}/users`)).toHaveLength(2);
      expect(okta.rateLimited).toBe(0);
      expect(slept).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("uses the monitor's requestTimeout and retries: a group listing that never answers fails after 1 + retries tries", async () => {
    okta.inject({ kind: 'hang' }, 10, (r) => r.path.startsWith('/api/v1/groups'));
    const reader = oktaGroupReader(source({ requestTimeout: 50, retries: 1 }), 'okta/Payments', 'Payments', { fetch: globalThis.fetch, sleep: () => Promise.resolve() });
    await expect(reader.read()).rejects.toThrow('Okta did not answer');
    expect(okta.requests.filter((r) => r.path === '/api/v1/groups')).toHaveLength(2);
  });

  it('a group read that never answers does not hold routing up: refresh returns at its deadline, the unread groups match every account, a warning names them', async () => {
    okta.inject({ kind: 'hang' }, 10, (r) => r.path.startsWith('/api/v1/groups'));
    const logs = memoryLogger();
    const deps = { fetch: globalThis.fetch, sleep: () => Promise.resolve() };
    // The monitor's own timeout (30 s, 3 retries) would hold the refresh for minutes; the directory's deadline (injected short) does not wait for it.
    const directory = new RoutingDirectory([oktaGroupReader(source(), 'okta/Payments', 'Payments', deps), oktaGroupReader(source(), `okta/${INFRA}`, INFRA, deps)], [], logs.logger, { deadlineMs: 100 });
    await directory.refresh();
    const carol = { accountId: '00ucarol', login: 'carol@example.com', email: 'carol@example.com', displayName: null, kind: 'user', admin: false, mfa: 'disabled' as const, factors: [], url: null };
    const lost: ChangeEvent = { id: 1, type: 'mfa_disabled', severity: 'high', monitorId: 'okta', scope: '', provider: 'okta', at: '2026-11-22T10:00:00.000Z', accountId: carol.accountId, login: carol.login, before: carol, after: carol, summary: 's' };
    const identities = { map: {}, monitorTypes: new Map([['okta', 'okta']]) };
    expect(eventMatcher([{ oktaGroups: ['okta/Payments'] }], identities, directory)?.(lost)).toBe(true);
    expect(eventMatcher([{ oktaGroups: [`okta/${INFRA}`] }], identities, directory)?.(lost)).toBe(true);
    expect(directory.inGroup('oktaGroups', 'okta/Payments', { monitorId: 'okta', accountId: '00ucarol', login: 'carol@example.com', email: null })).toBeUndefined();
    const warning = logs.lines().find((l) => String(l.msg).includes('took longer than 100ms'));
    expect(warning?.msg).toContain('Okta group "Payments" at okta');
    expect(warning?.msg).toContain(`Okta group "${INFRA}" at okta`);
    expect(warning?.msg).toContain('take every account of okta');
    // The second group was never asked for: the deadline had passed.
    expect(okta.requests.filter((r) => r.path.startsWith('/api/v1/groups'))).toHaveLength(1);
    // The cycle's second pass (before the scans, only what was never read) does not wait for them again.
    await directory.refresh(undefined, undefined, { missingOnly: true });
    expect(okta.requests.filter((r) => r.path.startsWith('/api/v1/groups'))).toHaveLength(1);
    // A full refresh (the next cycle) asks again.
    await directory.refresh();
    expect(okta.requests.filter((r) => r.path.startsWith('/api/v1/groups'))).toHaveLength(2);
  });

  it('a token that may not read groups: every team hears, the warning names the permission', async () => {
    okta.tokens[`SSWS ${TOKEN}`] = { factors: true, groups: false };
    const configPath = writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'okta', type: 'okta', baseUrl: okta.url, token: '${OKTA_TOKEN}', retries: 0 }],
      notifiers: [notifier('payments', [{ oktaGroups: ['okta/Payments'] }]), notifier('infra', [{ oktaGroups: [`okta/${INFRA}`] }])],
    });
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = okta.users.get('00ucarol');
    if (carol) carol.factors = [];
    const out = await run(configPath);
    expect(received(channels.payments)).toEqual(['mfa_disabled:carol@example.com']);
    expect(received(channels.infra)).toEqual(['mfa_disabled:carol@example.com']);
    expect(out.stderr).toContain('okta.groups.read');
    expect(out.stderr).not.toContain(TOKEN);
  });
});

describe('googleGroups', () => {
  const sa = makeServiceAccount();
  const ADMIN = 'admin@acme.example';
  let google: FakeGoogle;
  const run = (configPath: string) => runCli(['run', '--config', configPath], { env: { GOOGLE_SA_KEY: JSON.stringify(sa.keyJson) } });
  const config = () =>
    writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'gws', type: 'google-workspace', subject: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0 }],
      notifiers: [notifier('payments', [{ googleGroups: ['payments@acme.example'] }]), notifier('infra', [{ googleGroups: ['gws/infra@acme.example'] }]), notifier('all')],
    });

  beforeEach(async () => {
    google = new FakeGoogle();
    google.addUser({ id: '100000000000000000001', primaryEmail: ADMIN, isAdmin: true, isEnrolledIn2Sv: true });
    google.addUser({ id: '100000000000000000002', primaryEmail: 'carol@acme.example', isEnrolledIn2Sv: true });
    google.addUser({ id: '100000000000000000003', primaryEmail: 'dave@acme.example', isEnrolledIn2Sv: true });
    // carol is in payments only through the nested group payments-core.
    google.addGroup('payments@acme.example', ['payments-core@acme.example']);
    google.addGroup('payments-core@acme.example', ['carol@acme.example']);
    google.addGroup('infra@acme.example', ['dave@acme.example']);
    await google.start();
    await startChannels('payments', 'infra', 'all');
  });
  afterEach(async () => {
    await google.stop();
  });

  it("carol's 2SV loss reaches her (nested) Google group's channel only, read with the group-member scope", async () => {
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, GROUP_MEMBER_SCOPE] });
    const configPath = config();
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = google.users.get('100000000000000000002');
    if (carol) carol.isEnrolledIn2Sv = false;
    const out = await run(configPath);
    expect(out.code, out.stderr).toBe(0);
    expect(received(channels.payments)).toEqual(['mfa_disabled:carol@acme.example']);
    expect(received(channels.infra)).toEqual([]);
    expect(received(channels.all)).toEqual(['mfa_disabled:carol@acme.example']);
    expect(google.groupMemberRequests().every((r) => r.query.get('includeDerivedMembership') === 'true')).toBe(true);
    expect(google.assertions.some((a) => a.scope === GROUP_MEMBER_SCOPE && a.sub === ADMIN)).toBe(true);
  });

  it('a group with the whole domain as a member (type CUSTOMER) holds every account of its monitor', async () => {
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY, GROUP_MEMBER_SCOPE] });
    google.addGroup('staff@acme.example', ['dave@acme.example']);
    // members.list names the customer as a member without an e-mail, its id the customer id
    // (https://developers.google.com/admin-sdk/directory/reference/rest/v1/members#Member, `type`).
    const customer = { kind: 'admin#directory#member', etag: '"etag-member-customer"', id: google.customerId, role: 'MEMBER', type: 'CUSTOMER', status: 'ACTIVE' };
    google.inject({
      kind: 'rewrite',
      rewrite: (a) => {
        const body = JSON.parse(a.body) as { members?: unknown[] };
        return { ...a, body: JSON.stringify({ ...body, members: [...(body.members ?? []), customer] }) };
      },
    }, 100, (r) => r.path === '/admin/directory/v1/groups/staff%40acme.example/members');
    const configPath = writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'gws', type: 'google-workspace', subject: ADMIN, serviceAccountKey: '${GOOGLE_SA_KEY}', apiRoot: google.url, tokenUri: `${google.url}/token`, retries: 0 }],
      notifiers: [notifier('payments', [{ googleGroups: ['staff@acme.example'] }]), notifier('infra', [{ googleGroups: ['infra@acme.example'] }])],
    });
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = google.users.get('100000000000000000002');
    if (carol) carol.isEnrolledIn2Sv = false;
    const out = await run(configPath);
    expect(out.code, out.stderr).toBe(0);
    expect(received(channels.payments)).toEqual(['mfa_disabled:carol@acme.example']);
    expect(received(channels.infra)).toEqual([]);
    expect(out.stderr).not.toContain('cannot read the members');
  });

  it('without the group-member scope in the delegation: every team hears, the warning names the scope', async () => {
    google.delegations.set(sa.email, { publicKey: sa.publicKey, scopes: [DIRECTORY_READONLY] });
    const configPath = config();
    expect((await run(configPath)).code).toBe(0);
    clear();
    const carol = google.users.get('100000000000000000002');
    if (carol) carol.isEnrolledIn2Sv = false;
    const out = await run(configPath);
    expect(received(channels.payments)).toEqual(['mfa_disabled:carol@acme.example']);
    expect(received(channels.infra)).toEqual(['mfa_disabled:carol@acme.example']);
    expect(out.stderr).toContain(`cannot read the members of Google group payments@acme.example at gws`);
    expect(out.stderr).toContain(GROUP_MEMBER_SCOPE);
    expect(out.stderr).not.toContain(sa.keyJson.private_key.split('\n')[3] ?? 'unreachable');
  });
});

describe('awsOrganizationalUnits and awsOuTags', () => {
  const MGMT = '999999999999';
  const PAYMENTS = '111111111111';
  const INFRA = '222222222222';
  const KEY = 'AKIAFAKEROUTING00001';
  const SECRET = 'routingSecretKeyThatMustNeverBePrinted0';
  const ROLE = 'MfawatchAudit';
  let aws: FakeAws;
  let org: FakeOrganizations;
  const run = (configPath: string) => runCli(['run', '--config', configPath], { env: {} });

  beforeEach(async () => {
    aws = new FakeAws();
    org = new FakeOrganizations();
    org.managementAccount = MGMT;
    aws.addAccount(MGMT, { alias: 'acme-mgmt', baseKey: { id: KEY, secret: SECRET }, roles: { [ROLE]: null } });
    org.accounts.push({ id: MGMT, name: 'Acme management', state: 'ACTIVE' });
    // root ─ ou-workloads (env=prod) ─ ou-payments (team=payments) ─ 111111111111
    //      └ ou-infra (team=infra) ─ 222222222222
    org.units.set('ou-ab12-workload', ROOT_ID);
    org.units.set('ou-ab12-payments', 'ou-ab12-workload');
    org.units.set('ou-ab12-infra001', ROOT_ID);
    org.tags.set('ou-ab12-workload', { env: 'prod', owner: 'platform' });
    org.tags.set('ou-ab12-payments', { team: 'payments' });
    org.tags.set('ou-ab12-infra001', { team: 'infra' });
    for (const [id, ou] of [[PAYMENTS, 'ou-ab12-payments'], [INFRA, 'ou-ab12-infra001']] as const) {
      aws.addAccount(id, { alias: `acme-${id.slice(0, 3)}`, roles: { [ROLE]: null } });
      aws.addUser(id, { name: 'deployer', password: true, devices: ['virtual'] });
      org.accounts.push({ id, name: `Acme ${id.slice(0, 3)}`, state: 'ACTIVE', parent: ou });
    }
    await aws.start();
    await org.start();
    vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_PROFILE', '');
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
    await startChannels('payments', 'infra', 'prod', 'byid', 'all');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await aws.stop();
    await org.stop();
  });

  const config = () =>
    writeConfig(dir.path, {
      database: './m.db',
      delivery: { runDeadline: '2s' },
      monitors: [{ id: 'aws-org', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url, organizations: org.url }, maxAttempts: 1, organization: { roleName: ROLE } }],
      notifiers: [
        notifier('payments', [{ awsOuTags: { team: 'payments' } }]),
        notifier('infra', [{ awsOrganizationalUnits: ['ou-ab12-infra001'] }]),
        // A tag of an ancestor two levels up, and every tag given must be carried.
        notifier('prod', [{ awsOuTags: { env: 'prod', owner: 'platform' } }]),
        // `scopes` already routes by account id.
        notifier('byid', [{ scopes: [INFRA] }]),
        notifier('all'),
      ],
    });

  it("a payments account's MFA loss reaches the payments OU's channels only; scopes route by account id", async () => {
    const configPath = config();
    expect((await run(configPath)).code).toBe(0);
    clear();
    aws.user(PAYMENTS, 'deployer').devices = [];
    const out = await run(configPath);
    expect(out.code, out.stderr).toBe(0);
    expect(received(channels.payments)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.prod)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.infra)).toEqual([]);
    expect(received(channels.byid)).toEqual([]);
    expect(received(channels.all)).toEqual(['mfa_disabled:deployer']);
    // Parents and tags are cached within a read: each OU's tags once per scan, every page of them.
    expect(org.calls('ListTagsForResource')).toBeGreaterThanOrEqual(5);

    clear();
    aws.user(INFRA, 'deployer').devices = [];
    expect((await run(configPath)).code).toBe(0);
    expect(received(channels.infra)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.byid)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.payments)).toEqual([]);
    expect(received(channels.prod)).toEqual([]);
  });

  it('ListParents denied: OU matchers take every account, and the warning names the missing permission', async () => {
    org.deniedOperations.add('ListParents');
    const configPath = config();
    expect((await run(configPath)).code).toBe(0);
    clear();
    aws.user(PAYMENTS, 'deployer').devices = [];
    const out = await run(configPath);
    expect(received(channels.payments)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.infra)).toEqual(['mfa_disabled:deployer']);
    expect(received(channels.byid)).toEqual([]);
    expect(out.stderr).toContain("cannot read the AWS organization's OUs for notifier routing (AWS Organizations ListParents failed (AccessDeniedException))");
    expect(out.stderr).toContain('organizations:ListParents and organizations:ListTagsForResource');
    expect(out.stderr).not.toContain(SECRET);
  });
});

describe('matcher config errors name their JSON path', () => {
  it('groups of no such monitor, ambiguous google groups, OU matchers without an organization, malformed entries', async () => {
    await startChannels();
    const configPath = writeConfig(dir.path, {
      monitors: [
        { id: 'okta', type: 'okta', baseUrl: 'https://acme.okta.com', token: 'x'.repeat(20) },
        { id: 'gws-a', type: 'google-workspace', subject: 'a@a.example', serviceAccountKeyFile: '/k.json' },
        { id: 'gws-b', type: 'google-workspace', subject: 'b@b.example', serviceAccountKeyFile: '/k.json' },
        { id: 'aws', type: 'aws-iam' },
      ],
      notifiers: [
        { id: 'x', type: 'stdout', match: [{ oktaGroups: ['other/Payments', 'acme.okta.com/Payments', 'okta/00g1abcdefghijklmnop'] }, { googleGroups: ['payments@acme.example', 'gws-b/infra@acme.example', 'nope/x@acme.example'] }, { awsOuTags: { team: 'payments' } }] },
        { id: 'y', type: 'stdout', match: [{ scopes: ['1'] }, { awsOrganizationalUnits: ['ou-bad'] }, { oktaGroups: ['no-slash'] }, { awsOuTags: {} }] },
      ],
    });
    const out = await runCli(['config', 'check', '--config', configPath]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('notifiers[0].match[0].oktaGroups[0]: no okta monitor has the id or org host "other"');
    expect(out.stderr).not.toContain('notifiers[0].match[0].oktaGroups[1]');
    expect(out.stderr).not.toContain('notifiers[0].match[0].oktaGroups[2]');
    expect(out.stderr).toContain('notifiers[0].match[1].googleGroups[0]: 2 google-workspace monitors are configured; write "<monitor id>/payments@acme.example"');
    expect(out.stderr).not.toContain('notifiers[0].match[1].googleGroups[1]');
    expect(out.stderr).toContain('notifiers[0].match[1].googleGroups[2]: no google-workspace monitor has the id "nope"');
    expect(out.stderr).toContain('notifiers[0].match[2].awsOuTags: no aws-iam monitor has "organization"');
    expect(out.stderr).toContain('notifiers[1].match[1].awsOrganizationalUnits[0]: must be an organizational unit id');
    expect(out.stderr).toContain('notifiers[1].match[2].oktaGroups[0]: must be "<okta monitor id or org host>/<group name or id>"');
    expect(out.stderr).toContain('notifiers[1].match[3].awsOuTags: name at least one tag');
  });

  it('a matcher naming groups of two kinds of monitor, which no account can match, is refused with its path and the split to write', async () => {
    await startChannels();
    const configPath = writeConfig(dir.path, {
      monitors: [
        { id: 'gh', type: 'github', org: 'acme', token: 'ghp_' + 'x'.repeat(36) },
        { id: 'okta', type: 'okta', baseUrl: 'https://acme.okta.com', token: 'x'.repeat(20) },
        { id: 'gws', type: 'google-workspace', subject: 'a@a.example', serviceAccountKeyFile: '/k.json' },
        { id: 'aws', type: 'aws-iam', organization: { roleName: 'MfawatchAudit' } },
      ],
      notifiers: [
        { id: 'x', type: 'stdout', match: [{ scopes: ['1'], githubTeams: ['acme/payments'] }, { githubTeams: ['acme/payments'], oktaGroups: ['okta/Payments'] }] },
        { id: 'y', type: 'stdout', match: [{ awsOrganizationalUnits: ['r-ab12'], awsOuTags: { team: 'payments' } }, { googleGroups: ['payments@acme.example'], awsOuTags: { team: 'payments' } }] },
      ],
    });
    const out = await runCli(['config', 'check', '--config', configPath]);
    expect(out.code, out.stderr).toBe(2);
    expect(out.stderr).toContain('notifiers[0].match[1]: "githubTeams" and "oktaGroups" name what github and okta monitors hold; every key of a matcher must match and an account belongs to one monitor, so this matcher can never match');
    expect(out.stderr).toContain('Write one matcher per kind instead, [{ "githubTeams": … }, { "oktaGroups": … }] (any matcher of the list matching is enough)');
    expect(out.stderr).toContain('notifiers[1].match[1]: "googleGroups" and "awsOuTags" name what google-workspace and aws-iam monitors hold');
    // One kind with other keys, and both OU keys (one aws-iam monitor), are fine.
    expect(out.stderr).not.toContain('notifiers[0].match[0]');
    expect(out.stderr).not.toContain('notifiers[1].match[0]');
  });
});
