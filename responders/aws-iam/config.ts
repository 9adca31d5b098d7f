import { z } from 'zod';
import { duration, expect, httpUrl } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/**
 * One AWS account per responder entry. Credentials come from the AWS SDK's default chain
 * (environment, shared config/SSO `profile`, container or instance role), never from this file;
 * with `roleArn` the responder assumes that role (in the target account) with them first, so one
 * set of credentials can reach every account. See responders/aws-iam/README.md for the IAM permissions.
 */
export const awsIamResponderSchema = responderConfig('aws-iam', {
  /** Only IAM users of this 12-digit account are touched (their ARN is checked); default: the account of `roleArn`, else any linked user the credentials' own account holds. */
  accountId: z.string({ error: expect('a 12-digit AWS account id') }).regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
  region: z.string().min(1).default('us-east-1'),
  /** A named profile of the shared config/credentials files (SSO profiles included). */
  profile: z.string().min(1).optional(),
  /** A role in the target account to assume (sts:AssumeRole) before acting, e.g. "arn:aws:iam::123456789012:role/mfawatch-responder". */
  roleArn: z
    .string({ error: expect('an IAM role ARN') })
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN, e.g. "arn:aws:iam::123456789012:role/mfawatch-responder"')
    .optional(),
  /** The role's sts:ExternalId condition value, when its trust policy has one. */
  externalId: z.string().min(2, 'must be 2-1224 characters').max(1224, 'must be 2-1224 characters').regex(/^[\w+=,.@:/-]+$/, 'may contain only letters, digits and +=,.@:/-').optional(),
  /**
   * Every account of an AWS Organization: acts on a linked IAM user in whichever account holds it,
   * by assuming this role there (the monitor's `organization` counterpart; one entry for all accounts).
   */
  organization: z
    .strictObject({
      roleName: z.string({ error: expect('the name of the role to assume in every account, e.g. "mfawatch-responder"') }).regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name (1-64 letters, digits and +=,.@_-), e.g. "mfawatch-responder"'),
      externalId: z.string().min(2, 'must be 2-1224 characters').max(1224, 'must be 2-1224 characters').regex(/^[\w+=,.@:/-]+$/, 'may contain only letters, digits and +=,.@:/-').optional(),
    })
    .optional(),
  /** Endpoint override (LocalStack, a test fake): a string for IAM and STS alike; an object overrides each (src/aws/endpoints.ts). */
  endpoint: z.union([httpUrl(), z.strictObject({ iam: httpUrl().optional(), sts: httpUrl().optional() })], { error: 'must be one endpoint URL for IAM and STS, or { "iam": URL, "sts": URL }' }).optional(),
  /** Per-call timeout (default 30 s); a kill as a whole is bounded by autoResponse.killTimeout / --timeout. */
  requestTimeout: duration().default(30_000),
  /** Attempts per call, the SDK's retries of throttling and 5xx answers included (default 3). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Also deactivate every access key of the user (default false: opt in). */
  deactivateAccessKeys: z.boolean().default(false),
  /** Also delete the user's console password (login profile) (default false: opt in). */
  deleteLoginProfile: z.boolean().default(false),
}).superRefine((c, ctx) => {
  const roleAccount = c.roleArn?.split(':')[4];
  if (c.accountId !== undefined && roleAccount !== undefined && roleAccount !== c.accountId) {
    ctx.addIssue({ code: 'custom', path: ['accountId'], message: `"roleArn" is a role of account ${roleAccount}, not ${c.accountId}: the responder acts in the role's account` });
  }
  if (c.externalId !== undefined && c.roleArn === undefined) ctx.addIssue({ code: 'custom', path: ['externalId'], message: '"externalId" only applies with "roleArn"' });
  if (c.organization !== undefined && (c.accountId !== undefined || c.roleArn !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['organization'], message: 'use "organization" (every account, by role name) or "accountId"/"roleArn" (one account), not both' });
  }
});

export type AwsIamResponderConfig = z.output<typeof awsIamResponderSchema>;
