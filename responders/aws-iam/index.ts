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
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError, type ErrorReason } from '../../src/core/errors.js';
import { accountsOfType, registerResponder, type AwsCredentials, type Responder, type ResponderModule } from '../types.js';
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

/** An AWS SDK error as a ProviderError that says what to do. */
export function classifyAwsError(err: unknown, action: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as AwsSdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  let reason: ErrorReason = 'client';
  let words = `${name}`;
  if (['InvalidClientTokenId', 'SignatureDoesNotMatch', 'ExpiredToken', 'UnrecognizedClientException', 'CredentialsProviderError'].includes(name)) {
    reason = 'auth';
    words = `${name}: the AWS credentials are missing, invalid or expired`;
  } else if (name === 'AccessDenied' || name === 'AccessDeniedException' || status === 403) {
    reason = 'permission';
    words = `${name}: the credentials lack iam:${action}`;
  } else if (name === 'Throttling' || name === 'ThrottlingException' || status === 429) {
    reason = 'rate_limited';
    words = `${name}: IAM rate limit reached`;
  } else if (name === 'ServiceFailure' || (status !== undefined && status >= 500)) {
    reason = 'server';
    words = `${name}: IAM failed (${status ?? 'no status'})`;
  } else if (name === 'TimeoutError' || name === 'AbortError') {
    reason = name === 'AbortError' ? 'aborted' : 'timeout';
    words = 'IAM did not answer in time';
  } else if (status === undefined) {
    reason = 'network';
    words = `could not reach IAM (${e.message ?? name})`;
  }
  return new ProviderError(`AWS IAM ${action} failed: ${words}`, { reason, provider: SERVICE, status, hint: README, cause: err });
}

/** True for IAM's NoSuchEntity (the SDK names it NoSuchEntityException; the wire code is NoSuchEntity). */
function isNoSuchEntity(err: unknown): boolean {
  const e = (err ?? {}) as AwsSdkError & { Code?: string };
  return e.name === 'NoSuchEntityException' || e.name === 'NoSuchEntity' || e.Code === 'NoSuchEntity';
}

/** The account id of an IAM ARN (arn:aws:iam::123456789012:user/alice). */
function arnAccount(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(arn)?.[1];
}

export function createAwsIamResponder(config: AwsIamResponderConfig, deps: ModuleDeps & { awsCredentials?: AwsCredentials | undefined }): Responder {
  const client = new IAMClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(deps.awsCredentials ? { credentials: deps.awsCredentials } : {}),
  });
  const where = config.endpoint ?? `iam (${config.accountId ?? 'account of the default credentials'})`;
  const send = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw classifyAwsError(err, action);
    }
  };
  return {
    async invalidate(target, { dryRun, signal, record }) {
      const users = accountsOfType(target, 'aws-iam').filter((a) => !config.accountId || arnAccount(a.accountId) === config.accountId);
      const names = [...new Set(users.map((u) => u.login))];
      if (names.length === 0) return { outcome: 'not_found', detail: `no IAM user${config.accountId ? ` in account ${config.accountId}` : ''} is linked to ${target.identity} (tag the user with "email", or map it in identities.map)` };
      const done: string[] = [];
      let found = 0;
      for (const UserName of names) {
        record({ method: 'GetUser', url: `${where} UserName=${UserName}`, note: 'check the user exists' });
        const exists = await send('GetUser', () => client.send(new GetUserCommand({ UserName }), { abortSignal: signal })).then(
          () => true,
          (err: ProviderError) => {
            if (isNoSuchEntity(err.cause)) return false;
            throw err;
          },
        );
        if (!exists) {
          done.push(`${UserName}: no such user`);
          continue;
        }
        found += 1;
        const now = deps.clock.now();
        const PolicyDocument = revokeOlderSessionsPolicy(now);
        record({ method: 'PutUserPolicy', url: `${where} UserName=${UserName} PolicyName=${REVOKE_POLICY_NAME}`, note: `deny all credentials issued before ${now.toISOString()}: ${PolicyDocument}` });
        if (!dryRun) await send('PutUserPolicy', () => client.send(new PutUserPolicyCommand({ UserName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument }), { abortSignal: signal }));
        const parts = [`${REVOKE_POLICY_NAME} attached (cut-off ${now.toISOString()})`];
        if (config.deactivateAccessKeys) {
          record({ method: 'ListAccessKeys', url: `${where} UserName=${UserName}`, note: 'find the access keys' });
          const keys = await send('ListAccessKeys', () => client.send(new ListAccessKeysCommand({ UserName }), { abortSignal: signal }));
          const active = (keys.AccessKeyMetadata ?? []).filter((k) => k.Status === 'Active' && k.AccessKeyId);
          for (const k of active) {
            record({ method: 'UpdateAccessKey', url: `${where} UserName=${UserName} AccessKeyId=${k.AccessKeyId ?? ''} Status=Inactive`, note: 'deactivate the access key' });
            if (!dryRun) await send('UpdateAccessKey', () => client.send(new UpdateAccessKeyCommand({ UserName, AccessKeyId: k.AccessKeyId, Status: 'Inactive' }), { abortSignal: signal }));
          }
          parts.push(`${active.length} access key(s) deactivated`);
        }
        if (config.deleteLoginProfile) {
          record({ method: 'DeleteLoginProfile', url: `${where} UserName=${UserName}`, note: 'delete the console password' });
          if (!dryRun) {
            const deleted = await send('DeleteLoginProfile', () => client.send(new DeleteLoginProfileCommand({ UserName }), { abortSignal: signal })).then(
              () => true,
              (err: ProviderError) => {
                if (isNoSuchEntity(err.cause)) return false;
                throw err;
              },
            );
            parts.push(deleted ? 'console password deleted' : 'had no console password');
          }
        }
        done.push(`${UserName}: ${parts.join(', ')}`);
      }
      if (found === 0) return { outcome: 'not_found', detail: `IAM has none of the linked users any more (${names.join(', ')})` };
      if (dryRun) return { outcome: 'skipped', detail: `dry run: would act on ${done.join('; ')}` };
      return { outcome: 'succeeded', detail: done.join('; ') };
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
