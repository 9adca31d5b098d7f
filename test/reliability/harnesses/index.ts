/** Every module in the fault matrix: one line per harness (see ../harness.ts). */
import type { MonitorHarness } from '../harness.js';
import { auth0Harness } from './auth0.js';
import { githubHarness } from './github.js';

export const HARNESSES: readonly MonitorHarness[] = [githubHarness, auth0Harness];
