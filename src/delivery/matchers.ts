/**
 * Routing by who owns what (issue 15): a notifier's `match` list, a flat list of matchers after
 * Alertmanager's route matchers. An event reaches the notifier when ANY matcher matches; inside
 * one matcher EVERY key given must match:
 *
 * - `scopes`: the event's scope (an AWS account id, a Google customer id);
 * - `identities`: patterns ("*@payments.example.com", "carol@example.com") on the identity the
 *   account is linked to (identities.map, then the account's e-mail);
 * - `githubTeams`: "org/team-slug": the account is a member of that GitHub team
 *   (`GET /orgs/{org}/teams/{team_slug}/members`, read with the token of the github monitor of
 *   that org, once per scan; https://docs.github.com/rest/teams/members#list-team-members).
 *
 * An event without an account (scan_failed, stale_data, baseline) matches on `scopes` only.
 * A team whose members could not be read yet matches every account of its org (an alert twice
 * is better than none); the failure is logged.
 */
import { z } from 'zod';
import type { NotifierMatcher } from './matcher-schema.js';
import { createHttpClient, parseLinkHeader } from '../http/client.js';
import type { Logger } from '../core/deps.js';
import type { Secret } from '../core/secret.js';
import type { ChangeEvent } from '../core/types.js';
import { identityOfAccount, type IdentityContext } from '../response/identity.js';

export type { NotifierMatcher } from './matcher-schema.js';

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

/** A GitHub org the core may read teams of: the github monitor instance for it. */
export interface TeamSource {
  monitorId: string;
  org: string;
  token: Secret;
  baseUrl: string;
}

/** GitHub team memberships, read once per scan (refresh) and asked synchronously while routing. */
export class TeamDirectory {
  readonly #members = new Map<string, Set<string>>();
  readonly #sources: readonly TeamSource[];
  readonly #teams: readonly string[];
  readonly #fetch: typeof fetch;
  readonly #logger: Logger;

  constructor(teams: readonly string[], sources: readonly TeamSource[], fetchFn: typeof fetch, logger: Logger) {
    this.#teams = [...new Set(teams.map((t) => t.toLowerCase()))];
    this.#sources = sources;
    this.#fetch = fetchFn;
    this.#logger = logger;
  }

  /** Reads the members of every team the matchers name (a failed team keeps its last list). */
  async refresh(signal?: AbortSignal): Promise<void> {
    for (const team of this.#teams) {
      const [org = '', slug = ''] = team.split('/');
      const source = this.#sources.find((s) => s.org.toLowerCase() === org);
      if (!source) continue;
      try {
        const client = createHttpClient({ provider: 'GitHub', baseUrl: source.baseUrl, fetch: this.#fetch, retries: 1, secrets: [source.token], headers: () => ({ authorization: `Bearer ${source.token.reveal()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }) });
        const logins = new Set<string>();
        let path: string | undefined = `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/members`;
        let query: Record<string, number> | undefined = { per_page: 100 };
        while (path) {
          const res: { data: Array<{ login: string }>; headers: Headers } = await client.request({ path, query, signal }, z.array(z.object({ login: z.string() })));
          for (const u of res.data) logins.add(u.login.toLowerCase());
          path = parseLinkHeader(res.headers.get('link')).next;
          query = undefined;
        }
        this.#members.set(team, logins);
      } catch (err) {
        this.#logger.warn({ team, monitor: source.monitorId }, `cannot read the members of GitHub team ${team} for notifier routing (${(err as Error).message}); until it can, its matchers take every account of ${org}`);
      }
    }
  }

  /** true/false once the team was read; undefined while it is unknown. */
  isMember(team: string, login: string): boolean | undefined {
    return this.#members.get(team.toLowerCase())?.has(login.toLowerCase());
  }

  /** The org of the github monitor `monitorId`, when it is a team source. */
  orgOf(monitorId: string): string | undefined {
    return this.#sources.find((s) => s.monitorId === monitorId)?.org.toLowerCase();
  }
}

/** The predicate of a notifier's `match` list; undefined when it has none (every event). */
export function eventMatcher(matchers: readonly NotifierMatcher[] | undefined, identities: IdentityContext, teams: TeamDirectory): ((e: ChangeEvent) => boolean) | undefined {
  if (!matchers?.length) return undefined;
  const compiled = matchers.map((m) => ({ ...m, patterns: m.identities?.map(globToRegExp) }));
  return (e) =>
    compiled.some((m) => {
      if (m.scopes && !m.scopes.includes(e.scope)) return false;
      if (!m.patterns && !m.githubTeams) return true;
      const login = e.after?.login ?? e.before?.login ?? e.login;
      if (!e.accountId || !login) return false;
      if (m.patterns) {
        const identity = identityOfAccount(identities, { monitorId: e.monitorId, login, email: e.after?.email ?? e.before?.email ?? null });
        if (!identity || !m.patterns.some((p) => p.test(identity))) return false;
      }
      if (m.githubTeams) {
        const org = teams.orgOf(e.monitorId);
        if (!org) return false;
        const inTeam = m.githubTeams.some((t) => t.toLowerCase().startsWith(`${org}/`) && (teams.isMember(t, login) ?? true));
        if (!inTeam) return false;
      }
      return true;
    });
}
