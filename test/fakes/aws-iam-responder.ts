/**
 * A minimal IAM fake for the responder, speaking the AWS Query protocol as IAM documents it: form
 * POSTs with Action and Version=2010-05-08, XML answers in the
 * https://iam.amazonaws.com/doc/2010-05-08/ namespace, <ErrorResponse> errors (NoSuchEntity 404,
 * AccessDenied 403, Throttling 400), and the caller's SigV4 Authorization header checked for the
 * access key id. Actions: GetUser, PutUserPolicy, ListAccessKeys, UpdateAccessKey, DeleteLoginProfile.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, type RecordedRequest } from './http.js';

const NS = 'https://iam.amazonaws.com/doc/2010-05-08/';

export interface FakeIamUser {
  name: string;
  accountId: string;
  keys: Array<{ id: string; status: 'Active' | 'Inactive' }>;
  loginProfile: boolean;
  policies: Map<string, string>;
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

export class FakeIamForResponder extends LoopbackServer {
  users = new Map<string, FakeIamUser>();
  /** Actions answered AccessDenied. */
  denied = new Set<string>();
  constructor(readonly accessKeyId: string) {
    super((req, res) => this.#route(req, res));
  }
  addUser(name: string, accountId: string, keys: FakeIamUser['keys'] = [], loginProfile = true): void {
    this.users.set(name, { name, accountId, keys, loginProfile, policies: new Map() });
  }
  #error(res: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
    xml(res, status, `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
  }
  #ok(res: ServerResponse, action: string, result = ''): void {
    xml(res, 200, `<${action}Response xmlns="${NS}">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`);
  }
  #route(req: RecordedRequest, res: ServerResponse): void {
    if (!String(req.headers.authorization ?? '').includes(`Credential=${this.accessKeyId}/`)) return this.#error(res, 403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const form = new URLSearchParams(req.body);
    const action = form.get('Action') ?? '';
    if (form.get('Version') !== '2010-05-08') return this.#error(res, 400, 'InvalidAction', 'Could not find operation for version');
    if (this.denied.has(action)) return this.#error(res, 403, 'AccessDenied', `User: arn:aws:iam::111111111111:user/mfawatch is not authorized to perform: iam:${action}`);
    const name = form.get('UserName') ?? '';
    const user = this.users.get(name);
    const missing = () => this.#error(res, 404, 'NoSuchEntity', `The user with name ${name} cannot be found.`);
    switch (action) {
      case 'GetUser':
        if (!user) return missing();
        return this.#ok(res, action, `<User><Path>/</Path><UserName>${user.name}</UserName><UserId>AIDA${user.name.toUpperCase()}</UserId><Arn>arn:aws:iam::${user.accountId}:user/${user.name}</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate></User>`);
      case 'PutUserPolicy':
        if (!user) return missing();
        user.policies.set(form.get('PolicyName') ?? '', form.get('PolicyDocument') ?? '');
        return this.#ok(res, action);
      case 'ListAccessKeys':
        if (!user) return missing();
        return this.#ok(res, action, `<AccessKeyMetadata>${user.keys.map((k) => `<member><UserName>${user.name}</UserName><AccessKeyId>${k.id}</AccessKeyId><Status>${k.status}</Status><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`).join('')}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`);
      case 'UpdateAccessKey': {
        const key = user?.keys.find((k) => k.id === form.get('AccessKeyId'));
        if (!user || !key) return missing();
        key.status = form.get('Status') === 'Inactive' ? 'Inactive' : 'Active';
        return this.#ok(res, action);
      }
      case 'DeleteLoginProfile':
        if (!user) return missing();
        if (!user.loginProfile) return this.#error(res, 404, 'NoSuchEntity', `Login Profile for User ${name} cannot be found.`);
        user.loginProfile = false;
        return this.#ok(res, action);
      default:
        return this.#error(res, 400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    }
  }
}
