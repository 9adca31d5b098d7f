/**
 * AWS IAM responder: denies everything to credentials the IAM user obtained before now, by
 * attaching the inline policy AWS itself uses to revoke sessions ("AWSRevokeOlderSessions", a
 * Deny of * on * when aws:TokenIssueTime is before now); optionally deactivates the user's
 * access keys and deletes their console password. Through @aws-sdk/client-iam:
 *   GetUser, PutUserPolicy, [ListAccessKeys + UpdateAccessKey Status=Inactive], [DeleteLoginProfile]
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
 * The users come from the aws-iam accounts linked to the identity (their `email` tag or identities.map).
 */
import {
  DeleteLoginProfileCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { ModuleDeps } from '../../src/core/deps.js';
import { classifyAwsError, type AwsCaller } from '../../src/aws/errors.js';
import { ProviderError } from '../../src/core/errors.js';
import { accountsOfType, registerResponder, type ApiCall, type AwsCredentials, type Responder, type ResponderModule } from '../types.js';
import { awsIamResponderSchema, type AwsIamResponderConfig } from './config.js';

const SERVICE = 'AWS IAM';
const README = 'see responders/aws-iam/README.md';
export const REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

/** The policy document AWS attaches when it revokes sessions, with `now` as the cut-off. */
export function revokeOlderSessionsPolicy(now: Date): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': now.toISOString() } } }],
  });
}

interface AwsSdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The advice in this responder's AWS errors. */
const KILL_CALLER: AwsCaller = {
  readme: README,
  again: 'run the kill again',
  timeouts: 'requestTimeout, or autoResponse.killTimeout / --timeout',
  throttling: 'raise maxAttempts',
  aborts: 'kill deadline or shutdown',
  unchanged: 'every call of a kill is safe to repeat: run the kill again',
};

/** An AWS SDK error as a ProviderError that says what to do. */
function classifyKillError(err: unknown, action: string, account: string): ProviderError {
  const name = (err as AwsSdkError | undefined)?.name;
  if (name === 'LimitExceededException' || name === 'LimitExceeded') {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: 2,048 characters of inline policy per user.
    return new ProviderError(`AWS IAM ${action} failed: ${name}: the user's inline policies would exceed IAM's 2,048-character quota; delete or shrink one of them (or attach ${REVOKE_POLICY_NAME} as a managed policy by hand) and run the kill again`, { reason: 'client', provider: SERVICE, status: (err as AwsSdkError).$metadata?.httpStatusCode, hint: README, cause: err });
  }
  return classifyAwsError(err, action.includes(':') ? action : `iam:${action}`, account, KILL_CALLER);
}

/** True for IAM's NoSuchEntity (the SDK names it NoSuchEntityException; the wire code is NoSuchEntity). */
function isNoSuchEntity(err: unknown): boolean {
  const e = (err ?? {}) as AwsSdkError & { Code?: string };
  return e.name === 'NoSuchEntityException' || e.name === 'NoSuchEntity' || e.Code === 'NoSuchEntity';
}

/** True for an IAM user ARN (arn:aws:iam::123456789012:user/path/alice), false for root and anything else. */
function isUserArn(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::\d{12}:user\//.test(arn);
}

/** The account id of an IAM ARN (arn:aws:iam::123456789012:user/alice). */
function arnAccount(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(arn)?.[1];
}

