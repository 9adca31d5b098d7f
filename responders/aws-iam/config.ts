import { z } from 'zod';
import { expect, httpUrl } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/**
 * One AWS account (configure one responder per account). Credentials come from the AWS SDK's
 * default chain (environment, shared config/SSO profile, container or instance role); never from
 * this file. See responders/aws-iam/README.md for the IAM permissions.
 */
export const awsIamResponderSchema = responderConfig('aws-iam', {
  /** Only IAM users of this 12-digit account are touched (their ARN is checked); default: any linked user. */
  accountId: z.string({ error: expect('a 12-digit AWS account id') }).regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
  region: z.string().min(1).default('us-east-1'),
  /** IAM endpoint override (LocalStack, a test fake). */
  endpoint: httpUrl().optional(),
  /** Also deactivate every access key of the user (default false: opt in). */
  deactivateAccessKeys: z.boolean().default(false),
  /** Also delete the user's console password (login profile) (default false: opt in). */
  deleteLoginProfile: z.boolean().default(false),
});

export type AwsIamResponderConfig = z.output<typeof awsIamResponderSchema>;
