/**
 * AWS Organizations discovery for the aws-iam monitor (`"organization": { "roleName": … }`): the
 * accounts of the organization, listed with Organizations ListAccounts (paginated, from the
 * management account or a delegated administrator), filtered by `include`/`exclude`, each scanned
 * by assuming `roleName` in it. Only ACTIVE accounts are scanned (a suspended or closing account
 * cannot be signed in to, and its role cannot be assumed). An account that could not be assumed
 * fails as its own scope; the others scan. A new account is a new scope: its first scan is its
 * baseline, announced like any other.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 */
import { ListAccountsCommand, type Account, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { ProviderError } from '../../src/core/errors.js';
import type { AwsAccountEntry, AwsIamConfig } from './config.js';

/** One account of the organization that is to be scanned. */
export interface OrganizationAccount {
  id: string;
  name: string;
  /** The role to assume in it, built from `roleName`. */
  role: AwsAccountEntry;
}

type OrganizationConfig = NonNullable<AwsIamConfig['organization']>;

/** ListAccounts' largest page (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). */
const PAGE_SIZE = 20;

/** Whether the account can be scanned: ACTIVE by `State` (since 2025) or, from older endpoints, `Status`. */
function isActive(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

/**
 * Lists the organization's ACTIVE accounts that `include`/`exclude` select, each with the role to
 * assume in it. `classify` turns an SDK error into a ProviderError naming the action.
 */
export async function organizationAccounts(
  client: OrganizationsClient,
  organization: OrganizationConfig,
  signal: AbortSignal,
  classify: (err: unknown, action: string) => ProviderError,
): Promise<OrganizationAccount[]> {
  const listed: Account[] = [];
  const seenTokens = new Set<string>();
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListAccountsCommand({ MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
    } catch (err) {
      throw classify(err, 'organizations:ListAccounts');
    }
    if (!Array.isArray(page.Accounts)) {
      throw new ProviderError('Organizations ListAccounts answered without its Accounts list', { reason: 'malformed', provider: 'AWS Organizations', hint: 'check the "endpoint" override and any proxy; nothing was committed' });
    }
    listed.push(...page.Accounts);
    token = page.NextToken;
    if (token !== undefined) {
      // A token seen before would page forever.
      if (seenTokens.has(token)) throw new ProviderError('Organizations ListAccounts returned the same NextToken twice', { reason: 'malformed', provider: 'AWS Organizations', hint: 'nothing was committed; the next scan will retry' });
      seenTokens.add(token);
    }
  } while (token);

  const include = organization.include ? new Set(organization.include) : undefined;
  const exclude = new Set(organization.exclude ?? []);
  const out: OrganizationAccount[] = [];
  for (const a of listed) {
    if (!a.Id || !/^\d{12}$/.test(a.Id)) {
      throw new ProviderError('Organizations ListAccounts listed an account without a 12-digit Id', { reason: 'malformed', provider: 'AWS Organizations', hint: 'nothing was committed' });
    }
    if (!isActive(a) || exclude.has(a.Id) || (include && !include.has(a.Id))) continue;
    const partition = a.Arn?.split(':')[1] || 'aws';
    out.push({
      id: a.Id,
      name: a.Name || a.Id,
      role: {
        roleArn: `arn:${partition}:iam::${a.Id}:role/${organization.roleName}`,
        ...(organization.externalId ? { externalId: organization.externalId } : {}),
        ...(organization.sessionName ? { sessionName: organization.sessionName } : {}),
        label: a.Name || a.Id,
      },
    });
  }
  return out;
}
