import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/**
 * One Google Workspace domain. The service-account key comes from `serviceAccountKey` (the key
 * JSON itself, from the environment: "${GOOGLE_SA_KEY}") or `serviceAccountKeyFile` (a path).
 * See responders/google-workspace/README.md.
 */
export const googleResponderSchema = responderConfig('google-workspace', {
  /** A super admin (or an admin with the user-security privilege) the service account acts as. */
  adminEmail: z.string({ error: expect('the email of the admin to impersonate') }).email('must be an email address'),
  serviceAccountKey: secret().optional(),
  serviceAccountKeyFile: z.string().min(1).optional(),
  /** Admin SDK root. */
  baseUrl: httpUrl().default('https://admin.googleapis.com'),
  /** OAuth token endpoint (a test fake on loopback). */
  tokenUrl: httpUrl().default('https://oauth2.googleapis.com/token'),
  requestTimeout: duration().default(30_000),
}).refine((c) => (c.serviceAccountKey === undefined) !== (c.serviceAccountKeyFile === undefined), {
  message: 'set exactly one of serviceAccountKey (the key JSON, from the environment) or serviceAccountKeyFile (a path)',
  path: ['serviceAccountKey'],
});

export type GoogleResponderConfig = z.output<typeof googleResponderSchema>;
