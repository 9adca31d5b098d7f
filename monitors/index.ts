/**
 * The monitor registry: an explicit list, one entry per folder under monitors/ (a test checks
 * that the two agree). The key is the config `type`.
 */
import { auth0Monitor } from './auth0/index.js';
import { awsIamMonitor } from './aws-iam/index.js';
import { commandMonitor } from './command/index.js';
import { entraMonitor } from './entra/index.js';
import { githubMonitor } from './github/index.js';
import { gitlabMonitor } from './gitlab/index.js';
import { googleWorkspaceMonitor } from './google-workspace/index.js';
import { oktaMonitor } from './okta/index.js';
import { slackMonitor } from './slack/index.js';
import { registerMonitor, type MonitorCommonConfig, type MonitorModule } from './types.js';

export const MONITORS: ReadonlyMap<string, MonitorModule<MonitorCommonConfig>> = new Map(
  [
    registerMonitor(githubMonitor),
    registerMonitor(awsIamMonitor),
    registerMonitor(googleWorkspaceMonitor),
    registerMonitor(oktaMonitor),
    registerMonitor(slackMonitor),
    registerMonitor(auth0Monitor),
    registerMonitor(entraMonitor),
    registerMonitor(gitlabMonitor),
    registerMonitor(commandMonitor),
  ].map((m) => [m.type, m]),
);
