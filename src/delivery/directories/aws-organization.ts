/**
 * Where an AWS account sits in its organization, for `awsOrganizationalUnits` and `awsOuTags`
 * matchers, read with the aws-iam monitor's own credentials (its `organization`, `region`,
 * `profile` and `endpoint.organizations`): `ListParents` from the account up to the root (an
 * account or OU has exactly one parent), and `ListTagsForResource` on every OU of that chain and
 * on the root. Parents and tags are cached for the read, so sibling accounts cost one
 * ListParents each. Needs organizations:ListParents and organizations:ListTagsForResource
 * (monitors/aws-iam/README.md), from the management account or a delegated administrator.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListTagsForResource.html
 */
import { ListParentsCommand, ListTagsForResourceCommand, OrganizationsClient, type Parent, type Tag } from '@aws-sdk/client-organizations';
import type { Logger } from '../../core/deps.js';
import { ProviderError } from '../../core/errors.js';
import type { AccountPlacement, PlacementReader } from '../directory.js';

/** The aws-iam monitor instance with `organization` whose credentials read it. */
export interface AwsOrganizationSource {
  monitorId: string;
  region: string;
  profile?: string | undefined;
  /** The Organizations endpoint override, if any. */
  endpoint?: string | undefined;
  maxAttempts: number;
  requestTimeout: number;
  /** The accounts it scans (its scopes once the organization was listed). */
  accounts(): readonly string[];
}

/** OUs nest at most five deep under the root; more is a loop, not an organization. */
const MAX_DEPTH = 10;
/** Codes that say the whole organization cannot be read from here (no point asking per account). */
const GLOBAL_FAILURES = new Set(['AccessDeniedException', 'AWSOrganizationsNotInUseException', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException']);

function awsError(err: unknown, action: string): ProviderError {
  const code = (err as { name?: string }).name ?? 'error';
  return new ProviderError(`AWS Organizations ${action} failed (${code})`, { reason: code === 'AccessDeniedException' ? 'permission' : 'server', provider: 'AWS Organizations' });
}

/** The placement reader of one aws-iam monitor with `organization`. */
export function awsOrganizationReader(source: AwsOrganizationSource, logger: Logger): PlacementReader {
  return {
    monitorId: source.monitorId,
    fix: `that the credentials of monitor "${source.monitorId}" (the management account or a delegated administrator) allow organizations:ListParents and organizations:ListTagsForResource (monitors/aws-iam/README.md, "Routing by OU")`,
    accounts: source.accounts,
    async read(accountIds, signal) {
      const client = new OrganizationsClient({
        region: source.region,
        ...(source.endpoint ? { endpoint: source.endpoint } : {}),
        ...(source.profile ? { profile: source.profile } : {}),
        maxAttempts: source.maxAttempts,
        requestHandler: { requestTimeout: source.requestTimeout, connectionTimeout: Math.min(source.requestTimeout, 10_000), throwOnRequestTimeout: true },
        logger: { debug: () => undefined, info: () => undefined, warn: (...a: unknown[]) => logger.debug({ sdk: 'aws' }, String(a[0])), error: (...a: unknown[]) => logger.debug({ sdk: 'aws' }, String(a[0])) },
      });
      const parents = new Map<string, Parent | null>();
      const tags = new Map<string, Tag[]>();
      const placed = new Map<string, AccountPlacement>();
      const failed: Array<{ accountId: string; error: Error }> = [];
      const call = async <T>(action: string, send: () => Promise<T>): Promise<T> => {
        try {
          return await send();
        } catch (err) {
          if (GLOBAL_FAILURES.has((err as { name?: string }).name ?? '')) throw awsError(err, action);
          throw Object.assign(awsError(err, action), { perAccount: true });
        }
      };
      const parentOf = async (child: string): Promise<Parent | null> => {
        const known = parents.get(child);
        if (known !== undefined) return known;
        const out = await call('ListParents', () => client.send(new ListParentsCommand({ ChildId: child }), signal ? { abortSignal: signal } : {}));
        const parent = out.Parents?.[0] ?? null;
        parents.set(child, parent);
        return parent;
      };
      const tagsOf = async (id: string): Promise<Tag[]> => {
        const known = tags.get(id);
        if (known) return known;
        const all: Tag[] = [];
        const seen = new Set<string>();
        let token: string | undefined;
        do {
          const out = await call('ListTagsForResource', () => client.send(new ListTagsForResourceCommand({ ResourceId: id, ...(token ? { NextToken: token } : {}) }), signal ? { abortSignal: signal } : {}));
          all.push(...(out.Tags ?? []));
          token = out.NextToken;
          if (token && seen.has(token)) throw new ProviderError('AWS Organizations ListTagsForResource repeated a NextToken', { reason: 'malformed', provider: 'AWS Organizations' });
          if (token) seen.add(token);
        } while (token);
        tags.set(id, all);
        return all;
      };
      try {
        for (const accountId of accountIds) {
          if (signal?.aborted) break;
          try {
            const ancestors: string[] = [];
            let child = accountId;
            for (let depth = 0; depth < MAX_DEPTH; depth++) {
              const parent = await parentOf(child);
              if (!parent?.Id) break;
              ancestors.push(parent.Id);
              if (parent.Type === 'ROOT') break;
              child = parent.Id;
            }
            const byKey = new Map<string, Set<string>>();
            for (const id of ancestors) {
              for (const t of await tagsOf(id)) {
                if (!t.Key) continue;
                const values = byKey.get(t.Key) ?? new Set<string>();
                values.add(t.Value ?? '');
                byKey.set(t.Key, values);
              }
            }
            placed.set(accountId, { ancestors, tags: byKey });
          } catch (err) {
            if (!(err as { perAccount?: boolean }).perAccount) throw err;
            failed.push({ accountId, error: err as Error });
          }
        }
      } finally {
        client.destroy();
      }
      return { placed, failed };
    },
  };
}
