/**
 * AWS IAM monitor: every IAM user's MFA and the root user's MFA, for one AWS account (default
 * credentials) or many (STS AssumeRole into an audit role per account). Each AWS account is its
 * own scope: it is scanned and committed on its own, so one failing account never touches another.
 *
 * Two ways to read MFA state (see README.md for the call counts and permissions):
 *   report: GenerateCredentialReport (polled with backoff until COMPLETE) + GetCredentialReport:
 *           a constant number of calls whatever the number of users; data up to 4 hours old.
 *   live:   ListUsers + GetAccountSummary (+ ListVirtualMFADevices for root's device kind), then
 *           per user GetLoginProfile, ListAccessKeys and, for console users, ListMFADevices.
 *
 * Events (README.md, "Events"): `events.sqs` reads CloudTrail's IAM calls and console sign-ins
 * from an SQS queue (sqs-source.ts, cloudtrail.ts); `readAccount` verifies one user with the same
 * reads the scan of the configured mode makes (read-account.ts).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetUserCommand,
  IAMClient,
  ListAccountAliasesCommand,
  ListUsersCommand,
  type EntityType,
  type IAMClientConfig,
  type User,
} from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import type { AccountReading, AccountRef, EventSource } from '../events.js';
import { awsErrorCode, classifyAwsError as classifyForCaller, PROVIDER, type AwsCaller } from '../../src/aws/errors.js';
import { endpointFor } from '../../src/aws/endpoints.js';
import { organizationAccounts } from './organizations.js';
import { mapWithConcurrency } from '../../src/cycle.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { accountOfRoleArn, awsIamConfigSchema, type AwsAccountEntry, type AwsIamConfig } from './config.js';
import { parseCredentialReport, ReportFormatError, type ReportRow } from './credential-report.js';
import { AdminFinder } from './admins.js';
import {
  accountSummary, emailOf, isNoSuchEntity, listIn, readUserCredentials, reportCredentials, rootReading, taggedEmail, userObservation, virtualDeviceOwners,
  type IamCalls, type IamSession, type UserCredentialReading,
} from './read-account.js';
import { createSqsEventSource } from './sqs-source.js';

export { factorOfSerial } from './read-account.js';

const README = 'see monitors/aws-iam/README.md';

/** The advice in this monitor's AWS errors. */
const SCAN_CALLER: AwsCaller = {
  readme: README,
  again: 'the scan will run again on schedule',
  timeouts: 'requestTimeout/scanDeadline',
  throttling: 'raise maxAttempts or scan less often',
  aborts: 'scan deadline or shutdown',
  unchanged: 'nothing was committed',
};
const classifyAwsError = (err: unknown, action: string, account: string) => classifyForCaller(err, action, account, SCAN_CALLER);

/** The advice in the AWS errors of a verification (readAccount). */
const READ_CALLER: AwsCaller = {
  readme: README,
  again: 'the verification is retried with backoff, and the next scan reconciles',
  timeouts: 'requestTimeout',
  throttling: 'raise maxAttempts; many events at once are coalesced per user',
  aborts: 'shutdown',
  unchanged: 'nothing was committed',
};

/** What GetAccountAuthorizationDetails said of the users: tagged emails and administrators, keyed by ARN. */
interface UserDirectory {
  emails: Map<string, string>;
  admins: Set<string>;
}

/** Largest page IAM list calls allow (MaxItems). */
const PAGE_SIZE = 1000;
/** Per-user calls in flight at once in live mode (IAM throttles bursts per account). */
const LIVE_CONCURRENCY = 4;
/** First and longest wait between GenerateCredentialReport polls. */
const POLL_FIRST_MS = 2_000;
const POLL_MAX_MS = 15_000;
const IAM_USER_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

type Credentials = NonNullable<IAMClientConfig['credentials']>;

/** Knobs for tests and embedding: base credentials and the SDK retry strategy. */
export interface AwsIamTuning {
  /** Base credentials (default: the SDK's default provider chain, honouring `profile`). */
  credentials?: Credentials;
  /** Overrides maxAttempts/retryMode with a ready strategy (tests use one with tiny delays). */
  retryStrategy?: IAMClientConfig['retryStrategy'];
}

/** One AWS account this instance scans. */
interface AccountTarget {
  accountId: string | undefined;
  label: string;
  role: AwsAccountEntry | undefined;
}

