/** Every provider event source in the event fault matrix: one line per harness (see ./types.ts). */
import { auth0EventHarness } from './auth0.js';
import { entraEventHarness } from './entra.js';
import { entraSignInsEventHarness } from './entra-signins.js';
import { gitlabEventHarness } from './gitlab.js';
import { googleAdminRolesEventHarness } from './google-admin-roles.js';
import { googleWorkspaceEventHarness } from './google-workspace.js';
import { oktaEventHarness } from './okta.js';
import { slackEventHarness } from './slack.js';
import type { ProviderEventHarness } from './types.js';

/** A monitor's second source (Entra sign-ins, Google admin-roles) follows its first. */
export const EVENT_HARNESSES: readonly ProviderEventHarness[] = [
  oktaEventHarness, entraEventHarness, entraSignInsEventHarness, googleWorkspaceEventHarness, googleAdminRolesEventHarness, auth0EventHarness, gitlabEventHarness, slackEventHarness,
];
