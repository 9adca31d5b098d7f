import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/** One GitHub organisation. See responders/github/README.md for the token it needs. */
export const githubResponderSchema = responderConfig('github', {
  org: z.string({ error: expect('the organisation login') }).min(1),
  /** An org owner's token with admin:org (classic); SSO-authorised for the org. */
  token: secret(),
  baseUrl: httpUrl().default('https://api.github.com'),
  /** Also remove the member from the organisation (default false: opt in). */
  removeFromOrg: z.boolean().default(false),
  requestTimeout: duration().default(30_000),
});

export type GithubResponderConfig = z.output<typeof githubResponderSchema>;
