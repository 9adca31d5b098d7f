/**
 * A fake of AWS IAM and STS speaking the real AWS Query protocol, for the real IAMClient and
 * STSClient: form-encoded POSTs (`Action=…&Version=2010-05-08` for IAM, `2011-06-15` for STS),
 * SigV4-signed and verified (the credential scope names the service; the access key id names the
 * account; a wrong secret is SignatureDoesNotMatch),
 * XML answers in each service's namespace, and XML errors
 * (`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`) with the
 * documented HTTP statuses. Several AWS accounts live in one fake; STS AssumeRole hands out
 * temporary keys that act in the role's account.
 *
 * Besides the reads the aws-iam monitor makes, it serves the writes the aws-iam responder makes,
 * with their documented parameters, empty-result answers and errors, and keeps their effect so
 * tests can assert on it (`user(account, name)`: `policies`, `keys`, `password`):
 *   GetUser (UserName optional: the caller), PutUserPolicy (MalformedPolicyDocument 400,
 *   LimitExceeded 409 past the 2,048-character inline user policy quota, NoSuchEntity 404),
 *   ListAccessKeys (Marker/MaxItems; UserName optional), UpdateAccessKey (Status Active|Inactive;
 *   NoSuchEntity for a key the user does not own), DeleteLoginProfile (NoSuchEntity when the user
 *   has no console password; the credential report then shows password_enabled=false).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUser.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteLoginProfile.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, type RecordedRequest } from './http.js';

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export type FakeDevice = 'virtual' | 'security_key' | 'hardware_totp';

export interface FakeIamUser {
  name: string;
  path?: string;
  password: boolean;
  devices: FakeDevice[];
  tags?: Record<string, string>;
  /** Has an active access key (API use); shorthand for one Active key in `accessKeys`. */
  accessKey?: boolean;
  /** The user's access keys (at most two, as in IAM). */
  accessKeys?: FakeAccessKey[];
  /** Groups the user is in (see FakeAccount.groups). */
  groups?: string[];
  /** ARNs of managed policies attached to the user. */
  attached?: string[];
}

/** An IAM group: its attached managed policies and inline policies (name → JSON document). */
export interface FakeGroup {
  attached: string[];
  inline: Record<string, string>;
}

export interface FakeAccessKey {
  id: string;
  status: 'Active' | 'Inactive';
}

/** A user as the fake keeps it: what the writes changed is observable here. */
export interface FakeStoredUser extends FakeIamUser {
  userId: string;
  created: Date;
  keys: FakeAccessKey[];
  /** Inline policies: name → the policy document exactly as PutUserPolicy received it. */
  policies: Map<string, string>;
}

export interface FakeAccount {
  id: string;
  alias?: string;
  users: Map<string, FakeStoredUser>;
  rootMfa: FakeDevice | null;
  /** Roles mfawatch may assume: name → required external id (null: none). */
  roles: Map<string, string | null>;
  /** Actions answered with AccessDenied, e.g. "iam:GetCredentialReport". */
  denied: Set<string>;
  /** Credential report generation: Generate calls still answered STARTED/INPROGRESS. */
  reportPendingPolls: number;
  reportState: 'none' | 'generating' | 'complete';
  /** GeneratedTime of the report (default: the fake's reportTime). */
  reportGeneratedAt: Date | null;
  /** Raw CSV served instead of the generated one (malformed-report tests). */
  reportOverride?: string;
  groups: Map<string, FakeGroup>;
  /** Customer managed policies: ARN → the default version's JSON document. */
  managedPolicies: Map<string, string>;
}

