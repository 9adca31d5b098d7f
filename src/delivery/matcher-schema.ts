/** The config schema of one routing matcher (a notifier's `match` entry; see src/delivery/matchers.ts). */
import { z } from 'zod';

export const matcherSchema = z
  .strictObject({
    scopes: z.array(z.string().min(1)).min(1).optional(),
    identities: z.array(z.string().min(1)).min(1).optional(),
    githubTeams: z.array(z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'must be "org/team-slug", e.g. "acme/payments"')).min(1).optional(),
  })
  .refine((m) => m.scopes || m.identities || m.githubTeams, 'a matcher needs at least one of "scopes", "identities", "githubTeams"');

export type NotifierMatcher = z.output<typeof matcherSchema>;

