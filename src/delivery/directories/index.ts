/**
 * Builds the routing directory (src/delivery/directory.ts) from the resolved config: one reader
 * per group a notifier's `match` list names, at the monitor that holds it, and one placement
 * reader per aws-iam monitor with `organization` when any matcher names OUs or OU tags. Each
 * reader uses that monitor's own credentials and endpoint overrides.
 */
import type { ConfiguredMonitor, ConfiguredNotifier } from '../../config/load.js';
import type { Logger } from '../../core/deps.js';
import type { Secret } from '../../core/secret.js';
import { endpointFor, type AwsEndpointOption } from '../../aws/endpoints.js';
import { RoutingDirectory, type GroupReader, type PlacementReader } from '../directory.js';
import { googleGroupTarget, oktaGroupTarget, type MatcherMonitor } from '../matcher-schema.js';
import { awsOrganizationReader } from './aws-organization.js';
import { githubTeamReader } from './github-teams.js';
import { googleGroupReader } from './google-groups.js';
import { oktaGroupReader } from './okta-groups.js';

/** The monitor settings the readers use, by type (the monitors' own schemas hold them). */
interface GithubSettings { id: string; org: string; token: Secret; baseUrl: string }
interface OktaSettings { id: string; baseUrl: string; token: Secret; authScheme: 'SSWS' | 'Bearer'; requestTimeout: number; retries: number; rateLimitReserve: number }
interface GoogleSettings { id: string; subject: string; serviceAccountKey?: Secret; serviceAccountKeyFile?: string; apiRoot: string; tokenUri?: string; requestTimeout: number }
interface AwsSettings { id: string; region: string; profile?: string; endpoint?: AwsEndpointOption; maxAttempts: number; requestTimeout: number; organization?: unknown }

/** How matcher reference checks see a configured monitor. */
export function matcherMonitorOf(m: { config: unknown; module: { type: string } }): MatcherMonitor {
  const c = m.config as unknown as { id: string; org?: unknown; baseUrl?: unknown; organization?: unknown };
  const type = m.module.type;
  const org = type === 'github' ? String(c.org ?? '') : type === 'okta' && typeof c.baseUrl === 'string' && URL.canParse(c.baseUrl) ? new URL(c.baseUrl).host : undefined;
  return { id: c.id, type, org, organization: c.organization !== undefined };
}

/** The routing directory for these monitors and notifiers. */
export function createRoutingDirectory(
  monitors: ReadonlyArray<ConfiguredMonitor & { monitor: { scopes(): ReadonlyArray<{ id: string }> } }>,
  notifiers: readonly ConfiguredNotifier[],
  deps: { fetch: typeof fetch; sleep: (ms: number, signal?: AbortSignal) => Promise<void>; logger: Logger; knownScopes: (monitorId: string) => readonly string[] },
): RoutingDirectory {
  const matchers = notifiers.flatMap((n) => n.config.match ?? []);
  const described = monitors.map(matcherMonitorOf);
  const settings = <T>(id: string) => monitors.find((m) => m.config.id === id)?.config as unknown as T;
  const groups: GroupReader[] = [];
  const added = new Set<string>();
  const add = (key: string, make: () => GroupReader) => {
    if (added.has(key)) return;
    added.add(key);
    groups.push(make());
  };
  for (const team of matchers.flatMap((m) => m.githubTeams ?? [])) {
    const org = team.split('/')[0]?.toLowerCase();
    for (const m of described.filter((d) => d.type === 'github' && d.org?.toLowerCase() === org)) {
      const c = settings<GithubSettings>(m.id);
      add(`githubTeams:${team.toLowerCase()}:${m.id}`, () => githubTeamReader({ monitorId: c.id, org: c.org, token: c.token, baseUrl: c.baseUrl }, team, deps.fetch));
    }
  }
  for (const entry of matchers.flatMap((m) => m.oktaGroups ?? [])) {
    const target = oktaGroupTarget(entry, described);
    if (typeof target === 'string') continue; // a config error, reported by the config check
    const c = settings<OktaSettings>(target.monitor.id);
    add(`oktaGroups:${entry.toLowerCase()}`, () => oktaGroupReader({ monitorId: c.id, baseUrl: c.baseUrl, token: c.token, authScheme: c.authScheme, requestTimeout: c.requestTimeout, retries: c.retries, rateLimitReserve: c.rateLimitReserve }, entry, target.group, deps));
  }
  for (const entry of matchers.flatMap((m) => m.googleGroups ?? [])) {
    const target = googleGroupTarget(entry, described);
    if (typeof target === 'string') continue;
    const c = settings<GoogleSettings>(target.monitor.id);
    add(`googleGroups:${entry.toLowerCase()}`, () => googleGroupReader({ monitorId: c.id, subject: c.subject, serviceAccountKey: c.serviceAccountKey, serviceAccountKeyFile: c.serviceAccountKeyFile, apiRoot: c.apiRoot, tokenUri: c.tokenUri, requestTimeout: c.requestTimeout }, entry, target.group, deps.fetch));
  }
  const placements: PlacementReader[] = [];
  if (matchers.some((m) => m.awsOrganizationalUnits || m.awsOuTags)) {
    for (const m of monitors.filter((x) => x.module.type === 'aws-iam')) {
      const c = m.config as unknown as AwsSettings;
      if (c.organization === undefined) continue;
      placements.push(awsOrganizationReader({
        monitorId: c.id, region: c.region, profile: c.profile, endpoint: endpointFor(c.endpoint, 'organizations'), maxAttempts: c.maxAttempts, requestTimeout: c.requestTimeout,
        // The scopes resolved this cycle, else those stored (a new `run` process knows no others yet).
        accounts: () => {
          const resolved = m.monitor.scopes().map((s) => s.id);
          return (resolved.length ? resolved : deps.knownScopes(c.id)).filter((id) => /^\d{12}$/.test(id));
        },
      }, deps.logger));
    }
  }
  return new RoutingDirectory(groups, placements, deps.logger);
}