interface KeyInfo {
  account: string;
  arn: string;
  secret: string;
  /** Temporary (STS) credentials must send it as x-amz-security-token. */
  sessionToken?: string;
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * The SigV4 signature of a recorded request, computed as AWS does.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export function sigV4(req: RecordedRequest, secret: string, date: string, region: string, service: string, signedHeaders: string): string {
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const canonicalHeaders = signedHeaders.split(';').map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const query = [...req.query.entries()]
    .map(([k, v]): [string, string] => [encodeURIComponent(k), encodeURIComponent(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonical = [req.method, req.path, query, canonicalHeaders, signedHeaders, sha256(req.body)].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}

const xmlEscape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** The credential report's own date format: ISO 8601 with an explicit +00:00 offset. */
const reportDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

export const REPORT_HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

export class FakeAws extends LoopbackServer {
  accounts = new Map<string, FakeAccount>();
  keys = new Map<string, KeyInfo>();
  /** Every inline policy a PutUserPolicy really attached (or replaced), in order. */
  readonly policiesPut: Array<{ account: string; user: string; policy: string }> = [];
  /** When reports are generated (pinned like the clock). */
  reportTime = new Date('2026-11-22T07:00:00Z');
  #throttles: Array<{ action: string | null; times: number }> = [];
  #serial = 0;

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  /** Adds an AWS account; `baseKey` makes an access key id whose calls act in it as an IAM user. */
  addAccount(id: string, options: { alias?: string; rootMfa?: FakeDevice | null; baseKey?: { id: string; secret: string }; roles?: Record<string, string | null> } = {}): FakeAccount {
    const account: FakeAccount = {
      id, users: new Map(), rootMfa: options.rootMfa === undefined ? 'hardware_totp' : options.rootMfa, roles: new Map(Object.entries(options.roles ?? {})),
      denied: new Set(), reportPendingPolls: 0, reportState: 'none', reportGeneratedAt: null, groups: new Map(), managedPolicies: new Map(),
      ...(options.alias ? { alias: options.alias } : {}),
    };
    this.accounts.set(id, account);
    if (options.baseKey) this.keys.set(options.baseKey.id, { account: id, arn: `arn:aws:iam::${id}:user/mfawatch`, secret: options.baseKey.secret });
    return account;
  }

  addUser(accountId: string, user: FakeIamUser): void {
    const account = this.#account(accountId);
    this.#serial += 1;
    const keys = user.accessKeys ? user.accessKeys.map((k) => ({ ...k })) : user.accessKey ? [{ id: `AKIA${String(this.#serial).padStart(16, '0')}`, status: 'Active' as const }] : [];
    account.users.set(user.name, { ...user, userId: `AIDA${String(this.#serial).padStart(17, '0')}`, created: new Date('2025-01-15T09:30:00Z'), keys, policies: new Map() });
  }

  /** A user as the fake holds it now (throws when absent), to assert on what a kill changed. */
  user(accountId: string, name: string): FakeStoredUser {
    const u = this.#account(accountId).users.get(name);
    if (!u) throw new Error(`fake: no user ${name} in account ${accountId}`);
    return u;
  }

  /** Every write call (PutUserPolicy, UpdateAccessKey, DeleteLoginProfile) with its account and user. */
  writes(): Array<{ account: string; action: string; user: string }> {
    const out: Array<{ account: string; action: string; user: string }> = [];
    for (const r of this.requests) {
      const p = new URLSearchParams(r.body);
      const action = p.get('Action') ?? '';
      if (!WRITE_ACTIONS.has(action)) continue;
      const keyId = /Credential=([^/]+)\//.exec(r.headers.authorization ?? '')?.[1] ?? '';
      out.push({ account: this.keys.get(keyId)?.account ?? '?', action, user: p.get('UserName') ?? '' });
    }
    return out;
  }

  /** Makes the next `times` calls (of `action`, e.g. "GetCredentialReport", or any) answer Throttling. */
  throttle(times: number, action: string | null = null): void {
    this.#throttles.push({ action, times });
  }

  /** IAM/STS actions called, in order ("iam:GenerateCredentialReport", "sts:AssumeRole", …). */
  actions(): string[] {
    return this.requests.map((r) => `${serviceOf(r)}:${new URLSearchParams(r.body).get('Action') ?? '?'}`);
  }

  /** The credential report as AWS would write it. */
  csv(accountId: string): string {
    const a = this.#account(accountId);
    const created = reportDate(new Date('2024-03-01T12:00:00Z'));
    const used = reportDate(new Date('2026-11-20T08:15:00Z'));
    const lines = [REPORT_HEADER];
    lines.push([`<root_account>`, `arn:aws:iam::${a.id}:root`, created, 'not_supported', used, 'not_supported', 'not_supported', a.rootMfa ? 'true' : 'false', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'N/A', 'N/A', 'N/A', 'false', 'N/A', 'false', 'N/A'].join(','));
    for (const u of a.users.values()) {
      const key = (k: FakeAccessKey | undefined) => (k ? [k.status === 'Active' ? 'true' : 'false', used, used, 'us-east-1', 's3'] : ['false', 'N/A', 'N/A', 'N/A', 'N/A']);
      lines.push([
        u.name, arnOf(a.id, u), reportDate(u.created),
        u.password ? 'true' : 'false', u.password ? 'no_information' : 'N/A', u.password ? created : 'N/A', u.password ? 'N/A' : 'N/A',
        u.devices.length ? 'true' : 'false', ...key(u.keys[0]), ...key(u.keys[1]), 'false', 'N/A', 'false', 'N/A',
      ].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  #account(id: string): FakeAccount {
    const a = this.accounts.get(id);
    if (!a) throw new Error(`fake: no account ${id}`);
    return a;
  }

  async #route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const service = serviceOf(req);
    const params = new URLSearchParams(req.body);
    const action = params.get('Action') ?? '';
    const ns = service === 'sts' ? STS_NS : IAM_NS;
    const error = (status: number, code: string, message: string, type = 'Sender') => sendXml(res, status, `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);

    if (req.method !== 'POST' || !/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return error(400, 'InvalidAction', 'Query requests are form-encoded POSTs');
    const expectedVersion = service === 'sts' ? '2011-06-15' : '2010-05-08';
    if (params.get('Version') !== expectedVersion) return error(400, 'InvalidParameterValue', `Version must be ${expectedVersion}`);
    const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/(iam|sts)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!auth) return error(403, 'IncompleteSignature', 'Request must be signed with AWS Signature Version 4');
    const [, keyId, date, region, , signedHeaders, signature] = auth as unknown as [string, string, string, string, string, string, string];
    if (service === 'iam' && region !== 'us-east-1') return error(403, 'SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${region}'. `);
    const key = this.keys.get(keyId);
    if (!key || (key.sessionToken !== undefined && req.headers['x-amz-security-token'] !== key.sessionToken)) return error(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (!signedHeaders.split(';').includes('host') || sigV4(req, key.secret, date, region, service, signedHeaders) !== signature) {
      return error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.');
    }
    const account = this.#account(key.account);

    const throttle = this.#throttles.find((t) => t.times > 0 && (t.action === null || t.action === action));
    if (throttle) {
      throttle.times -= 1;
      return error(400, 'Throttling', 'Rate exceeded');
    }
    if (account.denied.has(`${service}:${action}`)) {
      return error(403, 'AccessDenied', `User: ${key.arn} is not authorized to perform: ${service}:${action} on resource: *`);
    }
    const ok = (body: string) => sendXml(res, 200, `<${action}Response xmlns="${ns}"><${action}Result>${body}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
    /** Actions without a result element answer only ResponseMetadata (PutUserPolicy, UpdateAccessKey, DeleteLoginProfile). */
    const done = () => sendXml(res, 200, `<${action}Response xmlns="${ns}"><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);

    if (service === 'sts') {
      if (action === 'GetCallerIdentity') return ok(`<Arn>${key.arn}</Arn><UserId>AIDAFAKEUSERID</UserId><Account>${account.id}</Account>`);
      if (action === 'AssumeRole') {
        const roleArn = params.get('RoleArn') ?? '';
        const m = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
        const target = m ? this.accounts.get(m[1] as string) : undefined;
        if (!m || !target || !target.roles.has(m[2] as string)) return error(403, 'AccessDenied', `User: ${key.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        const externalId = target.roles.get(m[2] as string);
        if (externalId && params.get('ExternalId') !== externalId) return error(403, 'AccessDenied', `User: ${key.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        const session = params.get('RoleSessionName') ?? '';
        this.#serial += 1;
        const tempKey = `ASIAFAKE${String(this.#serial).padStart(12, '0')}`;
        const assumedArn = `arn:aws:sts::${target.id}:assumed-role/${m[2]}/${session}`;
        const secret = `fakeSecretForAssumedRole${this.#serial}`;
        const sessionToken = `FwoGZXIvYXdzEFakeSessionToken${this.#serial}`;
        this.keys.set(tempKey, { account: target.id, arn: assumedArn, secret, sessionToken });
        return ok(`<Credentials><AccessKeyId>${tempKey}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${iso(new Date(Date.now() + 3_600_000))}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKEROLEID:${xmlEscape(session)}</AssumedRoleId><Arn>${xmlEscape(assumedArn)}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize>`);
      }
      return error(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    }

    const users = [...account.users.values()];
    switch (action) {
      case 'GenerateCredentialReport': {
        if (account.reportState === 'complete' && account.reportPendingPolls === 0) return ok('<State>COMPLETE</State>');
        if (account.reportState === 'none') {
          account.reportState = 'generating';
          if (account.reportPendingPolls > 0) {
            account.reportPendingPolls -= 1;
            return ok('<Description>No report exists. Starting a new report generation task</Description><State>STARTED</State>');
          }
        } else if (account.reportPendingPolls > 0) {
          account.reportPendingPolls -= 1;
          return ok('<State>INPROGRESS</State>');
        }
        account.reportState = 'complete';
        account.reportGeneratedAt ??= this.reportTime;
        return ok('<State>COMPLETE</State>');
      }
      case 'GetCredentialReport': {
        if (account.reportState === 'none') return error(410, 'ReportNotPresent', 'Credential report not present. Generate a report with GenerateCredentialReport.');
        if (account.reportState === 'generating') return error(404, 'ReportInProgress', 'Credential report is being generated.');
        const content = Buffer.from(account.reportOverride ?? this.csv(account.id), 'utf8').toString('base64');
        return ok(`<Content>${content}</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>${iso(account.reportGeneratedAt ?? this.reportTime)}</GeneratedTime>`);
      }
      case 'ListAccountAliases':
        return ok(`<AccountAliases>${account.alias ? `<member>${xmlEscape(account.alias)}</member>` : ''}</AccountAliases><IsTruncated>false</IsTruncated>`);
      case 'GetAccountSummary': {
        const entries = { Users: users.length, UsersQuota: 5000, MFADevices: users.reduce((n, u) => n + u.devices.length, 0), MFADevicesInUse: users.reduce((n, u) => n + u.devices.length, 0), AccountMFAEnabled: account.rootMfa ? 1 : 0, AccountAccessKeysPresent: 0, AccountPasswordPresent: 1, AccountSigningCertificatesPresent: 0 };
        return ok(`<SummaryMap>${Object.entries(entries).map(([k, v]) => `<entry><key>${k}</key><value>${v}</value></entry>`).join('')}</SummaryMap>`);
      }
      case 'ListUsers': {
        const { page, more, next } = paginate(users, params);
        return ok(`<Users>${page.map((u) => `<member>${userXml(account.id, u)}</member>`).join('')}</Users><IsTruncated>${more}</IsTruncated>${more ? `<Marker>${next}</Marker>` : ''}`);
      }
      case 'ListVirtualMFADevices': {
        const devices: Array<{ serial: string; user: string }> = [];
        if (account.rootMfa === 'virtual') devices.push({ serial: `arn:aws:iam::${account.id}:mfa/root-account-mfa-device`, user: `<User><UserId>${account.id}</UserId><Arn>arn:aws:iam::${account.id}:root</Arn><CreateDate>2024-03-01T12:00:00Z</CreateDate></User>` });
        for (const u of users) if (u.devices.includes('virtual')) devices.push({ serial: `arn:aws:iam::${account.id}:mfa/${u.name}`, user: `<User>${userXml(account.id, u)}</User>` });
        const { page, more, next } = paginate(devices, params);
        return ok(`<VirtualMFADevices>${page.map((d) => `<member><SerialNumber>${xmlEscape(d.serial)}</SerialNumber>${d.user}<EnableDate>2025-02-01T10:00:00Z</EnableDate></member>`).join('')}</VirtualMFADevices><IsTruncated>${more}</IsTruncated>${more ? `<Marker>${next}</Marker>` : ''}`);
      }
      case 'ListMFADevices': {
        const u = account.users.get(params.get('UserName') ?? '');
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${params.get('UserName')} cannot be found.`);
        const serial = (d: FakeDevice, i: number) => (d === 'virtual' ? `arn:aws:iam::${account.id}:mfa/${u.name}` : d === 'security_key' ? `arn:aws:iam::${account.id}:u2f/user/${u.name}/fidosecuritykey-${i}ABCDEFGHIJKLMNOPQRSTUVWX` : `GAHT${String(12345678 + i)}`);
        return ok(`<MFADevices>${u.devices.map((d, i) => `<member><UserName>${xmlEscape(u.name)}</UserName><SerialNumber>${xmlEscape(serial(d, i))}</SerialNumber><EnableDate>2025-02-01T10:00:00Z</EnableDate></member>`).join('')}</MFADevices><IsTruncated>false</IsTruncated>`);
      }
      case 'GetLoginProfile': {
        const u = account.users.get(params.get('UserName') ?? '');
        if (!u?.password) return error(404, 'NoSuchEntity', `Login Profile for User ${params.get('UserName')} cannot be found.`);
        return ok(`<LoginProfile><UserName>${xmlEscape(u.name)}</UserName><CreateDate>2025-01-15T09:30:00Z</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>`);
      }
      case 'GetAccountAuthorizationDetails': {
        // The entity types asked for, paged together: MaxItems counts users, groups and policies alike.
        const filters = new Set([...params.entries()].filter(([k]) => k.startsWith('Filter.member.')).map(([, v]) => v));
        const unknown = [...filters].find((f) => !['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'].includes(f));
        if (unknown) return error(400, 'ValidationError', `1 validation error detected: Value '[${unknown}]' at 'filter' failed to satisfy constraint`);
        const all = filters.size === 0;
        const entities: Array<{ kind: 'user'; u: FakeStoredUser } | { kind: 'group'; name: string; g: FakeGroup } | { kind: 'policy'; arn: string; doc: string }> = [
          ...(all || filters.has('User') ? users.map((u) => ({ kind: 'user' as const, u })) : []),
          ...(all || filters.has('Group') ? [...account.groups].map(([name, g]) => ({ kind: 'group' as const, name, g })) : []),
          ...(all || filters.has('LocalManagedPolicy') ? [...account.managedPolicies].map(([arn, doc]) => ({ kind: 'policy' as const, arn, doc })) : []),
        ];
        const { page, more, next } = paginate(entities, params);
        const tags = (u: FakeIamUser) => Object.entries(u.tags ?? {}).map(([k, v]) => `<member><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></member>`).join('');
        // Policy documents come URL-encoded (RFC 3986), as IAM sends them.
        const inline = (docs: Iterable<[string, string]>) => [...docs].map(([n, d]) => `<member><PolicyName>${xmlEscape(n)}</PolicyName><PolicyDocument>${xmlEscape(encodeURIComponent(d))}</PolicyDocument></member>`).join('');
        const attached = (arns: readonly string[]) => arns.map((a) => `<member><PolicyName>${xmlEscape(a.split('/').at(-1) ?? a)}</PolicyName><PolicyArn>${xmlEscape(a)}</PolicyArn></member>`).join('');
        const userList = page.flatMap((e) => (e.kind === 'user' ? [e.u] : []))
          .map((u) => `<member>${userXml(account.id, u)}<GroupList>${(u.groups ?? []).map((g) => `<member>${xmlEscape(g)}</member>`).join('')}</GroupList><AttachedManagedPolicies>${attached(u.attached ?? [])}</AttachedManagedPolicies><UserPolicyList>${inline(u.policies)}</UserPolicyList><Tags>${tags(u)}</Tags></member>`).join('');
        const groupList = page.flatMap((e) => (e.kind === 'group' ? [e] : []))
          .map((e) => `<member><Path>/</Path><GroupName>${xmlEscape(e.name)}</GroupName><GroupId>AGPA${e.name.toUpperCase().padEnd(17, 'X').slice(0, 17)}</GroupId><Arn>arn:aws:iam::${account.id}:group/${xmlEscape(e.name)}</Arn><CreateDate>2025-01-15T09:30:00Z</CreateDate><GroupPolicyList>${inline(Object.entries(e.g.inline))}</GroupPolicyList><AttachedManagedPolicies>${attached(e.g.attached)}</AttachedManagedPolicies></member>`).join('');
        const policyList = page.flatMap((e) => (e.kind === 'policy' ? [e] : []))
          .map((e) => `<member><PolicyName>${xmlEscape(e.arn.split('/').at(-1) ?? e.arn)}</PolicyName><PolicyId>ANPA${String(e.arn.length).padStart(17, '0')}</PolicyId><Arn>${xmlEscape(e.arn)}</Arn><Path>/</Path><DefaultVersionId>v2</DefaultVersionId><AttachmentCount>1</AttachmentCount><IsAttachable>true</IsAttachable><PolicyVersionList><member><Document>${xmlEscape(encodeURIComponent('{"Version":"2012-10-17","Statement":[]}'))}</Document><VersionId>v1</VersionId><IsDefaultVersion>false</IsDefaultVersion><CreateDate>2025-01-15T09:30:00Z</CreateDate></member><member><Document>${xmlEscape(encodeURIComponent(e.doc))}</Document><VersionId>v2</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>2025-02-15T09:30:00Z</CreateDate></member></PolicyVersionList></member>`).join('');
        return ok(`<UserDetailList>${userList}</UserDetailList><GroupDetailList>${groupList}</GroupDetailList><RoleDetailList/><Policies>${policyList}</Policies><IsTruncated>${more}</IsTruncated>${more ? `<Marker>${next}</Marker>` : ''}`);
      }
      case 'GetUser': {
        // Without UserName, IAM answers for the IAM user whose access key signed the request.
        const name = params.get('UserName') ?? /:user\/(?:.*\/)?([^/]+)$/.exec(key.arn)?.[1] ?? '';
        const u = account.users.get(name);
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
        const tags = Object.entries(u.tags ?? {}).map(([k, v]) => `<member><Key>${xmlEscape(k)}</Key><Value>${xmlEscape(v)}</Value></member>`).join('');
        return ok(`<User>${userXml(account.id, u)}${tags ? `<Tags>${tags}</Tags>` : ''}</User>`);
      }
      case 'PutUserPolicy': {
        const name = params.get('UserName');
        const policyName = params.get('PolicyName');
        const document = params.get('PolicyDocument');
        if (!name || !policyName || document === null) return error(400, 'MissingParameter', `The request must contain the parameter ${!name ? 'UserName' : !policyName ? 'PolicyName' : 'PolicyDocument'}.`);
        if (!/^[\w+=,.@-]{1,128}$/.test(policyName)) return error(400, 'ValidationError', `1 validation error detected: Value '${policyName}' at 'policyName' failed to satisfy constraint`);
        const u = account.users.get(name);
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
        if (!isPolicyDocument(document)) return error(400, 'MalformedPolicyDocument', 'Syntax errors in policy.');
        // The quota counts the non-whitespace characters of all of a user's inline policies together.
        const size = [...u.policies.entries()].filter(([n]) => n !== policyName).reduce((n, [, d]) => n + d.replace(/\s/g, '').length, document.replace(/\s/g, '').length);
        if (size > USER_INLINE_POLICY_QUOTA) return error(409, 'LimitExceeded', `Maximum policy size of ${USER_INLINE_POLICY_QUOTA} bytes exceeded for user ${name}`);
        u.policies.set(policyName, document);
        this.policiesPut.push({ account: account.id, user: name, policy: policyName });
        return done();
      }
      case 'ListAccessKeys': {
        const name = params.get('UserName') ?? /:user\/(?:.*\/)?([^/]+)$/.exec(key.arn)?.[1] ?? '';
        const u = account.users.get(name);
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
        const { page, more, next } = paginate(u.keys, params);
        return ok(`<AccessKeyMetadata>${page.map((k) => `<member><UserName>${xmlEscape(u.name)}</UserName><AccessKeyId>${k.id}</AccessKeyId><Status>${k.status}</Status><CreateDate>2025-01-15T09:31:00Z</CreateDate></member>`).join('')}</AccessKeyMetadata><IsTruncated>${more}</IsTruncated>${more ? `<Marker>${next}</Marker>` : ''}`);
      }
      case 'UpdateAccessKey': {
        const keyId = params.get('AccessKeyId');
        const status = params.get('Status');
        if (!keyId || !status) return error(400, 'MissingParameter', `The request must contain the parameter ${!keyId ? 'AccessKeyId' : 'Status'}.`);
        if (status !== 'Active' && status !== 'Inactive') return error(400, 'ValidationError', `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
        const name = params.get('UserName') ?? /:user\/(?:.*\/)?([^/]+)$/.exec(key.arn)?.[1] ?? '';
        const u = account.users.get(name);
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
        const k = u.keys.find((x) => x.id === keyId);
        if (!k) return error(404, 'NoSuchEntity', `The Access Key with id ${keyId} cannot be found.`);
        k.status = status;
        return done();
      }
      case 'DeleteLoginProfile': {
        const name = params.get('UserName') ?? '';
        const u = account.users.get(name);
        if (!u) return error(404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
        if (!u.password) return error(404, 'NoSuchEntity', `Login Profile for User ${name} cannot be found.`);
        u.password = false;
        return done();
      }
      default:
        return error(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    }
  }
}

const WRITE_ACTIONS = new Set(['PutUserPolicy', 'UpdateAccessKey', 'DeleteLoginProfile']);
/** Aggregate inline policy size of one IAM user, in non-whitespace characters (IAM quotas page). */
const USER_INLINE_POLICY_QUOTA = 2048;

/** A JSON object with a Statement, as IAM's policy grammar requires at the least. */
function isPolicyDocument(document: string): boolean {
  try {
    const doc = JSON.parse(document) as unknown;
    return typeof doc === 'object' && doc !== null && 'Statement' in doc;
  } catch {
    return false;
  }
}

function serviceOf(r: RecordedRequest): 'iam' | 'sts' {
  return /\/sts\/aws4_request/.test(r.headers.authorization ?? '') ? 'sts' : 'iam';
}

function arnOf(accountId: string, u: FakeIamUser): string {
  return `arn:aws:iam::${accountId}:user${u.path ?? '/'}${u.name}`;
}

function userXml(accountId: string, u: FakeStoredUser): string {
  return `<Path>${xmlEscape(u.path ?? '/')}</Path><UserName>${xmlEscape(u.name)}</UserName><UserId>${u.userId}</UserId><Arn>${xmlEscape(arnOf(accountId, u))}</Arn><CreateDate>${iso(u.created)}</CreateDate>`;
}

/** IAM's Marker/MaxItems pagination (MaxItems 1-1000, default 100). */
function paginate<T>(items: T[], params: URLSearchParams): { page: T[]; more: boolean; next: string } {
  const max = Math.min(Number(params.get('MaxItems') ?? 100), 1000);
  const start = Number(params.get('Marker') ?? 0);
  const page = items.slice(start, start + max);
  const more = start + max < items.length;
  return { page, more, next: String(start + max) };
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}
