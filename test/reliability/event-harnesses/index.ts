/** Every provider event source in the event fault matrix: one line per harness (see ./types.ts). */
import { auth0EventHarness } from './auth0.js';
import { entraEventHarness } from './entra.js';
import { gitlabEventHarness } from './gitlab.js';
import { googleWorkspaceEventHarness } from './google-workspace.js';
import { oktaEventHarness } from './okta.js';
import { slackEventHarness } from './slack.js';
import type { ProviderEventHarness } from './types.js';

export const EVENT_HARNESSES: readonly ProviderEventHarness[] = [oktaEventHarness, entraEventHarness, googleWorkspaceEventHarness, auth0EventHarness, gitlabEventHarness, slackEventHarness];