export function createAwsIamResponder(config: AwsIamResponderConfig, deps: ModuleDeps & { awsCredentials?: AwsCredentials | undefined }): Responder {
  const urls = typeof config.endpoint === 'string' ? { iam: config.endpoint } : (config.endpoint ?? {});
  const sdk = {
    region: config.region,
    maxAttempts: config.maxAttempts,
    // throwOnRequestTimeout: without it the SDK only logs a warning and keeps waiting.
    requestHandler: { requestTimeout: config.requestTimeout, connectionTimeout: Math.min(config.requestTimeout, 10_000), throwOnRequestTimeout: true },
  };
  const base = { ...sdk, ...(deps.awsCredentials ? { credentials: deps.awsCredentials } : config.profile ? { profile: config.profile } : {}) };
  const client = new IAMClient({ ...base, ...(urls.iam ? { endpoint: urls.iam } : {}) });
  // The account acted in: users linked in any other account are never touched.
  const account = config.accountId ?? (config.roleArn ? arnAccount(config.roleArn) : undefined);
  const accountLabel = account ?? 'of the default credentials';
  const where = urls.iam ?? `iam (${account ?? 'account of the default credentials'})`;
  const send = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classifyKillError(err, action, accountLabel);
    }
  };
  /** The IAM client to act with: the default credentials' own, or one in `roleArn`'s account (sts:AssumeRole). */
  const iamFor = async (signal: AbortSignal, record: (call: ApiCall) => void): Promise<IAMClient> => {
    const roleArn = config.roleArn;
    if (!roleArn) return client;
    record({ method: 'AssumeRole', url: `${urls.sts ?? 'sts'} RoleArn=${roleArn}`, note: `act in account ${account ?? '?'}` });
    const sts = new STSClient({ ...base, ...(urls.sts ? { endpoint: urls.sts } : {}) });
    try {
      const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'mfawatch-responder', ...(config.externalId ? { ExternalId: config.externalId } : {}) }), { abortSignal: signal });
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new ProviderError(`AWS STS AssumeRole of ${roleArn} answered without credentials`, { reason: 'malformed', provider: SERVICE, hint: 'check the "endpoint.sts" override' });
      return new IAMClient({ ...sdk, ...(urls.iam ? { endpoint: urls.iam } : {}), credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
    } catch (err) {
      const e = classifyKillError(err, 'sts:AssumeRole', account ?? roleArn);
      if (e.reason !== 'permission') throw e;
      throw new ProviderError(`AWS STS refused to let mfawatch assume ${roleArn} (${(err as AwsSdkError).name ?? 'AccessDenied'}): the role's trust policy must allow these credentials (and the externalId, if it has one)`, { reason: 'permission', provider: SERVICE, status: e.status, hint: README, cause: err });
    } finally {
      sts.destroy();
    }
  };
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const linkedUsers = accountsOfType(target, 'aws-iam').filter((a) => !account || arnAccount(a.accountId) === account);
      // The root user is linked like any account but is no IAM user: an IAM policy cannot revoke its
      // sessions, and a GetUser of "root" could find an unrelated IAM user named "root".
      const roots = linkedUsers.filter((a) => !isUserArn(a.accountId));
      const users = [...new Map(linkedUsers.filter((a) => isUserArn(a.accountId)).map((a) => [a.accountId, a])).values()];
      const rootNote = roots.length ? `; not touched: the root user of ${roots.map((r) => arnAccount(r.accountId) ?? r.accountId).join(', ')} (an IAM policy cannot revoke root sessions: sign in as root and change its password)` : '';
      if (users.length === 0) return { outcome: 'not_found', detail: `no IAM user${account ? ` in account ${account}` : ''} is linked to ${target.identity} (tag the user with the monitor's emailTag, or map it in identities.map)${rootNote}` };
      const done: string[] = [];
      let found = 0;
      const iam = await iamFor(signal, record);
      try {
        for (const linked of users) {
          const UserName = linked.login;
          record({ method: 'GetUser', url: `${where} UserName=${UserName}`, note: `check the user exists and is ${linked.accountId}` });
          const actual = await send('GetUser', () => iam.send(new GetUserCommand({ UserName }), { abortSignal: signal })).then(
            (out) => {
              if (out.User?.Arn) return out.User.Arn;
              throw new ProviderError(`AWS answered iam:GetUser for ${UserName} without the user's ARN`, { reason: 'malformed', provider: SERVICE, hint: 'a proxy may be rewriting answers, or "endpoint" is not IAM; nothing was changed' });
            },
            (err: ProviderError) => {
              if (isNoSuchEntity(err.cause)) return undefined;
              throw err;
            },
          );
          if (actual === undefined) {
            done.push(`${UserName}: no such user`);
            continue;
          }
          // The credentials act in one account; a user of the same name there may be someone else.
          if (actual !== linked.accountId) {
            done.push(`${UserName}: not touched, the credentials reach ${actual}, not the linked ${linked.accountId} (set accountId or roleArn: one responder per AWS account)`);
            continue;
          }
          found += 1;
          const now = deps.clock.now();
          const PolicyDocument = revokeOlderSessionsPolicy(now);
          record({ method: 'PutUserPolicy', url: `${where} UserName=${UserName} PolicyName=${REVOKE_POLICY_NAME}`, note: `deny all credentials issued before ${now.toISOString()}: ${PolicyDocument}` });
          if (!dryRun) await send('PutUserPolicy', () => iam.send(new PutUserPolicyCommand({ UserName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument }), { abortSignal: signal }));
          // A dry run says what would be done, never "attached" or "deactivated": it reads as done.
          const parts = [`${dryRun ? 'would attach ' : ''}${REVOKE_POLICY_NAME}${dryRun ? '' : ' attached'} (cut-off ${now.toISOString()})`];
          if (config.deactivateAccessKeys) {
            record({ method: 'ListAccessKeys', url: `${where} UserName=${UserName}`, note: 'find the access keys' });
            const keys = await send('ListAccessKeys', () => iam.send(new ListAccessKeysCommand({ UserName }), { abortSignal: signal }));
            const active = (keys.AccessKeyMetadata ?? []).filter((k) => k.Status === 'Active' && k.AccessKeyId);
            for (const k of active) {
              record({ method: 'UpdateAccessKey', url: `${where} UserName=${UserName} AccessKeyId=${k.AccessKeyId ?? ''} Status=Inactive`, note: 'deactivate the access key' });
              if (!dryRun) await send('UpdateAccessKey', () => iam.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId: k.AccessKeyId, Status: 'Inactive' }), { abortSignal: signal }));
            }
            parts.push(dryRun ? `would deactivate ${active.length} access key(s)` : `${active.length} access key(s) deactivated`);
          }
          if (config.deleteLoginProfile) {
            record({ method: 'DeleteLoginProfile', url: `${where} UserName=${UserName}`, note: 'delete the console password' });
            if (!dryRun) {
              const deleted = await send('DeleteLoginProfile', () => iam.send(new DeleteLoginProfileCommand({ UserName }), { abortSignal: signal })).then(
                () => true,
                (err: ProviderError) => {
                  if (isNoSuchEntity(err.cause)) return false;
                  throw err;
                },
              );
              parts.push(deleted ? 'console password deleted' : 'had no console password');
            } else {
              parts.push('would delete the console password');
            }
          }
          done.push(`${UserName}: ${parts.join(', ')}`);
        }
      } finally {
        if (iam !== client) iam.destroy();
      }
      if (found === 0) return { outcome: 'not_found', detail: `none of the linked IAM users could be acted on: ${done.join('; ')}${rootNote}` };
      if (dryRun) return { outcome: 'skipped', detail: `dry run, nothing changed: ${done.join('; ')}${rootNote}` };
      return { outcome: 'succeeded', detail: `${done.join('; ')}${rootNote}` };
    },
  };
}

export const awsIamResponder: ResponderModule<AwsIamResponderConfig> = {
  type: 'aws-iam',
  service: SERVICE,
  configSchema: awsIamResponderSchema,
  secretKeys: [],
  create: (config, deps) => createAwsIamResponder(config, deps),
};

export default registerResponder(awsIamResponder);
