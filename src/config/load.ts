/**
 * Loading the config: read, parse, substitute `${ENV}`, validate everything, and report every
 * problem at once with its JSON path. Nothing runs until this succeeds.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { MONITORS } from '../../monitors/index.js';
import type { MonitorCommonConfig, MonitorModule } from '../../monitors/types.js';
import { NOTIFIERS } from '../../notifiers/index.js';
import type { NotifierCommonConfig, NotifierModule } from '../../notifiers/types.js';
import { RESPONDERS } from '../../responders/index.js';
import type { ResponderCommonConfig, ResponderModule } from '../../responders/types.js';
import { ConfigError } from '../core/errors.js';
import { formatPath, substituteEnv } from './env.js';
import { matcherMonitorOf } from '../delivery/directories/index.js';
import { matcherReferenceIssues } from '../delivery/matcher-schema.js';
import { rootSchema, type RootConfig } from './schema.js';
import { isLoopbackHost, parseListen } from '../observability/listen.js';

export interface ConfiguredMonitor {
  config: MonitorCommonConfig;
  module: MonitorModule<MonitorCommonConfig>;
}
export interface ConfiguredNotifier {
  config: NotifierCommonConfig;
  module: NotifierModule<NotifierCommonConfig>;
}
export interface ConfiguredResponder {
  config: ResponderCommonConfig;
  module: ResponderModule<ResponderCommonConfig>;
}

/** The validated config, with every module entry resolved to its module. */
export interface ResolvedConfig extends Omit<RootConfig, 'monitors' | 'notifiers' | 'responders'> {
  /** Absolute path of the config file ('' when built in memory). */
  path: string;
  monitors: ConfiguredMonitor[];
  notifiers: ConfiguredNotifier[];
  responders: ConfiguredResponder[];
  /** Problems that do not stop mfawatch (a literal secret in a file others can read, no notifier). */
  warnings: string[];
  /**
   * Only when checked offline: the `${VAR}` references left unresolved because the variable is not
   * set, as "JSON path: ${VAR}". Their values were not checked (a stand-in took their place).
   */
  unresolved?: string[];
}

/** Options of resolveConfig. */
export interface ResolveOptions {
  /**
   * Check without the secrets (`config check --offline`): a `${VAR}` whose variable is not set is
   * listed in `unresolved` instead of failing, and the value it would give is not checked.
   */
  offline?: boolean;
}

/** JSON paths of secrets in the root sections (module secrets come from each module's secretKeys). */
const ROOT_SECRET_PATHS = [
  'health.heartbeatUrl',
  'console.oidc.clientSecret',
  'console.sessionSecret',
  'owners.slack.token',
  'owners.sms.authToken',
] as const;

interface ModuleLike {
  type: string;
  configSchema: z.ZodType<unknown, unknown>;
  secretKeys: readonly string[];
}

