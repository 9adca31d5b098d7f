/** Every module in the fault matrix: one line per harness (see ../harness.ts). */
import type { MonitorHarness } from '../harness.js';
import { githubHarness } from './github.js';
import { googleWorkspaceHarness } from './google-workspace.js';
import { oktaHarness } from './okta.js';
import { slackHarness } from './slack.js';

export const HARNESSES: readonly MonitorHarness[] = [githubHarness, googleWorkspaceHarness, oktaHarness, slackHarness];
