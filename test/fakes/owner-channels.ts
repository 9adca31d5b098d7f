/**
 * Fakes of the owner channels' APIs on 127.0.0.1, in the providers' documented formats:
 *
 * - Slack Web API `users.lookupByEmail` and `chat.postMessage`: the bot token in
 *   `Authorization: Bearer`, form-encoded (or JSON) arguments, answers as HTTP 200 with
 *   {"ok": true, …} or {"ok": false, "error": "users_not_found" | "invalid_auth" | …}.
 *   https://api.slack.com/methods/users.lookupByEmail https://api.slack.com/methods/chat.postMessage
 * - Twilio `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: HTTP basic auth (AccountSid,
 *   AuthToken), form-encoded To, From, Body; 201 with the Message resource, 400 with
 *   {"code": 21211, "message", "more_info", "status": 400} for a bad number, 401 {"code": 20003}.
 *   https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

function args(req: RecordedRequest): Record<string, string> {
  if (String(req.headers['content-type'] ?? '').startsWith('application/json')) return JSON.parse(req.body || '{}') as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(req.body));
}

/** A Slack workspace: e-mail → user id; `messages` are the DMs posted. */
export class FakeSlackApi extends LoopbackServer {
  readonly users = new Map<string, string>();
  readonly messages: Array<{ channel: string; text: string }> = [];

  constructor(readonly token: string) {
    super((req, res) => this.#answer(req, res));
  }

  #answer(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
    const a = args(req);
    if (req.path === '/api/users.lookupByEmail') {
      const id = this.users.get(String(a.email ?? '').toLowerCase());
      if (!id) return sendJson(res, 200, { ok: false, error: 'users_not_found' });
      return sendJson(res, 200, { ok: true, user: { id, team_id: 'T0001', name: String(a.email).split('@')[0], deleted: false, profile: { email: a.email } } });
    }
    if (req.path === '/api/chat.postMessage') {
      if (!a.channel) return sendJson(res, 200, { ok: false, error: 'channel_not_found' });
      if (!a.text && !a.blocks) return sendJson(res, 200, { ok: false, error: 'no_text' });
      this.messages.push({ channel: a.channel, text: a.text ?? '' });
      return sendJson(res, 200, { ok: true, channel: `D${a.channel.slice(1)}`, ts: `${1_700_000_000 + this.messages.length}.000100`, message: { type: 'message', text: a.text, bot_id: 'B0001' } });
    }
    return sendJson(res, 200, { ok: false, error: 'unknown_method' });
  }
}

/** Twilio's Messages API for one account; `sent` are the accepted messages. */
export class FakeTwilio extends LoopbackServer {
  readonly sent: Array<{ to: string; from: string; body: string }> = [];

  /** `authToken` is what the fake accepts; tests change it to refuse mfawatch's. */
  constructor(readonly accountSid: string, public authToken: string) {
    super((req, res) => this.#answer(req, res));
  }

  #answer(req: RecordedRequest, res: ServerResponse): void {
    const expected = `Basic ${Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return sendJson(res, 401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
    if (req.method !== 'POST' || req.path !== `/2010-04-01/Accounts/${this.accountSid}/Messages.json`) return sendJson(res, 404, { code: 20404, message: 'The requested resource was not found', more_info: 'https://www.twilio.com/docs/errors/20404', status: 404 });
    const a = Object.fromEntries(new URLSearchParams(req.body));
    if (!a.To || !/^\+[1-9]\d{6,14}$/.test(a.To)) return sendJson(res, 400, { code: 21211, message: `The 'To' number ${a.To ?? ''} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
    this.sent.push({ to: a.To, from: a.From ?? '', body: a.Body ?? '' });
    sendJson(res, 201, { sid: `SM${String(this.sent.length).padStart(32, '0')}`, account_sid: this.accountSid, to: a.To, from: a.From, body: a.Body, status: 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01', date_created: new Date(0).toUTCString(), uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/SM1.json` });
  }
}
