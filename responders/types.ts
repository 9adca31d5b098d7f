/**
 * The responder contract: invalidate one identity's sessions at one service and say what
 * happened. Concurrency, deadlines, guards, persistence, audit and announcements live in
 * src/response/, never in a responder.
 */
import { z } from 'zod';
import { instanceId } from '../src/config/fields.js';
import type { ModuleDeps } from '../src/core/deps.js';

/** What a responder's HTTP errors advise after a transient failure (a kill is not retried by itself). */
export const AFTER_KILL_FAILURE = 'run the kill again';

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

/** Static AWS credentials (tests, or a wrapper that already holds them); normally the SDK's default chain. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What a responder factory gets: the module deps, plus SDK credentials a caller may pass in. */
export interface ResponderDeps extends ModuleDeps {
  awsCredentials?: AwsCredentials | undefined;
}

/** One account linked to the identity (see src/response/identity.ts). */
export interface LinkedAccount {
  /** Monitor instance id and its type (`github`, `aws-iam`, …). */
  monitorId: string;
  monitorType: string;
  scope: string;
  /** The provider's stable id (GitHub user id, IAM user ARN). */
  accountId: string;
  login: string;
  email: string | null;
  /** How the account was linked: `map` (identities.map) or `email` (the provider's own email). */
  via: 'map' | 'email';
}

/** Whose sessions to kill: the person (an email) and the accounts mfawatch links to them. */
export interface ResponseTarget {
  identity: string;
  accounts: readonly LinkedAccount[];
}

/** One API call made, or that would be made in a dry run. Never carries a secret. */
export interface ApiCall {
  method: string;
  /** Full URL (or AWS action and parameters); no credentials. */
  url: string;
  /** What the call is for, in plain words. */
  note?: string | undefined;
}

export interface InvalidateOptions {
  /** Make only read calls; record the writes that would be made. */
  dryRun: boolean;
  /** Aborts at the kill deadline. */
  signal: AbortSignal;
  /** Records a call before it is made (or, in a dry run, instead of making it). */
  record(call: ApiCall): void;
}

/**
 * What a responder says. `succeeded`: sessions were invalidated; `not_found`: the service has no
 * such user; `unsupported`: the service or plan cannot do it (said why in `detail`); `skipped`:
 * dry run, nothing changed. A failure is thrown as a ProviderError, never returned.
 */
export type ResponderOutcome = 'succeeded' | 'not_found' | 'unsupported' | 'skipped';

export interface ResponderAnswer {
  outcome: ResponderOutcome;
  /** One plain sentence: "signed out alice@example.com (Okta user 00u1…): sessions and OAuth tokens revoked". */
  detail: string;
}

/** A configured responder: one method. */
export interface Responder {
  /** Invalidates the target's sessions at this service, or throws a ProviderError. */
  invalidate(target: ResponseTarget, options: InvalidateOptions): Promise<ResponderAnswer>;
}

/** A responder type. */
export interface ResponderModule<C extends ResponderCommonConfig = ResponderCommonConfig> {
  readonly type: string;
  /** Display name of the service. */
  readonly service: string;
  /**
   * Set when the responder acts only on accounts linked from monitors of this type (GitHub logins,
   * IAM users) and never looks a person up by e-mail: without such a monitor it can kill nothing.
   */
  readonly linksFrom?: string;
  readonly configSchema: z.ZodType<C, unknown>;
  readonly secretKeys: readonly string[];
  create(config: C, deps: ResponderDeps): Responder;
}

/** Erases a module's own config type for the registry; the core only hands it configs its schema produced. */
export function registerResponder<C extends ResponderCommonConfig>(module: ResponderModule<C>): ResponderModule<ResponderCommonConfig> {
  return module as unknown as ResponderModule<ResponderCommonConfig>;
}

/** The identity's accounts from monitors of `type` (e.g. the GitHub logins of alice). */
export function accountsOfType(target: ResponseTarget, type: string): LinkedAccount[] {
  return target.accounts.filter((a) => a.monitorType === type);
}
