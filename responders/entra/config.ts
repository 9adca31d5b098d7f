import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { responderConfig } from '../types.js';

/** One Entra ID tenant. See responders/entra/README.md for the app registration it needs. */
export const entraResponderSchema = responderConfig('entra', {
  /** Directory (tenant) id or a verified domain. */
  tenantId: z.string({ error: expect('the directory (tenant) id') }).min(1),
  /** Application (client) id of the app registration. */
  clientId: z.string({ error: expect('the application (client) id') }).min(1),
  /** A client secret of the app registration. */
  clientSecret: secret(),
  /** Microsoft Graph root (national clouds: https://graph.microsoft.us, …). */
  graphUrl: httpUrl().default('https://graph.microsoft.com'),
  /** Token endpoint host (national clouds: https://login.microsoftonline.us, …). */
  loginUrl: httpUrl().default('https://login.microsoftonline.com'),
  requestTimeout: duration().default(30_000),
});

export type EntraResponderConfig = z.output<typeof entraResponderSchema>;
