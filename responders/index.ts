/**
 * The responder registry: an explicit list, one entry per folder under responders/ (a test checks
 * that the two agree). The key is the config `type`.
 */
import type { ResponderCommonConfig, ResponderModule } from './types.js';

export const RESPONDERS: ReadonlyMap<string, ResponderModule<ResponderCommonConfig>> = new Map<string, ResponderModule<ResponderCommonConfig>>([]);
