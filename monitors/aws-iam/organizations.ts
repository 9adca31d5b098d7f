/**
 * AWS Organizations discovery for the aws-iam monitor (`"organization": { "roleName": … }`): the
 * accounts of the organization, listed with Organizations ListAccounts (paginated, from the
 * management account or a delegated administrator), filtered by `include`/`exclude`, each scanned
 * by assuming `roleName` in it (`include`/`exclude` name accounts, or organizational units and
 * the root, whose accounts at any depth they stand for). Only ACTIVE accounts are scanned (a suspended or closing account
 * cannot be signed in to, and its role cannot be assumed). An account that could not be assumed
 * fails as its own scope; the others scan. A new account is a new scope: its first scan is its
 * baseline, announced like any other.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 */
import { ListAccountsCommand, ListAccountsForParentCommand, ListOrganizationalUnitsForParentCommand, type Account, type OrganizationsClient } from '@aws-sdk/client-organizations';
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

  const include = organization.include ? await expandOrganizationalUnits(client, organization.include, signal, classify) : undefined;
  const exclude = await expandOrganizationalUnits(client, organization.exclude ?? [], signal, classify);
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

/** Whether an include/exclude entry names an organizational unit or the root, not an account. */
export const isParentId = (id: string): boolean => /^(ou-|r-)/.test(id);

/** Every page of a paginated Organizations listing; a repeated NextToken is an error, not a loop. */
async function allPages<T>(action: string, fetchPage: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>, classify: (err: unknown, action: string) => ProviderError): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    let page;
    try {
      page = await fetchPage(token);
    } catch (err) {
      throw classify(err, action);
    }
    if (!Array.isArray(page.items)) throw new ProviderError(`Organizations ${action.split(':')[1] ?? action} answered without its list`, { reason: 'malformed', provider: 'AWS Organizations', hint: 'nothing was committed' });
    out.push(...page.items);
    token = page.next;
    if (token !== undefined) {
      if (seen.has(token)) throw new ProviderError(`Organizations ${action.split(':')[1] ?? action} returned the same NextToken twice`, { reason: 'malformed', provider: 'AWS Organizations', hint: 'nothing was committed; the next scan will retry' });
      seen.add(token);
    }
  } while (token);
  return out;
}

/**
 * The account ids `entries` name: account ids as they are, and for an organizational unit (or
 * the root) every account under it, nested units included (ListAccountsForParent,
 * ListOrganizationalUnitsForParent).
 */
async function expandOrganizationalUnits(client: OrganizationsClient, entries: readonly string[], signal: AbortSignal, classify: (err: unknown, action: string) => ProviderError): Promise<Set<string>> {
  const ids = new Set(entries.filter((e) => !isParentId(e)));
  const queue = entries.filter(isParentId);
  const visited = new Set<string>();
  while (queue.length > 0) {
    const parent = queue.shift() as string;
    if (visited.has(parent)) continue;
    visited.add(parent);
    const accounts = await allPages('organizations:ListAccountsForParent', async (token) => {
      const out = await client.send(new ListAccountsForParentCommand({ ParentId: parent, MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
      return { items: out.Accounts, next: out.NextToken };
    }, classify);
    for (const a of accounts) if (a.Id) ids.add(a.Id);
    const units = await allPages('organizations:ListOrganizationalUnitsForParent', async (token) => {
      const out = await client.send(new ListOrganizationalUnitsForParentCommand({ ParentId: parent, MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
      return { items: out.OrganizationalUnits, next: out.NextToken };
    }, classify);
    for (const u of units) if (u.Id) queue.push(u.Id);
  }
  return ids;
}