function zodIssues(error: z.ZodError, prefix: ReadonlyArray<PropertyKey>, skip: ReadonlySet<string>): string[] {
  return error.issues.filter((issue) => !skip.has(formatPath([...prefix, ...issue.path]))).map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return `${path}: unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (check the spelling against config.example.json)`;
    }
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${path}: required`;
    if (issue.code === 'invalid_key') return `${path}: invalid key: ${issue.issues.map((i) => i.message).join('; ')}`;
    return `${path}: ${issue.message}`;
  });
}

/** Validates the entries of one module list (monitors, notifiers, responders). */
function checkEntries<M extends ModuleLike>(
  section: 'monitors' | 'notifiers' | 'responders',
  entries: readonly unknown[],
  registry: ReadonlyMap<string, M>,
  issues: string[],
  skip: ReadonlySet<string>,
): Array<{ config: unknown; module: M; index: number }> {
  const out: Array<{ config: unknown; module: M; index: number }> = [];
  const known = [...registry.keys()].sort().join(', ') || '(none yet)';
  entries.forEach((entry, index) => {
    const path = formatPath([section, index]);
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push(`${path}: must be an object with "id" and "type"`);
      return;
    }
    const type = (entry as { type?: unknown }).type;
    if (type === undefined) {
      issues.push(`${path}.type: required (one of: ${known})`);
      return;
    }
    const module = typeof type === 'string' ? registry.get(type) : undefined;
    if (!module) {
      issues.push(`${path}.type: unknown ${section.slice(0, -1)} type ${JSON.stringify(type)}; known types: ${known}`);
      return;
    }
    const parsed = module.configSchema.safeParse(entry);
    if (!parsed.success) {
      issues.push(...zodIssues(parsed.error, [section, index], skip));
      return;
    }
    out.push({ config: parsed.data, module, index });
  });
  const seen = new Map<string, number>();
  for (const { config, index } of out) {
    const id = (config as { id: string }).id;
    const first = seen.get(id);
    if (first !== undefined) issues.push(`${formatPath([section, index, 'id'])}: duplicate id "${id}" (already used by ${formatPath([section, first])})`);
    else seen.set(id, index);
  }
  return out;
}

/** The `${VAR}` references of `raw` whose variable `env` does not set, each with its JSON path. */
function unsetReferences(raw: unknown, env: Readonly<Record<string, string | undefined>>, path: PropertyKey[] = []): Array<{ path: string; name: string }> {
  if (typeof raw === 'string') return [...raw.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].filter((m) => env[m[1] as string] === undefined).map((m) => ({ path: formatPath(path), name: m[1] as string }));
  if (Array.isArray(raw)) return raw.flatMap((item, i) => unsetReferences(item, env, [...path, i]));
  if (raw !== null && typeof raw === 'object') return Object.entries(raw).flatMap(([k, v]) => unsetReferences(v, env, [...path, k]));
  return [];
}

/**
 * The stand-in for an unset variable when checking offline: a URL, which also passes as a token
 * or a host name. A value that must be something else (an e-mail address) is not checked offline.
 */
const offlineStandIn = (name: string): string => `https://unresolved.invalid/${name}`;

/** Warnings about a config that is valid but would not do what its author expects. */
function configWarnings(monitors: readonly { config: unknown }[], notifiers: readonly unknown[], responders: ReadonlyArray<{ module: { linksFrom?: string | undefined; service: string }; index: number }>): string[] {
  const warnings: string[] = [];
  if (notifiers.length === 0) {
    warnings.push('notifiers: none configured, so changes are only recorded (status, events) and nobody is told; add one, e.g. { "id": "security", "type": "slack", "webhookUrl": "${SLACK_WEBHOOK_URL}" } or { "id": "siem", "type": "stdout" }');
  }
  const monitorTypes = new Set(monitors.map((m) => (m.config as MonitorCommonConfig).type));
  for (const r of responders) {
    const needs = r.module.linksFrom;
    if (needs === undefined || monitorTypes.has(needs)) continue;
    warnings.push(
      `${formatPath(['responders', r.index])}: the ${r.module.service} responder acts only on accounts that a monitor of type "${needs}" links to a person, and no such monitor is configured, so it would find no one to sign out; add one for the same ${needs === 'github' ? 'organisation' : 'accounts'}, or remove the responder`,
    );
  }
  return warnings;
}

const isComment = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && v.every((c) => typeof c === 'string'));

/**
 * `raw` without its "$comment" notes (on the root and on module entries; `mfawatch init` writes
 * them): they are for people, so neither `${VAR}` substitution nor a module's schema sees them.
 * A note that is not text is an issue.
 */
function withoutComments(raw: unknown, issues: string[]): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const strip = (node: unknown, path: PropertyKey[]): unknown => {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !('$comment' in node)) return node;
    const { $comment: comment, ...rest } = node as Record<string, unknown>;
    if (!isComment(comment)) issues.push(`${formatPath([...path, '$comment'])}: must be a string or a list of strings (a note for people reading the file)`);
    return rest;
  };
  const root = strip(raw, []) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...root };
  for (const section of ['monitors', 'notifiers', 'responders'] as const) {
    const list = root[section];
    if (Array.isArray(list)) out[section] = list.map((entry, i) => strip(entry, [section, i]));
  }
  return out;
}

