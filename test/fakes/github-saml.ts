/**
 * GitHub's GraphQL endpoint for an organisation's SAML external identities, in front of the REST
 * fake: POST /graphql answers organization.samlIdentityProvider.externalIdentities with cursor
 * pagination (pageInfo.hasNextPage/endCursor), GraphQL errors as HTTP 200 {"data": null,
 * "errors": [{type, message}]}; every other request (the member count query too) is forwarded to
 * the REST fake.
 * https://docs.github.com/en/enterprise-cloud@latest/graphql/reference/objects#externalidentity
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeSamlIdentity {
  nameId: string | null;
  emails?: string[];
  login: string | null;
  databaseId: number | null;
}

export class FakeGitHubGraphql extends LoopbackServer {
  identities: FakeSamlIdentity[] = [];
  /** null: the org has no SAML identity provider. */
  sso = true;
  forbidden = false;
  pageSize = 2;
  constructor(readonly rest: { url: string }, readonly org: string) {
    super((req, res) => this.#route(req, res));
  }
  async #route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    if (req.method === 'POST' && req.path === '/graphql' && !req.body.includes('membersWithRole')) {
      const { variables } = JSON.parse(req.body) as { query: string; variables: { org: string; after: string | null } };
      if (this.forbidden) return sendJson(res, 200, { data: { organization: null }, errors: [{ type: 'FORBIDDEN', path: ['organization', 'samlIdentityProvider'], message: 'Resource not accessible by integration' }] });
      if (variables.org !== this.org) return sendJson(res, 200, { data: { organization: null }, errors: [{ type: 'NOT_FOUND', message: `Could not resolve to an Organization with the login of '${variables.org}'.` }] });
      if (!this.sso) return sendJson(res, 200, { data: { organization: { samlIdentityProvider: null } } });
      const start = variables.after ? Number(Buffer.from(variables.after, 'base64').toString('utf8').split(':')[1]) : 0;
      const page = this.identities.slice(start, start + this.pageSize);
      const end = start + page.length;
      return sendJson(res, 200, {
        data: {
          organization: {
            samlIdentityProvider: {
              externalIdentities: {
                pageInfo: { hasNextPage: end < this.identities.length, endCursor: page.length ? Buffer.from(`cursor:${end}`).toString('base64') : null },
                nodes: page.map((i) => ({ samlIdentity: { nameId: i.nameId, emails: (i.emails ?? []).map((value) => ({ value })) }, user: i.login ? { login: i.login, databaseId: i.databaseId } : null })),
              },
            },
          },
        },
      });
    }
    // Everything else, the member count query included, is the REST fake's.
    const answer = await fetch(`${this.rest.url}${req.path}${req.query.size ? `?${req.query.toString()}` : ''}`, { method: req.method, headers: { authorization: String(req.headers.authorization ?? ''), accept: 'application/json' }, ...(req.method === 'POST' ? { body: req.body } : {}) });
    const headers: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'keep-alive') headers[k] = k === 'link' ? v.split(this.rest.url).join(this.url) : v;
    });
    res.writeHead(answer.status, headers);
    res.end(await answer.text());
  }
}
