/** Every module in the fault matrix: one line per harness (see ../harness.ts). */
import type { MonitorHarness, ResponderHarness } from '../harness.js';
import { auth0Harness } from './auth0.js';
import { awsIamLiveHarness, awsIamReportHarness, awsIamResponderHarness } from './aws-iam.js';
import { commandHarness } from './command.js';
import { entraHarness } from './entra.js';
import { githubHarness } from './github.js';
import { gitlabHarness } from './gitlab.js';
import { googleWorkspaceHarness } from './google-workspace.js';
import { oktaHarness } from './okta.js';
import { auth0ResponderHarness, entraResponderHarness, githubResponderHarness, googleResponderHarness, oktaResponderHarness, slackResponderHarness } from './responders.js';
import { slackHarness } from './slack.js';

export const HARNESSES: readonly MonitorHarness[] = [
  githubHarness,
  auth0Harness,
  entraHarness,
  gitlabHarness,
  commandHarness,
  awsIamReportHarness,
  awsIamLiveHarness,
  googleWorkspaceHarness,
  oktaHarness,
  slackHarness,
];

/** Every responder in the fault matrix (`mfawatch kill`). */
export const RESPONDER_HARNESSES: readonly ResponderHarness[] = [oktaResponderHarness, entraResponderHarness, auth0ResponderHarness, slackResponderHarness, googleResponderHarness, githubResponderHarness, awsIamResponderHarness];
