/**
 * AWS IAM monitor: every IAM user's MFA and the root user's MFA, for one AWS account (default
 * credentials) or many (STS AssumeRole into an audit role per account). Each AWS account is its
 * own scope: it is scanned and committed on its own, so one failing account never touches another.
 *
 * Two ways to read MFA state (see README.md for the call counts and permissions):
 *   report: GenerateCredentialReport (polled with backoff until COMPLETE) + GetCredentialReport:
 *           a constant number of calls whatever the number of users; data up to 4 hours old.
 *   live:   ListUsers + ListVirtualMFADevices + GetAccountSummary, then per user GetLoginProfile
 *           and, for console users without a virtual device, ListMFADevices.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */
import {
  GenerateCredentialReportCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetLoginProfileCommand,
  IAMClient,
  ListAccountAliasesCommand,
  ListMFADevicesCommand,
  ListUsersCommand,
  ListVirtualMFADevicesCommand,
  type EntityType,
  type IAMClientConfig,
  type User,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { awsErrorCode, classifyAwsError as classifyForCaller, PROVIDER, type AwsCaller } from '../../src/aws/errors.js';
import { mapWithConcurrency } from '../../src/cycle.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { accountOfRoleArn, awsIamConfigSchema, type AwsAccountEntry, type AwsIamConfig } from './config.js';
import { parseCredentialReport, ReportFormatError, type ReportRow } from './credential-report.js';
import { AdminFinder } from './admins.js';

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
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

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
interface Session {
  accountId: string;
  /** aws, aws-cn or aws-us-gov: the ARN partition of the account. */
  partition: string;
  iam: IAMClient;
}

function endpoints(config: AwsIamConfig): { iam?: string; sts?: string } {
  if (config.endpoint === undefined) return {};
  if (typeof config.endpoint === 'string') return { iam: config.endpoint };
  return { ...(config.endpoint.iam ? { iam: config.endpoint.iam } : {}), ...(config.endpoint.sts ? { sts: config.endpoint.sts } : {}) };
}

/** The AWS console's host for an ARN's partition. */
function consoleBase(arn: string): string | null {
  const partition = arn.split(':')[1];
  if (partition === 'aws') return 'https://console.aws.amazon.com';
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return null;
}

/** The factor a device's serial number reveals: virtual (authenticator app), FIDO security key or hardware TOTP token. */
export function factorOfSerial(serial: string): string {
  if (/^arn:aws[a-z-]*:iam::\d{12}:mfa\//.test(serial)) return 'virtual';
  if (/^arn:aws[a-z-]*:iam::\d{12}:u2f\//.test(serial)) return 'security_key';
  return 'hardware_totp';
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
  const discovers = !config.accounts && !config.accountId;
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
        const value = config.emailTag ? u.Tags?.find((t) => t.Key === config.emailTag)?.Value?.trim() : undefined;
        if (u.Arn && value && EMAIL.test(value)) directory.emails.set(u.Arn, value.toLowerCase());
      }
      if (config.detectAdmins) finder.add(out);
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated && !marker) throw truncatedWithoutMarker('GetAccountAuthorizationDetails', s.accountId);
    } while (marker);
    if (config.detectAdmins) directory.admins = finder.admins();
    return directory;
  }

  /**
   * The list of a listing answer. IAM always sends the element, empty or not (`<Users/>`); an
   * answer without it is not one mfawatch can read. Read as "no entries", it would drop a page of
   * users (reported removed) or a user's devices (reported as MFA disabled).
   */
  function listIn<T>(list: T[] | undefined, action: string, element: string, account: string): T[] {
    if (list === undefined) {
      throw new ProviderError(`IAM ${action} in account ${account} answered without its ${element} list`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers, or the endpoint is not IAM; nothing was committed' });
    }
    return list;
  }

  function truncatedWithoutMarker(action: string, account: string): ProviderError {
    return new ProviderError(`IAM ${action} in account ${account} said IsTruncated without a Marker`, { reason: 'malformed', provider: PROVIDER, hint: 'the listing cannot be completed; nothing was committed' });
  }

  function emailOf(userName: string, arn: string, directory: UserDirectory): string | null {
    return directory.emails.get(arn) ?? (EMAIL.test(userName) ? userName.toLowerCase() : null);
  }

  function userObservation(name: string, arn: string, mfa: MfaState, factors: string[], directory: UserDirectory): Observation {
    const base = consoleBase(arn);
    return { accountId: arn, login: name, email: emailOf(name, arn, directory), kind: 'iam_user', admin: directory.admins.has(arn), mfa, factors, url: base ? `${base}/iam/home#/users/details/${encodeURIComponent(name)}` : null };
  }

  function rootObservation(arn: string, mfa: MfaState, factors: string[]): Observation {
    const base = consoleBase(arn);
    return { accountId: arn, login: 'root', kind: 'root', admin: true, mfa, factors, url: base ? `${base}/iam/home#/security_credentials` : null };
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
        yield rootObservation(row.arn, row.mfaActive ? 'enabled' : 'disabled', []);
        continue;
      }
      // Without a console password the user cannot sign in to the console: MFA does not apply.
      const mfa: MfaState = row.passwordEnabled ? (row.mfaActive ? 'enabled' : 'disabled') : 'not_applicable';
      yield userObservation(row.user, row.arn, mfa, [], directory);
    }
  }

  /** Every assigned virtual MFA device: user ARN → 'virtual' (ListVirtualMFADevices, 1,000 per call). */
  async function virtualDevices(s: Session, ctx: ScanContext): Promise<Set<string>> {
    const owners = new Set<string>();
    let marker: string | undefined;
    do {
      const out = await call('iam:ListVirtualMFADevices', s.accountId, ctx, () =>
        s.iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned', MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }),
      );
      for (const d of listIn(out.VirtualMFADevices, 'ListVirtualMFADevices', 'VirtualMFADevices', s.accountId)) if (d.User?.Arn) owners.add(d.User.Arn);
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated && !marker) throw truncatedWithoutMarker('ListVirtualMFADevices', s.accountId);
    } while (marker);
    return owners;
  }

  async function liveUser(s: Session, ctx: ScanContext, user: User, virtual: Set<string>, directory: UserDirectory): Promise<Observation> {
    const name = user.UserName as string;
    const arn = user.Arn as string;
    let password = true;
    try {
      await s.iam.send(new GetLoginProfileCommand({ UserName: name }), { abortSignal: ctx.signal });
    } catch (err) {
      if (awsErrorCode(err) !== 'NoSuchEntity' && awsErrorCode(err) !== 'NoSuchEntityException') throw classifyAwsError(err, 'iam:GetLoginProfile', s.accountId);
      password = false;
    }
    if (virtual.has(arn)) return userObservation(name, arn, password ? 'enabled' : 'not_applicable', ['virtual'], directory);
    if (!password) return userObservation(name, arn, 'not_applicable', [], directory);
    const out = await call('iam:ListMFADevices', s.accountId, ctx, () => s.iam.send(new ListMFADevicesCommand({ UserName: name, MaxItems: 100 }), { abortSignal: ctx.signal }));
    const factors = listIn(out.MFADevices, 'ListMFADevices', 'MFADevices', s.accountId).map((d) => factorOfSerial(d.SerialNumber ?? ''));
    return userObservation(name, arn, factors.length ? 'enabled' : 'disabled', factors, directory);
  }

  async function* scanLive(s: Session, ctx: ScanContext): AsyncGenerator<Observation> {
    const virtual = await virtualDevices(s, ctx);
    const summary = await call('iam:GetAccountSummary', s.accountId, ctx, () => s.iam.send(new GetAccountSummaryCommand({}), { abortSignal: ctx.signal }));
    const rootMfa = summary.SummaryMap?.AccountMFAEnabled;
    if (rootMfa === undefined) {
      throw new ProviderError(`IAM GetAccountSummary in account ${s.accountId} has no AccountMFAEnabled entry`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
    }
    const directory = await userDirectory(s, ctx);
    const rootArn = `arn:${s.partition}:iam::${s.accountId}:root`;
    yield rootObservation(rootArn, rootMfa > 0 ? 'enabled' : 'disabled', rootMfa > 0 ? [virtual.has(rootArn) ? 'virtual' : 'hardware'] : []);
    let marker: string | undefined;
    let listed = 0;
    do {
      const out = await call('iam:ListUsers', s.accountId, ctx, () => s.iam.send(new ListUsersCommand({ MaxItems: PAGE_SIZE, ...(marker ? { Marker: marker } : {}) }), { abortSignal: ctx.signal }));
      const users = listIn(out.Users, 'ListUsers', 'Users', s.accountId).filter((u): u is User & { UserName: string; Arn: string } => {
        if (!u.UserName || !u.Arn) throw new ProviderError(`IAM ListUsers in account ${s.accountId} returned a user without UserName or Arn`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
        return true;
      });
      const page = await mapWithConcurrency(users, LIVE_CONCURRENCY, (u) => liveUser(s, ctx, u, virtual, directory));
      yield* page;
      listed += users.length;
      marker = out.IsTruncated ? out.Marker : undefined;
      if (out.IsTruncated && !marker) throw truncatedWithoutMarker('ListUsers', s.accountId);
    } while (marker);
    // Marker pages carry no total: a page lost on the way (answered as the last one) reads as a
    // shorter list, and its users as removed. GetAccountSummary counts the users: fewer listed
    // means a lost page, or users deleted during the scan (the count lags by seconds); either
    // way the next scan reads a settled list.
    const counted = summary.SummaryMap?.Users;
    if (counted !== undefined && listed < counted) {
      throw new ProviderError(`IAM ListUsers in account ${s.accountId} listed ${listed} users where GetAccountSummary counts ${counted}: a page was lost, or users were deleted during the scan`, {
        reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed; the next scan will retry',
      });
    }
    if (counted === listed) ctx.listingCounted?.();
  }

  return {
    scopes: () => (discovers ? (discovered ? [discovered] : []) : [...targets.entries()].map(([id, t]) => ({ id, label: t.label }))),
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
