/**
 * The responder registry: an explicit list, one entry per folder under responders/ (a test checks
 * that the two agree). The key is the config `type`.
 */
import auth0 from './auth0/index.js';
import awsIam from './aws-iam/index.js';
import entra from './entra/index.js';
import github from './github/index.js';
import googleWorkspace from './google-workspace/index.js';
import okta from './okta/index.js';
import slack from './slack/index.js';
import type { ResponderCommonConfig, ResponderModule } from './types.js';

export const RESPONDERS: ReadonlyMap<string, ResponderModule<ResponderCommonConfig>> = new Map<string, ResponderModule<ResponderCommonConfig>>(
  [auth0, awsIam, entra, github, googleWorkspace, okta, slack].map((m) => [m.type, m]),
);
