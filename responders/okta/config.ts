import { z } from 'zod';
import { duration, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/** One Okta org. See responders/okta/README.md for the token it needs. */
export const oktaResponderSchema = responderConfig('okta', {
  /** The org URL, e.g. https://acme.okta.com (a custom domain or a test fake works too). */
  baseUrl: httpUrl(),
  /** An API token (SSWS) or an OAuth 2.0 access token (Bearer) with okta.users.manage. */
  token: secret(),
  /** "SSWS" for an API token (default), "Bearer" for an OAuth access token. */
  tokenType: z.enum(['SSWS', 'Bearer']).default('SSWS'),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
});

export type OktaResponderConfig = z.output<typeof oktaResponderSchema>;