/** What an account's scan learned before yielding users. */
type Session = IamSession;

/** The endpoint overrides per service (src/aws/endpoints.ts: a string applies to all). */
function endpoints(config: AwsIamConfig): { iam?: string | undefined; sts?: string | undefined; organizations?: string | undefined } {
  return { iam: endpointFor(config.endpoint, 'iam'), sts: endpointFor(config.endpoint, 'sts'), organizations: endpointFor(config.endpoint, 'organizations') };
}

/** Creates the monitor for one AWS account or a list of accounts. */
export function createAwsIamMonitor(config: AwsIamConfig, deps: ModuleDeps, tuning: AwsIamTuning = {}): Monitor {
  const urls = endpoints(config);
  const targets = new Map<string, AccountTarget>();
  if (config.accounts) {
    for (const role of config.accounts) {
      const id = accountOfRoleArn(role.roleArn);
      targets.set(id, { accountId: id, label: role.label ?? id, role });
    }
  } else if (config.accountId) {
    targets.set(config.accountId, { accountId: config.accountId, label: config.accountId, role: undefined });
  }
  /** Single account, id not configured: learned from STS GetCallerIdentity before each cycle. */
  const discovers = !config.accounts && !config.accountId && !config.organization;
  let discovered: ScopeInfo | undefined;

  function clientConfig(ctx: ScanContext | undefined, endpoint: string | undefined, credentials: Credentials | undefined) {
    return {
      region: config.region,
      ...(endpoint ? { endpoint } : {}),
      ...(credentials ? { credentials } : config.profile ? { profile: config.profile } : {}),
      ...(tuning.retryStrategy ? { retryStrategy: tuning.retryStrategy } : { maxAttempts: config.maxAttempts, retryMode: config.retryMode }),
      // throwOnRequestTimeout: without it the SDK only logs a warning and keeps waiting.
      requestHandler: { requestTimeout: config.requestTimeout, connectionTimeout: Math.min(config.requestTimeout, 10_000), throwOnRequestTimeout: true },
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: (...args: unknown[]) => (ctx?.logger ?? deps.logger).debug({ sdk: 'aws' }, String(args[0])),
        error: (...args: unknown[]) => (ctx?.logger ?? deps.logger).debug({ sdk: 'aws' }, String(args[0])),
      },
    };
  }

  /** Counts every attempt on the wire (retries included): the deserialize step runs inside the retry loop. */
  function counted<T extends IAMClient | STSClient>(client: T, ctx: ScanContext | undefined): T {
    if (ctx) {
      // IAMClient and STSClient share the middleware stack shape; one typing serves both.
      (client as unknown as IAMClient).middlewareStack.add(
        (next) => async (args) => {
          ctx.countRequest();
          return next(args);
        },
        { step: 'deserialize', name: 'mfawatchCountRequests', priority: 'low' },
      );
    }
    return client;
  }

  function sts(ctx: ScanContext | undefined, credentials?: Credentials): STSClient {
    return counted(new STSClient(clientConfig(ctx, urls.sts, credentials ?? tuning.credentials)), ctx);
  }

  async function callerAccount(ctx: ScanContext | undefined, signal: AbortSignal): Promise<{ account: string; partition: string }> {
    const client = sts(ctx);
    try {
      const out = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      if (!out.Account || !/^\d{12}$/.test(out.Account)) {
        throw new ProviderError('STS GetCallerIdentity answered without an account id', { reason: 'malformed', provider: PROVIDER, hint: 'check the "endpoint.sts" override; nothing was committed' });
      }
      return { account: out.Account, partition: out.Arn?.split(':')[1] || 'aws' };
    } catch (err) {
      throw classifyAwsError(err, 'sts:GetCallerIdentity', 'of the configured credentials');
    } finally {
      client.destroy();
    }
  }

  /** Opens an IAM session in the scope's account: AssumeRole, or the default credentials checked with GetCallerIdentity. */
  async function open(scope: ScopeInfo, ctx: ScanContext): Promise<Session> {
    const target = targets.get(scope.id);
    const role = target?.role;
    if (!role) {
      const { account: actual, partition } = await callerAccount(ctx, ctx.signal);
      if (scope.id && actual !== scope.id) {
        throw new ProviderError(`the AWS credentials belong to account ${actual}, not ${scope.id}`, {
          reason: 'permission', provider: PROVIDER, hint: `fix "accountId" or the credentials/profile mfawatch runs with; nothing was committed (${README})`,
        });
      }
      return { accountId: actual, partition, iam: counted(new IAMClient(clientConfig(ctx, urls.iam, tuning.credentials)), ctx) };
    }
    const client = sts(ctx);
    try {
      const out = await client.send(
        new AssumeRoleCommand({ RoleArn: role.roleArn, RoleSessionName: role.sessionName ?? 'mfawatch', ...(role.externalId ? { ExternalId: role.externalId } : {}) }),
        { abortSignal: ctx.signal },
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
        throw new ProviderError(`STS AssumeRole of ${role.roleArn} answered without credentials`, { reason: 'malformed', provider: PROVIDER, hint: 'check the "endpoint.sts" override; nothing was committed' });
      }
      const assumedAccount = out.AssumedRoleUser?.Arn?.split(':')[4];
      if (assumedAccount && assumedAccount !== scope.id) {
        throw new ProviderError(`assuming ${role.roleArn} gave a session in account ${assumedAccount}, not ${scope.id}`, { reason: 'permission', provider: PROVIDER, hint: README });
      }
      const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, ...(c.Expiration ? { expiration: c.Expiration } : {}) };
      return { accountId: scope.id, partition: role.roleArn.split(':')[1] ?? 'aws', iam: counted(new IAMClient(clientConfig(ctx, urls.iam, credentials)), ctx) };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      const code = awsErrorCode(err);
      if (code === 'AccessDenied') {
        throw new ProviderError(`STS refused to let mfawatch assume ${role.roleArn} (AccessDenied)`, {
          reason: 'permission', provider: PROVIDER, status: (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, cause: err,
          hint: `allow sts:AssumeRole on this role for mfawatch's identity, and check the role's trust policy${role.externalId ? ' and its sts:ExternalId condition' : ''} (${README}, "The cross-account audit role")`,
        });
      }
      throw classifyAwsError(err, 'sts:AssumeRole', scope.id);
    } finally {
      client.destroy();
    }
  }

  async function call<T>(action: string, account: string, ctx: ScanContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw classifyAwsError(err, action, account);
    }
  }

  /** The account alias, or undefined when there is none or it may not be read. */
  async function alias(s: Session, ctx: ScanContext): Promise<string | undefined> {
    try {
      const out = await s.iam.send(new ListAccountAliasesCommand({}), { abortSignal: ctx.signal });
      return out.AccountAliases?.[0];
    } catch (err) {
      if (awsErrorCode(err) !== 'AccessDenied') throw classifyAwsError(err, 'iam:ListAccountAliases', s.accountId);
      ctx.logger.info({ account: s.accountId }, 'iam:ListAccountAliases is not allowed; alerts show the account id without its alias');
      return undefined;
    }
  }

  /**
   * What one GetAccountAuthorizationDetails listing (1,000 entities per call) says of the users:
   * the email of the configured tag, and with detectAdmins which of them are administrators
   * (users, groups and customer managed policies, see admins.ts). Not called when neither is on.
   */
  async function userDirectory(s: Session, ctx: ScanContext): Promise<UserDirectory> {
    const directory: UserDirectory = { emails: new Map(), admins: new Set() };
    if (!config.emailTag && !config.detectAdmins) return directory;
    const finder = new AdminFinder();
    const Filter: EntityType[] = config.detectAdmins ? ['User', 'Group', 'LocalManagedPolicy'] : ['User'];
    let marker: string | undefined;
    do {
      const out = await call('iam:GetAccountAuthorizationDetails', s.accountId, ctx, () =>
        s.iam.send(new GetAccountAuthorizationDetailsCommand({ Filter, MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }),
      );
      const users = listIn(out.UserDetailList, 'GetAccountAuthorizationDetails', 'UserDetailList', s.accountId);
      for (const u of users) {
        const email = config.emailTag ? taggedEmail(u.Tags?.find((t) => t.Key === config.emailTag)?.Value) : undefined;
        if (u.Arn && email) directory.emails.set(u.Arn, email);
      }
      if (config.detectAdmins) finder.add(out);
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated && !marker) throw truncatedWithoutMarker('GetAccountAuthorizationDetails', s.accountId);
    } while (marker);
    if (config.detectAdmins) directory.admins = finder.admins();
    return directory;
  }

  function truncatedWithoutMarker(action: string, account: string): ProviderError {
    return new ProviderError(`IAM ${action} in account ${account} said IsTruncated without a Marker`, { reason: 'malformed', provider: PROVIDER, hint: 'the listing cannot be completed; nothing was committed' });
  }

  function observeUser(name: string, arn: string, reading: UserCredentialReading, directory: UserDirectory): Observation {
    return userObservation(name, arn, reading, emailOf(name, directory.emails.get(arn)), directory.admins.has(arn));
  }

  /** IAM calls of a scan: its signal, its error advice; a denied ListAccessKeys is a caveat, said once. */
  function scanCalls(s: Session, ctx: ScanContext): IamCalls {
    let warned = false;
    return {
      signal: ctx.signal,
      call: (action, run) => call(action, s.accountId, ctx, run),
      onKeysDenied: () => {
        if (warned) return;
        warned = true;
        ctx.warn(`iam:ListAccessKeys is not allowed in account ${s.accountId}: new access keys are not detected (credential_added); allow it (${README}, "IAM policy")`);
      },
    };
  }

  /** Asks AWS for a credential report and waits, with backoff, until it is COMPLETE or the deadline passes. */
  async function credentialReport(s: Session, ctx: ScanContext): Promise<{ rows: ReportRow[]; generatedAt: Date }> {
    const deadline = Math.min(Date.now() + config.reportTimeout, ctx.deadline.getTime());
    let wait = POLL_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      const gen = await call('iam:GenerateCredentialReport', s.accountId, ctx, () => s.iam.send(new GenerateCredentialReportCommand({}), { abortSignal: ctx.signal }));
      if (gen.State === 'COMPLETE') {
        try {
          const out = await s.iam.send(new GetCredentialReportCommand({}), { abortSignal: ctx.signal });
          return readReport(out.Content, out.ReportFormat, out.GeneratedTime, s.accountId);
        } catch (err) {
          const code = awsErrorCode(err);
          // Generated between our two calls, or expired in between: ask again.
          if (code !== 'ReportInProgress' && code !== 'ReportNotPresent' && code !== 'ReportExpired') throw classifyAwsError(err, 'iam:GetCredentialReport', s.accountId);
          ctx.logger.debug({ account: s.accountId, code }, 'credential report not ready after COMPLETE; polling again');
        }
      } else if (gen.State !== 'STARTED' && gen.State !== 'INPROGRESS') {
        throw new ProviderError(`IAM GenerateCredentialReport in account ${s.accountId} answered the unknown state ${JSON.stringify(gen.State ?? null)}`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
      }
      if (Date.now() + wait > deadline) {
        throw new ProviderError(`the credential report of account ${s.accountId} was still being generated after ${attempt} polls`, {
          reason: 'timeout', provider: PROVIDER, hint: 'AWS can take minutes for accounts with many users: raise reportTimeout (and scanDeadline); nothing was committed',
        });
      }
      ctx.logger.debug({ account: s.accountId, state: gen.State, waitMs: wait }, 'credential report being generated');
      await deps.sleep(wait, ctx.signal);
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
  }

  function readReport(content: Uint8Array | undefined, format: string | undefined, generated: Date | undefined, accountId: string): { rows: ReportRow[]; generatedAt: Date } {
    const fail = (what: string) =>
      new ProviderError(`the credential report of account ${accountId} cannot be read: ${what}`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan fetches it again (a proxy may be cutting answers)' });
    if (!content || content.length === 0) throw fail('GetCredentialReport returned no Content');
    if (format !== undefined && format !== 'text/csv') throw fail(`ReportFormat is ${JSON.stringify(format)}, not text/csv`);
    if (!(generated instanceof Date) || Number.isNaN(generated.getTime())) throw fail('GetCredentialReport returned no GeneratedTime');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw fail('Content is not UTF-8 text');
    }
    try {
      return { rows: parseCredentialReport(text, accountId), generatedAt: generated };
    } catch (err) {
      if (err instanceof ReportFormatError) throw fail(err.message);
      throw err;
    }
  }

  /**
   * IAM's count of users (GetAccountSummary `Users`), or undefined when the policy does not allow
   * iam:GetAccountSummary (it is optional in report mode: without it, removals wait for a second
   * scan to agree).
   */
  async function userCount(s: Session, ctx: ScanContext): Promise<number | undefined> {
    try {
      return (await s.iam.send(new GetAccountSummaryCommand({}), { abortSignal: ctx.signal })).SummaryMap?.Users;
    } catch (err) {
      if (awsErrorCode(err) !== 'AccessDenied') throw classifyAwsError(err, 'iam:GetAccountSummary', s.accountId);
      ctx.logger.info({ account: s.accountId }, 'iam:GetAccountSummary is not allowed; a user missing from the credential report is removed only when the next scan agrees');
      return undefined;
    }
  }

  async function* scanReport(s: Session, ctx: ScanContext): AsyncGenerator<Observation> {
    const report = await credentialReport(s, ctx);
    const directory = await userDirectory(s, ctx);
    ctx.setDataAsOf(report.generatedAt);
    // A report cut at a line end parses as a shorter one. When its user rows match IAM's count, it
    // is whole and its removals are committed at once; otherwise (a cut report, or users created
    // or deleted since it was generated) they wait for the next scan to agree.
    const counted = await userCount(s, ctx);
    if (counted !== undefined && counted === report.rows.filter((r) => !r.root).length) ctx.listingCounted?.();
    for (const row of report.rows) {
      if (row.root) {
        // Root MFA matters whatever the password column says (it is always not_supported for
        // root): an account without a root password can still get one by password recovery.
        yield rootReading(row.arn, row.mfaActive, 'report', null);
        continue;
      }
      // Without a console password the user cannot sign in to the console: MFA does not apply.
      const mfa: MfaState = row.passwordEnabled ? (row.mfaActive ? 'enabled' : 'disabled') : 'not_applicable';
      // The report says whether MFA is active, not which devices: no factor detail in this mode.
      yield observeUser(row.user, row.arn, { mfa, factors: [], credentials: reportCredentials(row.passwordEnabled, row.accessKeysActive) }, directory);
    }
  }

  /** One user in live mode: the same reads as a verification (read-account.ts). */
  async function liveUser(s: Session, calls: IamCalls, user: User & { UserName: string; Arn: string }, directory: UserDirectory): Promise<Observation> {
    return observeUser(user.UserName, user.Arn, await readUserCredentials(s, calls, user.UserName, 'live'), directory);
  }

  async function* scanLive(s: Session, ctx: ScanContext): AsyncGenerator<Observation> {
    const calls = scanCalls(s, ctx);
    const summary = await accountSummary(s, calls);
    // Only root's device kind needs the virtual devices; users' come from their own ListMFADevices.
    const virtual = summary.rootMfa ? await virtualDeviceOwners(s, calls) : null;
    const directory = await userDirectory(s, ctx);
    yield rootReading(`arn:${s.partition}:iam::${s.accountId}:root`, summary.rootMfa, 'live', virtual);
    let marker: string | undefined;
    let listed = 0;
    do {
      const out = await call('iam:ListUsers', s.accountId, ctx, () => s.iam.send(new ListUsersCommand({ MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }));
      const users = listIn(out.Users, 'ListUsers', 'Users', s.accountId).filter((u): u is User & { UserName: string; Arn: string } => {
        if (!u.UserName || !u.Arn) throw new ProviderError(`IAM ListUsers in account ${s.accountId} returned a user without UserName or Arn`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
        return true;
      });
      const page = await mapWithConcurrency(users, LIVE_CONCURRENCY, (u) => liveUser(s, calls, u, directory));
      yield* page;
      listed += users.length;
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated && !marker) throw truncatedWithoutMarker('ListUsers', s.accountId);
    } while (marker);
    // Marker pages carry no total: a page lost on the way (answered as the last one) reads as a
    // shorter list, and its users as removed. GetAccountSummary counts the users: fewer listed
    // means a lost page, or users deleted during the scan (the count lags by seconds); either
    // way the next scan reads a settled list.
    const counted = summary.users;
    if (counted !== undefined && listed < counted) {
      throw new ProviderError(`IAM ListUsers in account ${s.accountId} listed ${listed} users where GetAccountSummary counts ${counted}: a page was lost, or users were deleted during the scan`, {
        reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry',
      });
    }
    if (counted === listed) ctx.listingCounted?.();
  }

  const organization = config.organization;
  /** `organization`: the accounts listed by Organizations become the targets (organizations.ts). */
  async function resolveOrganization(organization: NonNullable<AwsIamConfig['organization']>, signal: AbortSignal): Promise<readonly ScopeInfo[]> {
    const client = new OrganizationsClient(clientConfig(undefined, urls.organizations, tuning.credentials));
    try {
      let denied: { code: string; err: unknown } | undefined;
      const accounts = await organizationAccounts(client, organization, signal, (err, action) => {
        const code = awsErrorCode(err);
        if (code === 'AccessDeniedException' || code === 'AWSOrganizationsNotInUseException') denied = { code, err };
        return classifyAwsError(err, action, 'the organization');
      }).catch(async (err: unknown) => {
        if (!denied) throw err;
        // Name the account the call came from: the fix depends on it.
        const from = await callerAccount(undefined, signal).then((c) => `account ${c.account}`, () => 'the credentials\' account');
        throw new ProviderError(`AWS Organizations refused organizations:ListAccounts from ${from} (${denied.code})`, {
          reason: 'permission', provider: PROVIDER, cause: denied.err,
          hint: `ListAccounts works only from the organization's management account or a delegated administrator, with organizations:ListAccounts allowed; nothing was committed (${README}, "AWS Organizations")`,
        });
      });
      const before = new Set(targets.keys());
      targets.clear();
      for (const a of accounts) targets.set(a.id, { accountId: a.id, label: a.name, role: a.role });
      const added = accounts.filter((a) => !before.has(a.id));
      if (before.size > 0 && added.length > 0) deps.logger.info({ accounts: added.map((a) => a.id) }, `${added.length} new account(s) in the organization: now watched`);
      return accounts.map((a) => ({ id: a.id, label: a.name }));
    } finally {
      client.destroy();
    }
  }


  /** A context for the calls of one verification: no scan deadline of its own, nothing counted. */
  function readingContext(signal: AbortSignal): ScanContext {
    return {
      signal, deadline: new Date(Date.now() + config.requestTimeout * config.maxAttempts), logger: deps.logger,
      setDataAsOf: () => undefined, setScopeLabel: () => undefined, warn: () => undefined, countRequest: () => undefined, reportRateLimit: () => undefined,
    };
  }

  /**
   * Re-reads one IAM user (GetUser, then the scan mode's per-user reads) or the root user
   * (GetAccountSummary), so that the reading equals what the next scan sees of that account.
   * `gone` only on IAM's NoSuchEntity for the user, or when the name now belongs to a user with
   * another ARN (another path: the ARN asked about no longer exists).
   */
  async function readAccount(scope: ScopeInfo, account: AccountRef, signal: AbortSignal): Promise<AccountReading> {
    const ctx = readingContext(signal);
    const session = await open(scope, ctx);
    try {
      const calls: IamCalls = {
        signal,
        call: async (action, run) => {
          try {
            return await run();
          } catch (err) {
            throw classifyForCaller(err, action, session.accountId, READ_CALLER);
          }
        },
      };
      // Root is named by its ARN, or by the login 'root' alone (the login every root observation
      // has). An IAM user literally named "root" is then reachable by its ARN only.
      const rootArn =
        account.accountId !== undefined && ROOT_ARN.test(account.accountId)
          ? account.accountId
          : account.accountId === undefined && account.login === 'root'
            ? `arn:${session.partition}:iam::${session.accountId}:root`
            : undefined;
      if (rootArn !== undefined) {
        if (rootArn.split(':')[4] !== session.accountId) throw foreignAccount(account, session.accountId);
        const summary = await accountSummary(session, calls);
        const virtual = config.mode === 'live' && summary.rootMfa ? await virtualDeviceOwners(session, calls) : null;
        return { status: 'present', observation: rootReading(rootArn, summary.rootMfa, config.mode, virtual) };
      }
      const fromArn = account.accountId !== undefined ? IAM_USER_ARN.exec(account.accountId) : null;
      if (account.accountId !== undefined && (!fromArn || fromArn[1] !== session.accountId)) throw foreignAccount(account, session.accountId);
      const name = account.login ?? fromArn?.[2];
      if (name === undefined || !USER_NAME.test(name)) {
        throw new ProviderError(`cannot verify ${JSON.stringify(String(name ?? account.accountId ?? '')).slice(0, 80)}: not an IAM user name`, { reason: 'client', provider: PROVIDER, hint: 'the event named no IAM user; the next scan reconciles' });
      }
      let user: User;
      try {
        const out = await session.iam.send(new GetUserCommand({ UserName: name }), { abortSignal: signal });
        if (!out.User?.Arn || !out.User.UserName) throw new ProviderError(`IAM GetUser in account ${session.accountId} answered without the user's Arn`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
        user = out.User;
      } catch (err) {
        if (isNoSuchEntity(err)) return { status: 'gone', account };
        return calls.call('iam:GetUser', () => Promise.reject(err));
      }
      const arn = user.Arn as string;
      if (account.accountId !== undefined && account.accountId !== arn) return { status: 'gone', account };
      const reading = await readUserCredentials(session, calls, name, config.mode);
      let email = config.emailTag ? taggedEmail(user.Tags?.find((t) => t.Key === config.emailTag)?.Value) : undefined;
      let admin = false;
      if (config.detectAdmins) {
        // The scan's own listing, so that the flag is decided exactly as the scan decides it.
        const directory = await userDirectory(session, ctx);
        admin = directory.admins.has(arn);
        email = directory.emails.get(arn) ?? email;
      }
      return { status: 'present', observation: userObservation(user.UserName as string, arn, reading, emailOf(user.UserName as string, email), admin) };
    } finally {
      session.iam.destroy();
    }
  }

  function foreignAccount(account: AccountRef, scope: string): ProviderError {
    return new ProviderError(`cannot verify ${String(account.accountId).slice(0, 120)} in AWS account ${scope}: it is not an IAM user or root of that account`, { reason: 'client', provider: PROVIDER, hint: 'the event was routed to the wrong scope; nothing was committed' });
  }

  /** The account ids events may be routed to (a discovering instance learns its own once). */
  async function eventScopes(signal: AbortSignal): Promise<ReadonlySet<string>> {
    if (discovers && !discovered) {
      const { account: id } = await callerAccount(undefined, signal);
      discovered = { id, label: id };
    }
    return new Set(discovers ? (discovered ? [discovered.id] : []) : targets.keys());
  }

  const sources: readonly EventSource[] = config.events?.sqs
    ? [createSqsEventSource({
        sqs: config.events.sqs, region: config.region, profile: config.profile, credentials: tuning.credentials, retryStrategy: tuning.retryStrategy,
        maxAttempts: config.maxAttempts, retryMode: config.retryMode, requestTimeout: config.requestTimeout, logger: deps.logger,
        scopes: eventScopes, readingsSeeFactors: config.mode === 'live',
      })]
    : [];

  return {
    readAccount,
    eventSources: () => sources,
    scopes: () => (discovers ? (discovered ? [discovered] : []) : [...targets.entries()].map(([id, t]) => ({ id, label: t.label }))),
    ...(organization ? { resolveScopes: (signal: AbortSignal) => resolveOrganization(organization, signal) } : {}),
    ...(discovers
      ? {
          async resolveScopes(signal: AbortSignal): Promise<readonly ScopeInfo[]> {
            const { account: id } = await callerAccount(undefined, signal);
            discovered = { id, label: discovered?.id === id ? discovered.label : id };
            return [discovered];
          },
        }
      : {}),
    async *scan(scope: ScopeInfo, ctx: ScanContext): AsyncGenerator<Observation> {
      const session = await open(scope, ctx);
      try {
        const name = await alias(session, ctx);
        if (name) {
          const label = `${name} (${session.accountId})`;
          ctx.setScopeLabel(label);
          if (discovered?.id === session.accountId) discovered = { ...discovered, label };
        }
        yield* config.mode === 'live' ? scanLive(session, ctx) : scanReport(session, ctx);
      } finally {
        session.iam.destroy();
      }
    },
  };
}

/** The `aws-iam` monitor module, for the registry. */
export const awsIamMonitor: MonitorModule<AwsIamConfig> = {
  type: 'aws-iam',
  provider: PROVIDER,
  configSchema: awsIamConfigSchema,
  secretKeys: [],
  dataAsOfLabel: 'credential report generated',
  create: (config, deps) => createAwsIamMonitor(config, deps),
};
