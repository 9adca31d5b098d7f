import { z } from 'zod';
import { duration, expect, httpUrl } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/** A 12-digit AWS account id. */
const accountId = () => z.string({ error: expect('a 12-digit AWS account id, as a string') }).regex(/^\d{12}$/, 'must be a 12-digit AWS account id, as a string ("012345678901")');

/** An IAM role ARN; its account is the AWS account scanned through it. */
const roleArn = () =>
  z
    .string({ error: expect('an IAM role ARN, e.g. "arn:aws:iam::123456789012:role/mfawatch-audit"') })
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN, e.g. "arn:aws:iam::123456789012:role/mfawatch-audit"');

/** One AWS account reached through STS AssumeRole. */
const accountEntry = z.strictObject({
  /** The audit role in the target account (see README: "The cross-account audit role"). */
  roleArn: roleArn(),
  /** The role's sts:ExternalId condition value, when its trust policy has one. */
  externalId: z.string().min(2, 'must be 2-1224 characters').max(1224, 'must be 2-1224 characters').regex(/^[\w+=,.@:/-]+$/, 'may contain only letters, digits and +=,.@:/-').optional(),
  /** RoleSessionName, visible in the target account's CloudTrail (default "mfawatch"). */
  sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters: letters, digits and +=,.@-').optional(),
  /** A name for the account in alerts until its alias is read (default: the account id). */
  label: z.string().min(1).max(100).optional(),
});

/**
 * Endpoint overrides (LocalStack, a test fake, a VPC endpoint). A string applies to every AWS
 * service the monitor calls; an object overrides each service named, the others resolved by the
 * SDK (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, AWS): src/aws/endpoints.ts.
 */
const endpoint = z.union([httpUrl(), z.strictObject({ iam: httpUrl().optional(), sts: httpUrl().optional(), organizations: httpUrl().optional() })], {
  error: 'must be one endpoint URL for every AWS service, or { "iam": URL, "sts": URL, "organizations": URL }',
});

/** An account id, or an organizational unit or root id, as Organizations writes them. */
const accountOrUnit = () =>
  z
    .string({ error: expect('an account id, an OU id ("ou-…") or the root id ("r-…")') })
    .regex(/^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/, 'must be a 12-digit account id, an organizational unit id ("ou-ab12-cdef3456") or the root id ("r-ab12")');

/** Every account of an AWS Organization, each through the same role (monitors/aws-iam/organizations.ts). */
const organization = z.strictObject({
  /** The role to assume in every account (created by the StackSet in the README). */
  roleName: z.string({ error: expect('the name of the role to assume in every account, e.g. "MfawatchAudit"') }).regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits and +=,.@_-), e.g. "MfawatchAudit"'),
  externalId: z.string().min(2, 'must be 2-1224 characters').max(1224, 'must be 2-1224 characters').regex(/^[\w+=,.@:/-]+$/, 'may contain only letters, digits and +=,.@:/-').optional(),
  sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters: letters, digits and +=,.@-').optional(),
  /** Only these accounts, by account id or organizational unit ("ou-…", the root "r-…"); default: every ACTIVE account. */
  include: z.array(accountOrUnit()).min(1).optional(),
  /** Never these accounts, by account id or organizational unit. */
  exclude: z.array(accountOrUnit()).optional(),
});

/**
 * An SQS queue URL: https://sqs.<region>.amazonaws.com/<account>/<name> (or the legacy
 * queue.amazonaws.com / <region>.queue.amazonaws.com hosts, or any host with `endpoint`).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
 */
const queueUrl = () =>
  httpUrl().refine((u) => URL.canParse(u) && /^\/\d{12}\/[\w-]{1,80}(\.fifo)?$/.test(new URL(u).pathname), {
    message: 'must be an SQS queue URL, e.g. "https://sqs.us-east-1.amazonaws.com/111122223333/mfawatch-iam"',
  });

/**
 * `events.sqs`: the queue an EventBridge rule fills with CloudTrail's IAM API calls and console
 * sign-ins (README.md, "Events"). Read with the SDK's default credentials of this instance (not
 * the audit roles), deleted only after what each message produced is committed.
 */
