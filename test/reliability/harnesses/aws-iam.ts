/**
 * The AWS IAM monitor and responder in the fault matrix, on the AWS fake (test/fakes/aws-iam.ts: the Query
 * protocol's XML, SigV4 checked) and the real AWS SDK. Two harnesses, one per mode: `report` reads
 * one credential report (XML around a base64 CSV, no pages); `live` pages ListUsers by Marker and
 * makes per-user calls. The SDK takes its credentials from the environment (the default provider
 * chain), so the harness sets AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY while it runs. The
 * responder acts only on IAM users a monitor linked: its harness scans the same fake first.
 */
import { FakeAws, type FakeAccount, type FakeIamUser } from '../../fakes/aws-iam.js';
import type { RecordedRequest } from '../../fakes/http.js';
import type { FaultId, HarnessRun, MonitorHarness, ResponderHarness } from '../harness.js';
import { closedPort } from './ports.js';
import { ALICE, json, LISTING_NA, runOf } from './responders.js';

const ACCOUNT = '111122223333';
const KEY_ID = 'AKIAFAULTMATRIX00001';
const SECRET_KEY = 'faultMatrixSecretAccessKey/0123456789abcdef';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

const actionOf = (r: RecordedRequest) => new URLSearchParams(r.body).get('Action') ?? '';
const xmlError = (code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${IAM_NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`;
const xmlOk = (action: string, result: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${IAM_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></${action}Response>`;
const XML = { 'content-type': 'text/xml' };

interface Started {
  aws: FakeAws;
  account: FakeAccount;
  refused: () => boolean;
  setRefused: (on: boolean) => void;
  refusedUrl: string;
}

/** The fake with one account of `users` IAM users (console password and a virtual MFA device each), and the SDK's credentials in the environment. */
async function startAws(users: number): Promise<Started> {
  const aws = new FakeAws();
  const account = aws.addAccount(ACCOUNT, { alias: 'acme-prod', baseKey: { id: KEY_ID, secret: SECRET_KEY }, rootMfa: 'hardware_totp' });
  for (let i = 0; i < users; i++) aws.addUser(ACCOUNT, { name: `user${String(i).padStart(4, '0')}`, password: true, devices: i % 10 === 3 ? [] : ['virtual'] });
  await aws.start();
  process.env.AWS_ACCESS_KEY_ID = KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  let refused = false;
  return { aws, account, refused: () => refused, setRefused: (on) => (refused = on), refusedUrl: `http://127.0.0.1:${await closedPort()}` };
}

async function stopAws(s: Started): Promise<void> {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  delete process.env.AWS_EC2_METADATA_DISABLED;
  await s.aws.stop();
}

/** The parts of a run both modes share: config, healthy state, the real change. */
function run(s: Started, mode: 'report' | 'live', inject: (fault: FaultId) => void, restore: () => void): HarnessRun {
  const { aws, account } = s;
  return {
    env: {},
    monitorEntry: () => {
      const url = s.refused() ? s.refusedUrl : aws.url;
      return { id: `aws-${mode}`, type: 'aws-iam', mode, accountId: ACCOUNT, endpoint: { iam: url, sts: url }, maxAttempts: 2, retryMode: 'standard', requestTimeout: '400ms', reportTimeout: '10s' };
    },
    inject,
    clear() {
      aws.clearFaults();
      aws.keys.set(KEY_ID, { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/mfawatch`, secret: SECRET_KEY });
      account.denied.clear();
      delete account.reportOverride;
      s.setRefused(false);
      restore();
    },
    makeRealChange() {
      const user = account.users.get('user0001');
      if (!user) throw new Error('the harness account lost user0001');
      user.devices = [];
      return { type: 'mfa_disabled', accountId: `arn:aws:iam::${ACCOUNT}:user/user0001` };
    },
    stop: () => stopAws(s),
  };
}

const NO_403_RATE_LIMIT = 'AWS throttles with the Throttling error code (the 429 row); it has no 403 rate limit';

/** Report mode: GenerateCredentialReport + GetCredentialReport (one base64 CSV, no pages). */
export const awsIamReportHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'aws-iam',
  name: 'aws-iam (report)',
  notApplicable: {
    rate_limit_primary_403: NO_403_RATE_LIMIT,
    rate_limit_secondary_403: NO_403_RATE_LIMIT,
    not_found_404: "report mode's calls are account-wide and name no entity that can vanish; a missing account or role answers AccessDenied (the 403 row)",
    missing_page: 'report mode reads one report in one answer: there are no pages (see aws-iam (live))',
  },
  as: {
    server_error: 'GetCredentialReport answers 500 InternalFailure',
    rate_limit_429: "GetCredentialReport answers the SDK's Throttling error (400, Rate exceeded) until its attempts run out",
    unauthorized_401: 'the access key was deleted or deactivated (403 InvalidClientTokenId)',
    permission_403: 'the policy no longer allows iam:GetCredentialReport (403 AccessDenied)',
    reset_mid_body: 'the GetCredentialReport answer is cut by a reset',
    timeout: 'GetCredentialReport hangs',
    truncated_body: 'the CSV inside a complete GetCredentialReport answer is cut mid-row',
    wrong_shape: 'a well-formed GetCredentialReport answer without Content',
    empty_list: 'the report lists only the root user where there were 250 users',
    short_last_page: 'the credential report cut at a line end: 240 of its 250 user rows, still a well-formed CSV',
    duplicate_across_pages: 'one user on two rows of the report',
  },
  async start() {
    const s = await startAws(250);
    const { aws, account } = s;
    const report = (r: RecordedRequest) => actionOf(r) === 'GetCredentialReport';
    let saved: FakeAccount['users'] | null = null;
    return run(
      s,
      'report',
      (fault) => {
        switch (fault) {
          case 'server_error':
            return aws.inject({ kind: 'status', status: 500, body: xmlError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 'Receiver'), headers: XML }, 1000, report);
          case 'rate_limit_429':
            // What FakeAws.throttle() answers, as an injected fault so that clear() ends it.
            return aws.inject({ kind: 'status', status: 400, body: xmlError('Throttling', 'Rate exceeded'), headers: XML }, 1000, report);
          case 'unauthorized_401':
            aws.keys.delete(KEY_ID);
            return;
          case 'permission_403':
            account.denied.add('iam:GetCredentialReport');
            return;
          case 'connection_refused':
            return s.setRefused(true);
          case 'reset_mid_body':
            return aws.inject({ kind: 'reset' }, 1000, report);
          case 'timeout':
            return aws.inject({ kind: 'hang' }, 1000, report);
          case 'truncated_body': {
            const csv = aws.csv(ACCOUNT);
            account.reportOverride = csv.slice(0, Math.floor(csv.length / 2));
            return;
          }
          case 'wrong_shape':
            return aws.inject({ kind: 'status', status: 200, body: xmlOk('GetCredentialReport', '<ReportFormat>text/csv</ReportFormat><GeneratedTime>2026-11-22T07:00:00Z</GeneratedTime>'), headers: XML }, 1000, report);
          case 'empty_list':
            saved = account.users;
            account.users = new Map();
            return;
          case 'duplicate_across_pages': {
            const lines = aws.csv(ACCOUNT).trimEnd().split('\n');
            account.reportOverride = `${[...lines, lines[5]].join('\n')}\n`;
            return;
          }
          case 'short_last_page': {
            const lines = aws.csv(ACCOUNT).trimEnd().split('\n');
            account.reportOverride = `${lines.slice(0, -10).join('\n')}\n`;
            return;
          }
          default:
            throw new Error(`aws-iam report harness: no injection for ${fault}`);
        }
      },
      () => {
        if (saved) account.users = saved;
        saved = null;
      },
    );
  },
};

/** Live mode: ListVirtualMFADevices, GetAccountSummary, ListUsers by Marker (1,000 a page) and per-user calls. */
export const awsIamLiveHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'aws-iam',
  name: 'aws-iam (live)',
  notApplicable: {
    rate_limit_primary_403: NO_403_RATE_LIMIT,
    rate_limit_secondary_403: NO_403_RATE_LIMIT,
    not_found_404: 'the one 404 of live mode, NoSuchEntity from GetLoginProfile, means "no console password" and is data, not a fault; a missing account or role answers AccessDenied (the 403 row)',
  },
  expectOverride: {
    short_last_page: { expect: 'failed', why: "GetAccountSummary counts the users, and a listing shorter than the count fails the scan" },
  },
  as: {
    server_error: 'ListUsers page 2 answers 503 ServiceUnavailable',
    rate_limit_429: "ListUsers page 2 answers the SDK's Throttling error (400, Rate exceeded) until its attempts run out",
    unauthorized_401: 'the access key was deleted or deactivated (403 InvalidClientTokenId)',
    permission_403: 'the policy no longer allows iam:GetLoginProfile, a per-user call (403 AccessDenied)',
    reset_mid_body: 'ListUsers page 2 is cut by a reset',
    timeout: 'ListUsers page 2 hangs',
    truncated_body: 'the XML of ListUsers page 2 is cut short',
    wrong_shape: 'ListUsers page 2 answers well-formed XML without its Users list',
    empty_list: 'ListUsers lists no user where there were 1,100',
    missing_page: 'ListUsers page 2 answered as an empty last page (IsTruncated false)',
    short_last_page: 'ListUsers page 2 (the last) answered with 90 of its 100 users, IsTruncated false',
    duplicate_across_pages: 'ListUsers page 2 answered with users of page 1',
  },
  async start() {
    const s = await startAws(1100);
    const { aws, account } = s;
    const pageTwo = (r: RecordedRequest) => actionOf(r) === 'ListUsers' && new URLSearchParams(r.body).has('Marker');
    let saved: FakeAccount['users'] | null = null;
    const userXml = (u: FakeIamUser & { userId: string }) =>
      `<member><Path>/</Path><UserName>${u.name}</UserName><UserId>${u.userId}</UserId><Arn>arn:aws:iam::${ACCOUNT}:user/${u.name}</Arn><CreateDate>2025-01-15T09:30:00Z</CreateDate></member>`;
    return run(
      s,
      'live',
      (fault) => {
        switch (fault) {
          case 'server_error':
            return aws.inject({ kind: 'status', status: 503, body: xmlError('ServiceUnavailable', 'Service is unable to handle request.', 'Receiver'), headers: XML }, 1000, pageTwo);
          case 'rate_limit_429':
            return aws.inject({ kind: 'status', status: 400, body: xmlError('Throttling', 'Rate exceeded'), headers: XML }, 1000, pageTwo);
          case 'unauthorized_401':
            aws.keys.delete(KEY_ID);
            return;
          case 'permission_403':
            account.denied.add('iam:GetLoginProfile');
            return;
          case 'connection_refused':
            return s.setRefused(true);
          case 'reset_mid_body':
            return aws.inject({ kind: 'reset' }, 1000, pageTwo);
          case 'timeout':
            return aws.inject({ kind: 'hang' }, 1000, pageTwo);
          case 'truncated_body':
            return aws.inject({ kind: 'truncate', body: xmlOk('ListUsers', '<Users><member><Path>/</Path><UserName>user1000</UserName>').slice(0, 200), contentType: 'text/xml' }, 1000, pageTwo);
          case 'wrong_shape':
            return aws.inject({ kind: 'status', status: 200, body: xmlOk('ListUsers', '<IsTruncated>false</IsTruncated>'), headers: XML }, 1000, pageTwo);
          case 'empty_list':
            saved = account.users;
            account.users = new Map();
            return;
          case 'missing_page':
            return aws.inject({ kind: 'status', status: 200, body: xmlOk('ListUsers', '<Users/><IsTruncated>false</IsTruncated>'), headers: XML }, 1000, pageTwo);
          case 'short_last_page':
            // The last page (users 1000-1099) answered with 90 users and IsTruncated false.
            return aws.inject({ kind: 'rewrite', rewrite: (a) => ({ ...a, body: a.body.replace(/(?:<member>(?:(?!<member>).)*?<\/member>){10}<\/Users>/s, '</Users>') }) }, 1000, pageTwo);
          case 'duplicate_across_pages': {
            const first = [...account.users.values()].slice(0, 100);
            return aws.inject({ kind: 'status', status: 200, body: xmlOk('ListUsers', `<Users>${first.map(userXml).join('')}</Users><IsTruncated>false</IsTruncated>`), headers: XML }, 1000, pageTwo);
          }
          default:
            throw new Error(`aws-iam live harness: no injection for ${fault}`);
        }
      },
      () => {
        if (saved) account.users = saved;
        saved = null;
      },
    );
  },
};

/** The responder: GetUser, then PutUserPolicy (AWSRevokeOlderSessions) on the linked user. */
export const awsIamResponderHarness: ResponderHarness = {
  kind: 'responder',
  type: 'aws-iam',
  notApplicable: {
    ...LISTING_NA,
    rate_limit_primary_403: NO_403_RATE_LIMIT,
    rate_limit_secondary_403: NO_403_RATE_LIMIT,
    not_found_404: 'NoSuchEntity from GetUser means the linked user is gone: outcome not_found, said as such, not a fault',
  },
  as: {
    server_error: 'PutUserPolicy answers 503 ServiceUnavailable until the SDK\'s attempts run out',
    rate_limit_429: "PutUserPolicy answers the SDK's Throttling error (400, Rate exceeded) until its attempts run out",
    unauthorized_401: 'the access key was deleted or deactivated (403 InvalidClientTokenId)',
    permission_403: 'the policy no longer allows iam:PutUserPolicy (403 AccessDenied)',
    reset_mid_body: 'the PutUserPolicy answer is cut by a reset',
    timeout: 'PutUserPolicy hangs',
    truncated_body: 'the XML of the GetUser answer is cut short',
    wrong_shape: 'a well-formed GetUser answer without its User',
  },
  async start() {
    const s = await startAws(3);
    const { aws } = s;
    aws.addUser(ACCOUNT, { name: 'alice', password: true, devices: ['virtual'] });
    const action = (name: string) => (r: RecordedRequest) => actionOf(r) === name;
    return runOf({
      server: aws,
      env: {},
      linking: {
        monitorEntry: () => ({ id: 'aws-acme', type: 'aws-iam', mode: 'report', accountId: ACCOUNT, endpoint: { iam: aws.url, sts: aws.url }, maxAttempts: 2, requestTimeout: '400ms', reportTimeout: '10s' }),
        identities: { 'aws-iam:alice': ALICE },
      },
      kills: () => aws.policiesPut.filter((p) => p.user === 'alice' && p.policy === 'AWSRevokeOlderSessions').length,
      entry: (url) => ({ id: 'aws-kill', type: 'aws-iam', accountId: ACCOUNT, endpoint: url, maxAttempts: 2, requestTimeout: '400ms' }),
      kill: action('PutUserPolicy'),
      read: action('GetUser'),
      faults: {
        server_error: { fault: { kind: 'status', status: 503, body: xmlError('ServiceUnavailable', 'Service is unable to handle request.', 'Receiver'), headers: XML }, on: 'kill' },
        rate_limit_429: { fault: { kind: 'status', status: 400, body: xmlError('Throttling', 'Rate exceeded'), headers: XML }, on: 'kill' },
        unauthorized_401: { apply: () => aws.keys.delete(KEY_ID) },
        permission_403: { apply: () => s.account.denied.add('iam:PutUserPolicy') },
        reset_mid_body: { fault: { kind: 'reset' }, on: 'kill' },
        timeout: { fault: { kind: 'hang' }, on: 'kill' },
        truncated_body: { fault: { kind: 'truncate', body: xmlOk('GetUser', `<User><Path>/</Path><UserName>alice</UserName><Arn>arn:aws:iam::${ACCOUNT}:us`).slice(0, 220), contentType: 'text/xml' }, on: 'read' },
        wrong_shape: { fault: json(200, xmlOk('GetUser', ''), XML), on: 'read' },
      },
      reset: () => {
        aws.keys.set(KEY_ID, { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/mfawatch`, secret: SECRET_KEY });
        s.account.denied.clear();
      },
      cleanup: () => {
        delete process.env.AWS_ACCESS_KEY_ID;
        delete process.env.AWS_SECRET_ACCESS_KEY;
        delete process.env.AWS_EC2_METADATA_DISABLED;
      },
    });
  },
};
