/**
 * GitHub scenarios: an organisation of N members plus outside collaborators (0.5 % of N), served
 * by test/fakes/github.ts (per_page/page, Link headers, the owner-only 2FA filters).
 */
import { FakeGitHub, type FakeUser } from '../test/fakes/github.js';
import { prng, type BarePlan, type ChangeCounts, type ProviderScenario, type RunningScenario } from './scenario.js';

const TOKEN = 'ghp_bench_owner_token_not_a_real_secret';
/** GitHub's largest page (https://docs.github.com/en/rest/orgs/members#list-organization-members). */
const PER_PAGE = 100;


/** Requests to page through a listing of `n` accounts: one per 100, and one for an empty list. */
function pagesFor(n: number): number {
  return Math.max(1, Math.ceil(n / PER_PAGE));
}

function startGithub(members: number): () => Promise<RunningScenario> {
  return async () => {
    const gh = new FakeGitHub({ org: 'bench-org', tokens: { [TOKEN]: { owner: true } }, rateLimit: Number.MAX_SAFE_INTEGER });
    gh.generateMembers(members, 1_000_000);
    const outside = Math.max(1, Math.floor(members / 200));
    for (let i = 0; i < outside; i++) {
      const id = 50_000_000 + i;
      gh.addOutsideCollaborator({ id, login: `contractor${id}`, twoFactor: i % 20 === 3 ? 'disabled' : 'enabled' });
    }
    await gh.start();
    const random = prng(members);
    let nextId = 90_000_000;

    const scenario: RunningScenario = {
      monitor: { id: 'bench', type: 'github', org: gh.org, token: '${BENCH_GITHUB_TOKEN}', baseUrl: gh.apiUrl, outsideCollaborators: true },
      env: { BENCH_GITHUB_TOKEN: TOKEN },
      accounts: () => gh.members.size + gh.outsideCollaborators.size,
      applyChanges(fraction: number): ChangeCounts {
        const total = Math.max(1, Math.round(gh.members.size * fraction));
        const ids = [...gh.members.keys()];
        const picked = new Set<number>();
        /** A member not changed yet in this step that `fits`. */
        const pick = (fits: (u: FakeUser) => boolean): FakeUser => {
          for (;;) {
            const user = gh.members.get(ids[Math.floor(random() * ids.length)] as number);
            if (user && !picked.has(user.id) && fits(user)) {
              picked.add(user.id);
              return user;
            }
          }
        };
        // The mix of a real org's churn: 2FA turned off, weakened and turned on, people joining
        // and leaving, promotions, renames.
        const plan: Array<[string, number]> = [
          ['mfa_disabled', 0.3], ['mfa_weakened', 0.1], ['mfa_enabled', 0.1], ['left', 0.2], ['joined', 0.2], ['promoted', 0.05], ['renamed', 0.05],
        ];
        const counts: ChangeCounts = {};
        for (const [kind, share] of plan) {
          const n = Math.max(1, Math.round(total * share));
          counts[kind] = n;
          for (let i = 0; i < n; i++) {
            if (kind === 'joined') {
              const id = nextId++;
              gh.addMember({ id, login: `newcomer${id}`, role: 'member', twoFactor: i % 4 === 0 ? 'disabled' : 'enabled' });
              continue;
            }
            if (kind === 'mfa_disabled') pick((u) => u.twoFactor === 'enabled').twoFactor = 'disabled';
            else if (kind === 'mfa_weakened') pick((u) => u.twoFactor === 'enabled').twoFactor = 'insecure';
            else if (kind === 'mfa_enabled') pick((u) => u.twoFactor !== 'enabled').twoFactor = 'enabled';
            else if (kind === 'left') gh.members.delete(pick(() => true).id);
            else if (kind === 'promoted') pick((u) => u.role !== 'admin').role = 'admin';
            else if (kind === 'renamed') {
              const user = pick(() => true);
              user.login = `${user.login}-renamed`;
            }
          }
        }
        return counts;
      },
      minimumRequests(): number {
        let disabled = 0;
        let insecure = 0;
        let admins = 0;
        for (const u of gh.members.values()) {
          if (u.twoFactor === 'disabled') disabled++;
          else if (u.twoFactor === 'insecure') insecure++;
          if (u.role === 'admin') admins++;
        }
        let oDisabled = 0;
        let oInsecure = 0;
        for (const u of gh.outsideCollaborators.values()) {
          if (u.twoFactor === 'disabled') oDisabled++;
          else if (u.twoFactor === 'insecure') oInsecure++;
        }
        // members: 2fa_disabled, 2fa_insecure, role=admin, all; outside collaborators: 2fa_disabled, 2fa_insecure, all.
        return pagesFor(disabled) + pagesFor(insecure) + pagesFor(admins) + pagesFor(gh.members.size) + pagesFor(oDisabled) + pagesFor(oInsecure) + pagesFor(gh.outsideCollaborators.size);
      },
      takeRequestCount(): number {
        const n = gh.requests.length;
        // The request log would grow by 10,000 entries per scan of a 1M org: keep it empty.
        gh.requests.length = 0;
        return n;
      },
      barePlan(): BarePlan {
        const list = (path: string, query: string, rowsKind?: string) => ({ url: `${gh.apiUrl}/orgs/${gh.org}/${path}?${query}&per_page=${PER_PAGE}`, ...(rowsKind ? { rowsKind } : {}) });
        return {
          kind: 'link-pages',
          headers: { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json', 'user-agent': 'mfawatch-bench-bare' },
          listings: [
            list('members', 'filter=2fa_disabled'),
            list('members', 'filter=2fa_insecure'),
            list('members', 'filter=all&role=admin'),
            list('members', 'filter=all', 'member'),
            list('outside_collaborators', 'filter=2fa_disabled'),
            list('outside_collaborators', 'filter=2fa_insecure'),
            list('outside_collaborators', 'filter=all', 'outside_collaborator'),
          ],
        };
      },
      stop: () => gh.stop(),
    };
    return scenario;
  };
}

function githubScenario(id: string, title: string, members: number, unchangedScan: boolean): ProviderScenario {
  return { id, title, size: members, unchangedScan, start: startGithub(members) };
}

/** The GitHub entries of the bench. */
export const githubScenarios: ProviderScenario[] = [
  githubScenario('github-10k', 'GitHub org, 10,000 members', 10_000, true),
  githubScenario('github-100k', 'GitHub org, 100,000 members', 100_000, true),
  githubScenario('github-1m', 'GitHub org, 1,000,000 members', 1_000_000, true),
];
