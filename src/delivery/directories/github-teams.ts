/**
 * GitHub team members for `githubTeams` matchers: `GET /orgs/{org}/teams/{team_slug}/members`
 * (per_page 100, Link-header paging), read with the token of the github monitor of that org.
 * https://docs.github.com/rest/teams/members#list-team-members
 */
import { z } from 'zod';
import type { Secret } from '../../core/secret.js';
import { createHttpClient } from '../../http/client.js';
import type { GroupReader } from '../directory.js';
import { readLinkPaged } from './link-pages.js';

/** The github monitor instance whose token reads the teams of its org. */
export interface GithubTeamSource {
  monitorId: string;
  org: string;
  token: Secret;
  baseUrl: string;
}

const members = z.array(z.object({ login: z.string(), id: z.number().optional() }));

/** The reader of team "org/slug" at one github monitor. */
export function githubTeamReader(source: GithubTeamSource, team: string, fetchFn: typeof fetch): GroupReader {
  const [org = '', slug = ''] = team.split('/');
  return {
    kind: 'githubTeams',
    name: team,
    monitorId: source.monitorId,
    label: `GitHub team ${team}`,
    fix: `that the team slug exists and that the token of monitor "${source.monitorId}" may read the org's teams (classic token: read:org; monitors/github/README.md)`,
    async read(signal) {
      const client = createHttpClient({
        provider: 'GitHub', baseUrl: source.baseUrl, fetch: fetchFn, retries: 1, secrets: [source.token],
        headers: () => ({ authorization: `Bearer ${source.token.reveal()}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }),
      });
      const users = await readLinkPaged(client, 'GitHub', source.baseUrl, { path: `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/members`, query: { per_page: 100 } }, members, signal);
      // The account id of a GitHub account is its numeric user id; its login is the name.
      return new Set(users.flatMap((u) => [u.login.toLowerCase(), ...(u.id !== undefined ? [String(u.id)] : [])]));
    },
  };
}
