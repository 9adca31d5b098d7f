import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/** One Auth0 tenant. See responders/auth0/README.md for the Management API grant it needs. */
export const auth0ResponderSchema = responderConfig('auth0', {
  /** Tenant URL, e.g. https://acme.eu.auth0.com (a custom domain does not serve the Management API). */
  baseUrl: httpUrl(),
  /** Client id of a machine-to-machine application authorised for the Management API. */
  clientId: z.string({ error: expect('the client id of a machine-to-machine application') }).min(1),
  clientSecret: secret(),
  /** Management API audience (default: {baseUrl}/api/v2/). */
  audience: z.string().min(1).optional(),
  requestTimeout: duration().default(30_000),
});

export type Auth0ResponderConfig = z.output<typeof auth0ResponderSchema>;
