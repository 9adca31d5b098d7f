/**
 * The responder contract: invalidate one identity's sessions at one service and say what
 * happened. Concurrency, deadlines, guards, audit and announcements live in src/.
 */
import { z } from 'zod';
import { instanceId } from '../src/config/fields.js';
import type { ModuleDeps } from '../src/core/deps.js';

/** Config keys every responder accepts. */
export const responderCommonShape = {
  id: instanceId(),
} as const;

export interface ResponderCommonConfig {
  id: string;
  type: string;
}

/** Builds a responder's strict config schema: common keys, fixed `type`, its own keys. */
export function responderConfig<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ ...responderCommonShape, type: z.literal(type), ...shape });
}

/** A responder type. Implementations arrive with the session-invalidation work. */
export interface ResponderModule<C extends ResponderCommonConfig = ResponderCommonConfig> {
  readonly type: string;
  /** Display name of the service. */
  readonly service: string;
  readonly configSchema: z.ZodType<C, unknown>;
  readonly secretKeys: readonly string[];
  create(config: C, deps: ModuleDeps): unknown;
}

/** Erases a module's own config type for the registry; the core only hands it configs its schema produced. */
export function registerResponder<C extends ResponderCommonConfig>(module: ResponderModule<C>): ResponderModule<ResponderCommonConfig> {
  return module as unknown as ResponderModule<ResponderCommonConfig>;
}
