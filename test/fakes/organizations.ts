/**
 * A fake of AWS Organizations' ListAccounts, ListAccountsForParent and
 * ListOrganizationalUnitsForParent, in the service's real protocol (AWS JSON 1.1): a POST to "/"
 * with `X-Amz-Target: AWSOrganizationsV20161128.ListAccounts` (and so on) and
 * `Content-Type: application/x-amz-json-1.1`, a JSON body `{ "NextToken", "MaxResults" }`, and an
 * answer `{ "Accounts": [{ Id, Arn, Email, Name, Status, State, JoinedMethod, JoinedTimestamp }],
 * "NextToken" }` with timestamps as epoch seconds; errors as HTTP 400 with `{ "__type", "Message" }`.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 *
 * Also ListParents ({ChildId} → {Parents: [{Id, Type: "ORGANIZATIONAL_UNIT" | "ROOT"}]},
 * ChildNotFoundException for an unknown child) and ListTagsForResource ({ResourceId, NextToken} →
 * {Tags: [{Key, Value}], NextToken}, TargetNotFoundException), for OU routing.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListParents.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListTagsForResource.html
 */
import { LoopbackServer, sendJson } from './http.js';

export interface FakeOrgAccount {
  id: string;
  name: string;
  state: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE' | 'CLOSED';
  /** The OU (or the root, the default) the account sits in. */
  parent?: string;
}

/** The organization's root id. */
export const ROOT_ID = 'r-ab12';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const ORG = 'o-exampleorgid1';

export class FakeOrganizations extends LoopbackServer {
  readonly accounts: FakeOrgAccount[] = [];
  /** Organizational units: id → parent id (the root or another OU). */
  readonly units = new Map<string, string>();
  /** The management account, in every account's ARN. */
  managementAccount = '999999999999';
  /** When set, ListAccounts answers AccessDeniedException with this message. */
  denied: string | undefined;
  /** Tags of accounts, OUs and the root: id → key → value. */
  readonly tags = new Map<string, Record<string, string>>();
  /** Operations answered AccessDeniedException (an IAM policy without them). */
  readonly deniedOperations = new Set<string>();

  constructor() {
    super((req, res) => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || req.path !== '/' || !/^application\/x-amz-json-1\.1/.test(String(req.headers['content-type'] ?? ''))) {
        return sendJson(res, 400, { __type: 'SerializationException', Message: 'expected an AWS JSON 1.1 POST to /' }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      if (!/^AWS4-HMAC-SHA256 Credential=\S+\/organizations\/aws4_request/.test(String(req.headers.authorization ?? ''))) {
        return sendJson(res, 400, { __type: 'InvalidSignatureException', Message: 'requests must be signed for the organizations service' }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (!['ListAccounts', 'ListAccountsForParent', 'ListOrganizationalUnitsForParent', 'ListParents', 'ListTagsForResource'].includes(operation)) {
        return sendJson(res, 400, { __type: 'UnknownOperationException', Message: `unknown operation ${target}` }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      if (this.denied) return sendJson(res, 400, { __type: 'AccessDeniedException', Message: this.denied }, { 'content-type': 'application/x-amz-json-1.1' });
      if (this.deniedOperations.has(operation)) return sendJson(res, 400, { __type: 'AccessDeniedException', Message: `You don't have permissions to access this resource.` }, { 'content-type': 'application/x-amz-json-1.1' });
      const input = JSON.parse(req.body || '{}') as { NextToken?: string; MaxResults?: number; ParentId?: string; ChildId?: string; ResourceId?: string };
      if (operation === 'ListParents') {
        const child = input.ChildId ?? '';
        const parent = /^\d{12}$/.test(child) ? this.accounts.find((a) => a.id === child) && (this.accounts.find((a) => a.id === child)?.parent ?? ROOT_ID) : this.units.get(child);
        if (!parent) return sendJson(res, 400, { __type: 'ChildNotFoundException', Message: `We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.` }, { 'content-type': 'application/x-amz-json-1.1' });
        return sendJson(res, 200, { Parents: [{ Id: parent, Type: parent === ROOT_ID ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }] }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      if (operation === 'ListTagsForResource') {
        const id = input.ResourceId ?? '';
        if (id !== ROOT_ID && !this.units.has(id) && !this.accounts.some((a) => a.id === id)) return sendJson(res, 400, { __type: 'TargetNotFoundException', Message: `We can't find a resource with the ResourceId that you specified.` }, { 'content-type': 'application/x-amz-json-1.1' });
        // One tag per page, so that paging is exercised.
        const all = Object.entries(this.tags.get(id) ?? {});
        const at = input.NextToken ? Number(input.NextToken.replace(/^tag-/, '')) : 0;
        const page = all.slice(at, at + 1);
        return sendJson(res, 200, { Tags: page.map(([Key, Value]) => ({ Key, Value })), ...(at + 1 < all.length ? { NextToken: `tag-${at + 1}` } : {}) }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      if (operation !== 'ListAccounts' && (input.ParentId === undefined || (input.ParentId !== ROOT_ID && !this.units.has(input.ParentId)))) {
        return sendJson(res, 400, { __type: 'ParentNotFoundException', Message: `no parent ${String(input.ParentId)}` }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      const max = Math.min(input.MaxResults ?? 20, 20);
      const start = input.NextToken ? Number(input.NextToken.replace(/^page-/, '')) : 0;
      const pageOf = <T>(all: T[]) => ({ page: all.slice(start, start + max), next: start + max < all.length ? `page-${start + max}` : undefined });
      if (operation === 'ListOrganizationalUnitsForParent') {
        const { page, next } = pageOf([...this.units].filter(([, parent]) => parent === input.ParentId));
        return sendJson(res, 200, { OrganizationalUnits: page.map(([id]) => ({ Id: id, Arn: `arn:aws:organizations::${this.managementAccount}:ou/${ORG}/${id}`, Name: id })), ...(next ? { NextToken: next } : {}) }, { 'content-type': 'application/x-amz-json-1.1' });
      }
      const { page, next } = pageOf(operation === 'ListAccounts' ? this.accounts : this.accounts.filter((a) => (a.parent ?? ROOT_ID) === input.ParentId));
      const legacyStatus = (s: FakeOrgAccount['state']) => (s === 'CLOSED' ? 'SUSPENDED' : s);
      sendJson(
        res,
        200,
        {
          Accounts: page.map((a) => ({
            Id: a.id,
            Arn: `arn:aws:organizations::${this.managementAccount}:account/${ORG}/${a.id}`,
            Email: `aws+${a.id}@acme.example`,
            Name: a.name,
            Status: legacyStatus(a.state),
            State: a.state,
            JoinedMethod: 'CREATED',
            JoinedTimestamp: 1_767_225_600,
          })),
          ...(next ? { NextToken: next } : {}),
        },
        { 'content-type': 'application/x-amz-json-1.1' },
      );
    });
  }

  /** Requests of one operation received. */
  calls(operation: string): number {
    return this.requests.filter((r) => r.headers['x-amz-target'] === `${TARGET_PREFIX}${operation}`).length;
  }

  /** ListAccounts requests received. */
  listCalls(): number {
    return this.requests.filter((r) => r.headers['x-amz-target'] === `${TARGET_PREFIX}ListAccounts`).length;
  }
}