/** Validates a parsed JSON value as a config; throws ConfigError listing every problem. */
export function resolveConfig(file: unknown, env: Readonly<Record<string, string | undefined>>, path = '', fileMode?: number, options: ResolveOptions = {}): ResolvedConfig {
  const commentIssues: string[] = [];
  const raw = withoutComments(file, commentIssues);
  const unset = options.offline ? unsetReferences(raw, env) : [];
  const unsetPaths = new Set(unset.map((u) => u.path));
  const sub = substituteEnv(raw, options.offline ? { ...env, ...Object.fromEntries(unset.map((u) => [u.name, offlineStandIn(u.name)])) } : env);
  const issues = [...commentIssues, ...sub.issues];
  const root = rootSchema.safeParse(sub.value);
  if (!root.success) {
    issues.push(...zodIssues(root.error, [], sub.unsetPaths));
    // Still check the module entries, so every error is reported at once.
  }
  const value = (sub.value ?? {}) as Record<string, unknown>;
  const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const monitors = checkEntries('monitors', asList(value.monitors), MONITORS, issues, sub.unsetPaths);
  const notifiers = checkEntries('notifiers', asList(value.notifiers), NOTIFIERS, issues, sub.unsetPaths);
  const responders = checkEntries('responders', asList(value.responders), RESPONDERS, issues, sub.unsetPaths);

  // Dangling references between sections.
  const monitorIds = new Set(monitors.map((m) => (m.config as MonitorCommonConfig).id));
  for (const n of notifiers) {
    const filter = (n.config as NotifierCommonConfig).monitors ?? [];
    filter.forEach((id, i) => {
      if (!monitorIds.has(id)) issues.push(`${formatPath(['notifiers', n.index, 'monitors', i])}: no monitor has the id "${id}"`);
    });
  }

  // Matchers' teams, groups and OUs need the monitor whose credentials read them.
  issues.push(...matcherReferenceIssues(monitors.map(matcherMonitorOf), notifiers.map((n) => ({ index: n.index, match: (n.config as NotifierCommonConfig).match })), formatPath));

  const notifierIds = new Set(notifiers.map((n) => (n.config as NotifierCommonConfig).id));
  const reminderTargets = (value.reminders as { notifiers?: unknown } | undefined)?.notifiers;
  if (Array.isArray(reminderTargets)) {
    reminderTargets.forEach((id, i) => {
      if (typeof id === 'string' && !notifierIds.has(id)) issues.push(`${formatPath(['reminders', 'notifiers', i])}: no notifier has the id "${id}"`);
    });
  }
  // owners: the email notifier it borrows, the notifiers it escalates to.
  const owners = value.owners as { email?: { via?: unknown }; escalateTo?: unknown } | undefined;
  if (owners && typeof owners === 'object') {
    const via = owners.email?.via;
    if (typeof via === 'string') {
      const target = notifiers.find((n) => (n.config as NotifierCommonConfig).id === via);
      if (!target) issues.push(`owners.email.via: no notifier has the id "${via}"; name an "email" notifier whose SMTP settings owner mail uses`);
      else if (target.module.type !== 'email') issues.push(`owners.email.via: notifier "${via}" is of type "${target.module.type}", not "email"; owner mail needs an email notifier's SMTP settings`);
    }
    if (Array.isArray(owners.escalateTo)) {
      owners.escalateTo.forEach((id, i) => {
        if (typeof id === 'string' && !notifierIds.has(id)) issues.push(`${formatPath(['owners', 'escalateTo', i])}: no notifier has the id "${id}"`);
      });
    }
  }
  // Auto-response with nowhere to kill sessions would decide kills that can never happen.
  if (root.success && root.data.autoResponse.enabled && asList(value.responders).length === 0) {
    issues.push('autoResponse.enabled: auto-response is on but no responders are configured; add entries to "responders" or turn it off');
  }

  // The console's OIDC redirect URI is built from publicUrl: without it the IdP has nowhere to send people back.
  if (root.success && root.data.console?.oidc && !root.data.console.publicUrl) {
    issues.push('console.publicUrl: required with console.oidc (the redirect URI registered at the IdP is <publicUrl>/auth/callback)');
  }
  // Offline, a value built from an unset variable was a stand-in: its own errors say nothing.
  const reported = options.offline ? issues.filter((issue) => ![...unsetPaths].some((p) => issue.startsWith(`${p}: `))) : issues;
  if (reported.length > 0 || !root.success) throw new ConfigError(reported.length > 0 ? reported : issues);

  // A literal secret is a warning when others can read the file (it belongs in the environment).
  const warnings = configWarnings(monitors, notifiers, responders);
  const readableByOthers = fileMode !== undefined && (fileMode & 0o044) !== 0;
  const literalSecrets = [
    ...monitors.map((m) => ({ section: 'monitors', ...m })),
    ...notifiers.map((n) => ({ section: 'notifiers', ...n })),
    ...responders.map((r) => ({ section: 'responders', ...r })),
  ].flatMap(({ section, index, module }) =>
    module.secretKeys
      .map((key) => formatPath([section, index, ...key.split('.')]))
      .filter((p) => {
        const entry = asList(value[section])[index] as Record<string, unknown>;
        const v = p.split('.').slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], entry);
        return v !== undefined && !sub.fromEnv.has(p);
      }),
  );
  // Root-level secrets (not owned by a module).
  for (const p of ROOT_SECRET_PATHS) {
    const v = p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], value);
    if (v !== undefined && !sub.fromEnv.has(p)) literalSecrets.push(p);
  }
  if (readableByOthers && literalSecrets.length > 0) {
    warnings.push(
      `the config file is readable by other users and holds literal secrets at ${literalSecrets.join(', ')}: move them to the environment ("\${NAME}") or chmod 600 the file`,
    );
  }

  const cfg = root.data;
  const listen = cfg.observability?.listen;
  const listenHost = listen ? parseListen(listen)?.host : undefined;
  if (listen && listenHost !== undefined && !isLoopbackHost(listenHost)) {
    warnings.push(
      `observability.listen is ${listen}: /healthz and /metrics answer anyone who can reach that address, without authentication, and show every monitor's id, scan results and account counts (with and without MFA); listen on 127.0.0.1 and scrape through a local agent, or restrict the port with a firewall or an authenticating reverse proxy`,
    );
  }
  const baseDir = path ? dirname(path) : process.cwd();
  return {
    ...cfg,
    database: cfg.database === ':memory:' || isAbsolute(cfg.database) ? cfg.database : resolve(baseDir, cfg.database),
    path,
    monitors: monitors.map((m) => ({ config: m.config as MonitorCommonConfig, module: m.module })),
    notifiers: notifiers.map((n) => ({ config: n.config as NotifierCommonConfig, module: n.module })),
    responders: responders.map((r) => ({ config: r.config as ResponderCommonConfig, module: r.module })),
    warnings,
    ...(options.offline ? { unresolved: unset.map((u) => `${u.path}: \${${u.name}}`) } : {}),
  };
}

/** Reads and validates the config file at `path`. Throws ConfigError (exit 2) on any problem. */
export function loadConfig(path: string, env: Readonly<Record<string, string | undefined>> = process.env, options: ResolveOptions = {}): ResolvedConfig {
  const absolute = resolve(path);
  let text: string;
  let mode: number;
  try {
    text = readFileSync(absolute, 'utf8');
    mode = statSync(absolute).mode;
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ConfigError([
      code === 'ENOENT'
        ? `${absolute}: no such file; copy config.example.json to start, or pass --config FILE (or set MFAWATCH_CONFIG)`
        : `${absolute}: cannot read the file (${code ?? String(err)})`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`${absolute}: not valid JSON (${(err as Error).message})`]);
  }
  return resolveConfig(raw, env, absolute, mode, options);
}
