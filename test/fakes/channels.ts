/**
 * Fakes of the notification channels' receiving ends, on 127.0.0.1, answering as the providers
 * document: Slack incoming webhooks (200 "ok"; errors as a plain-text code such as
 * "invalid_payload" or "no_service"), PagerDuty Events API v2 (202 {"status":"success",
 * "message":"Event processed","dedup_key"}; 400 {"status":"invalid event","message","errors"}),
 * Teams Workflows (202, empty body) and a plain webhook receiver (200).
 * https://api.slack.com/messaging/webhooks#handling_errors
 * https://developer.pagerduty.com/docs/events-api-v2/overview/#response-codes--retry-logic
 */
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export type ChannelKind = 'slack' | 'pagerduty' | 'teams' | 'webhook';

/** A receiver of one channel kind; `accepted()` are the requests it answered with success. */
export class FakeChannel extends LoopbackServer {
  readonly kind: ChannelKind;
  readonly accepted: RecordedRequest[] = [];

  constructor(kind: ChannelKind) {
    super((req, res) => this.#answer(req, res));
    this.kind = kind;
  }

  #answer(req: RecordedRequest, res: ServerResponse): void {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    switch (this.kind) {
      case 'slack': {
        let body: { text?: unknown; blocks?: unknown };
        try {
          body = JSON.parse(req.body) as typeof body;
        } catch {
          res.writeHead(400, { 'content-type': 'text/html' }).end('invalid_payload');
          return;
        }
        if (typeof body.text !== 'string' && !Array.isArray(body.blocks)) {
          res.writeHead(400, { 'content-type': 'text/html' }).end('no_text');
          return;
        }
        if (Array.isArray(body.blocks) && body.blocks.length > 50) {
          res.writeHead(400, { 'content-type': 'text/html' }).end('invalid_blocks');
          return;
        }
        this.accepted.push(req);
        res.writeHead(200, { 'content-type': 'text/html' }).end('ok');
        return;
      }
      case 'pagerduty': {
        let body: { routing_key?: unknown; event_action?: unknown; dedup_key?: unknown; payload?: { summary?: unknown; source?: unknown; severity?: unknown } };
        try {
          body = JSON.parse(req.body) as typeof body;
        } catch {
          sendJson(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] });
          return;
        }
        const errors: string[] = [];
        if (typeof body.routing_key !== 'string' || body.routing_key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
        if (!['trigger', 'acknowledge', 'resolve'].includes(String(body.event_action))) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
        if (body.event_action === 'trigger') {
          if (typeof body.payload?.summary !== 'string') errors.push("'payload.summary' is missing or blank");
          if (typeof body.payload?.source !== 'string') errors.push("'payload.source' is missing or blank");
          if (!['critical', 'error', 'warning', 'info'].includes(String(body.payload?.severity))) errors.push("'payload.severity' is invalid");
        } else if (typeof body.dedup_key !== 'string') errors.push("'dedup_key' is required for acknowledge and resolve");
        if (errors.length) {
          sendJson(res, 400, { status: 'invalid event', message: 'Event object is invalid', errors });
          return;
        }
        this.accepted.push(req);
        sendJson(res, 202, { status: 'success', message: 'Event processed', dedup_key: body.dedup_key ?? 'generated-key' });
        return;
      }
      case 'teams': {
        let body: { type?: unknown; attachments?: Array<{ contentType?: unknown; content?: { type?: unknown } }> };
        try {
          body = JSON.parse(req.body) as typeof body;
        } catch {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad payload');
          return;
        }
        const card = body.attachments?.[0];
        if (body.type !== 'message' || card?.contentType !== 'application/vnd.microsoft.card.adaptive' || card.content?.type !== 'AdaptiveCard') {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad payload: expected an Adaptive Card attachment');
          return;
        }
        this.accepted.push(req);
        res.writeHead(202).end();
        return;
      }
      case 'webhook':
        this.accepted.push(req);
        res.writeHead(204).end();
        return;
    }
  }

  /** The JSON bodies of the accepted requests. */
  bodies<T = Record<string, unknown>>(): T[] {
    return this.accepted.map((r) => JSON.parse(r.body) as T);
  }
}