const sqsEvents = z.strictObject({
  queueUrl: queueUrl(),
  /** SQS endpoint override (LocalStack, a test fake, a VPC endpoint). */
  endpoint: httpUrl().optional(),
  /** Signing region (default: the queue URL's, else the instance's `region`). */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name such as "us-east-1"').optional(),
  /** Long-poll wait of one ReceiveMessage, 0-20 seconds (default 20, SQS's maximum). */
  waitTimeSeconds: z.number().int().min(0, 'must be 0-20 (seconds)').max(20, 'must be 0-20 (seconds): SQS waits at most 20 seconds').default(20),
  /** Messages per ReceiveMessage, 1-10 (default 10, SQS's maximum). */
  maxMessages: z.number().int().min(1, 'must be 1-10').max(10, 'must be 1-10: SQS returns at most 10 messages per call').default(10),
});

/** The `events` block of an aws-iam instance. */
const events = z.strictObject({ sqs: sqsEvents }, { error: 'must be { "sqs": { "queueUrl": … } }' });

/**
 * One AWS account scanned with the SDK's default credentials, or many accounts through
 * STS AssumeRole. Credentials never appear in the config: they come from the SDK's default
 * provider chain (environment, shared config/SSO `profile`, container or instance metadata).
 * See monitors/aws-iam/README.md.
 */
export const awsIamConfigSchema = monitorConfig('aws-iam', {
  /**
   * `report`: the IAM credential report (a constant number of calls, data up to 4 hours old).
   * `live`: ListUsers + ListVirtualMFADevices + per-user calls (fresh, about 2 calls per user).
   */
  mode: z.enum(['report', 'live'], { error: expect('"report" or "live"') }).default('report'),
  /** Signing region; IAM is global and signs in us-east-1 in the aws partition. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region name such as "us-east-1"').default('us-east-1'),
  /** A named profile of the shared config/credentials files (SSO profiles included). */
  profile: z.string().min(1).optional(),
  endpoint: endpoint.optional(),
  /** Single-account instance: the account the credentials must belong to (checked every scan). */
  accountId: accountId().optional(),
  /** Every ACTIVE account of the AWS Organization, listed before each cycle; each is its own scope. */
  organization: organization.optional(),
  /** Many accounts, each through its own audit role; each is its own scope. */
  accounts: z.array(accountEntry).min(1, 'list at least one account, or leave "accounts" out to scan the credentials\' own account').optional(),
  /**
   * Tag key whose value is the user's email, for identity linking (e.g. "email"). Off by default:
   * reading tags in bulk needs iam:GetAccountAuthorizationDetails (one call per 1,000 users).
   */
  emailTag: z.string().min(1).max(128).nullable().default(null),
  /**
   * Mark IAM users with administrator policies (AdministratorAccess, IAMFullAccess, or Allow * on *)
   * as admins, so that their MFA loss is critical. Off by default: it reads users, groups and
   * customer managed policies with iam:GetAccountAuthorizationDetails (1,000 entities per call).
   */
  detectAdmins: z.boolean().default(false),
  /** How long to wait for AWS to finish generating the credential report (default 5m). */
  reportTimeout: duration().default(5 * 60_000),
  /** SDK attempts per call, first included, for throttling and 5xx (default 5). */
  maxAttempts: z.number().int().min(1).max(10).default(5),
  /** SDK retry mode: "adaptive" also rate-limits the client after throttling (default). */
  retryMode: z.enum(['standard', 'adaptive']).default('adaptive'),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Change events from CloudTrail through EventBridge and SQS (README.md, "Events"). */
  events: events.optional(),
}).superRefine((c, ctx) => {
  if (c.accountId !== undefined && c.accounts !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['accountId'], message: 'use either "accountId" (one account, default credentials) or "accounts" (roles to assume), not both' });
  }
  if (c.organization !== undefined && (c.accountId !== undefined || c.accounts !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['organization'], message: 'use "organization" (every account of the organization) or "accountId"/"accounts", not both' });
  }
  const seen = new Map<string, number>();
  (c.accounts ?? []).forEach((a, i) => {
    const id = accountOfRoleArn(a.roleArn);
    const first = seen.get(id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['accounts', i, 'roleArn'], message: `account ${id} is already listed at accounts.${first}; list each AWS account once` });
    else seen.set(id, i);
  });
});

/** One aws-iam monitor entry after validation and defaults. */
export type AwsIamConfig = z.output<typeof awsIamConfigSchema>;
/** `events.sqs` after validation and defaults. */
export type AwsSqsEventsConfig = z.output<typeof sqsEvents>;
/** One entry of `accounts`. */
export type AwsAccountEntry = z.output<typeof accountEntry>;

/** The 12-digit account id inside a role ARN (validated by the schema). */
export function accountOfRoleArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}
