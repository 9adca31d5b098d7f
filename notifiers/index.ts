/**
 * The notifier registry: an explicit list, one entry per folder under notifiers/ (a test checks
 * that the two agree). The key is the config `type`.
 */
import { stdoutNotifier } from './stdout/index.js';
import { registerNotifier, type NotifierCommonConfig, type NotifierModule } from './types.js';

export const NOTIFIERS: ReadonlyMap<string, NotifierModule<NotifierCommonConfig>> = new Map(
  [registerNotifier(stdoutNotifier)].map((m) => [m.type, m]),
);
