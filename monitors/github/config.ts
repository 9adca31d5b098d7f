import { z } from 'zod';
import { duration, expect, httpUrl, secret } from '../../src/config/fields.js';
import { monitorConfig } from '../types.js';

/**
 * One GitHub organisation. Several orgs are several monitor instances.
 * See monitors/github/README.md for the token it needs.
 */
export const githubConfigSchema = monitorConfig('github', {
  /** Organisation login, as in https://github.com/<org>. */
  org: z.string({ error: expect('the organisation login, as in https://github.com/<org>') }).min(1, 'must not be empty'),
  /** Classic PAT with read:org from an org owner, or a fine-grained token with Members: read. */
  token: secret(),
  /** REST API root; GitHub Enterprise Server: https://HOST/api/v3. */
  baseUrl: httpUrl().default('https://api.github.com'),
  /** Also watch outside collaborators (default true). */
  outsideCollaborators: z.boolean().default(true),
  /**
   * Read the organisation's SAML SSO identities (GraphQL) and set each member's email from the
   * SAML NameID, linking GitHub accounts to people for session kills (default false; needs an
   * org owner's token with admin:org and an org on GitHub Enterprise Cloud with SAML SSO).
   */
  samlIdentities: z.boolean().default(false),
  /**
   * List the credentials (personal access tokens, SSH keys) members authorised for the
   * organisation's SAML SSO (GET /orgs/{org}/credential-authorizations) and report a newly
   * authorised one as `credential_added` (default false; needs an org owner's token with read:org
   * and an org on GitHub Enterprise Cloud with SAML SSO).
   */
  samlCredentials: z.boolean().default(false),
  /** Per-request timeout (default 30s). */
  requestTimeout: duration().default(30_000),
  /** Retries of a 5xx answer by @octokit/plugin-retry (default 3). */
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * Seeing changes as they happen (README "Events"): the organisation webhook at
   * `POST /hooks/<id>` (when `webhookSecret` is set) and the fast 2FA probe (every `probe`,
   * default 60s; `false` turns it off).
   */
  events: z
    .strictObject({
      /** The webhook's secret: deliveries are checked with X-Hub-Signature-256. */
      webhookSecret: secret().optional(),
      /** How often to list members (and outside collaborators) without 2FA; `false`: no probe. */
      probe: z
        .union([z.literal(false), duration()], { error: 'must be a duration such as "60s", or false' })
        .refine((v) => v === false || v >= 10_000, 'must be at least "10s" (each probe costs requests of the token\'s hourly budget)')
        .default(60_000),
    })
    .optional(),
});

export type GithubConfig = z.output<typeof githubConfigSchema>;
