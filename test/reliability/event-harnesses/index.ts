/** Every provider event source in the event fault matrix: one line per harness (see ./types.ts). */
import { entraEventHarness } from './entra.js';
import { oktaEventHarness } from './okta.js';
import type { ProviderEventHarness } from './types.js';

export const EVENT_HARNESSES: readonly ProviderEventHarness[] = [oktaEventHarness, entraEventHarness];
