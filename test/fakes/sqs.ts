/**
 * A fake of Amazon SQS speaking the AWS JSON 1.0 protocol that the current @aws-sdk/client-sqs
 * uses: `POST /` with `Content-Type: application/x-amz-json-1.0` and
 * `X-Amz-Target: AmazonSQS.<Operation>`, SigV4-signed for service `sqs` (verified: the access key
 * names the account, a wrong secret is SignatureDoesNotMatch), JSON answers, and JSON errors
 * (`{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": …}`) with the query-compatible
 * `x-amzn-query-error: <Code>;Sender` header SQS sends.
 *
 * Semantics kept: long polling (ReceiveMessage waits up to WaitTimeSeconds for a message, answers
 * as soon as one is visible), the visibility timeout (a received message is hidden until it
 * expires or is deleted; `advance(ms)` moves the fake's clock), a new receipt handle per receive
 * and ApproximateReceiveCount, MD5OfBody (the SDK checks it), DeleteMessage / DeleteMessageBatch
 * (at most 10 entries; distinct ids; an unknown handle is ReceiptHandleIsInvalid; a handle
 * superseded by a later receive succeeds without deleting, as AWS documents).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-making-api-requests-json.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, type RecordedRequest } from './http.js';
import { sigV4 } from './aws-iam.js';

interface StoredMessage {
  id: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  invisibleUntil: number;
  /** The latest receipt handle; earlier ones no longer delete the message. */
  handle: string | null;
  handles: Set<string>;
}

interface FakeQueue {
  account: string;
  name: string;
  visibilityTimeoutSec: number;
  messages: StoredMessage[];
}

/** A waiting ReceiveMessage, woken when a message is sent or becomes visible. */
interface Waiter {
  queue: FakeQueue;
  wake: () => void;
}

export class FakeSqs extends LoopbackServer {
  readonly queues = new Map<string, FakeQueue>();
  readonly keys = new Map<string, { account: string; secret: string; arn: string }>();
  /** Operations answered AccessDenied, e.g. "ReceiveMessage". */
  readonly denied = new Set<string>();
  /** Every receipt handle a ReceiveMessage handed out, in order. */
  readonly issuedHandles: string[] = [];
  /** Every receipt handle a DeleteMessage(Batch) removed a message with, in order. */
  readonly deletedHandles: string[] = [];
  #offsetMs = 0;
  #throttles = 0;
  #waiters = new Set<Waiter>();

  constructor() {
    super((req, res) => this.#route(req, res));
  }

  /** The fake's clock (real time plus what `advance` added). */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves the clock on: visibility timeouts expire; waiting receives see the messages. */
  advance(ms: number): void {
    this.#offsetMs += ms;
    for (const w of this.#waiters) w.wake();
  }

  addKey(id: string, secret: string, account: string): void {
    this.keys.set(id, { account, secret, arn: `arn:aws:iam::${account}:user/mfawatch` });
  }

  /** Creates a queue; returns its URL on this fake. */
  createQueue(account: string, name: string, visibilityTimeoutSec = 30): string {
    this.queues.set(`/${account}/${name}`, { account, name, visibilityTimeoutSec, messages: [] });
    return `${this.url}/${account}/${name}`;
  }

  /** Puts a message on a queue (as EventBridge's SendMessage would); returns its MessageId. */
  send(queueUrl: string, body: string): string {
    const queue = this.#queue(new URL(queueUrl).pathname);
    if (!queue) throw new Error(`fake sqs: no queue ${queueUrl}`);
    const id = randomUUID();
    queue.messages.push({ id, body, sentAt: this.now(), receiveCount: 0, invisibleUntil: 0, handle: null, handles: new Set() });
    for (const w of this.#waiters) if (w.queue === queue) w.wake();
    return id;
  }

  /** Messages still on the queue (visible or in flight). */
  depth(queueUrl: string): number {
    return this.#queue(new URL(queueUrl).pathname)?.messages.length ?? 0;
  }

  /** Answers the next `times` calls with RequestThrottled. */
  throttle(times: number): void {
    this.#throttles += times;
  }

  /** The operations called, in order ("ReceiveMessage", "DeleteMessageBatch", …). */
  operations(): string[] {
    return this.requests.map((r) => String(r.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, ''));
  }

  #queue(path: string): FakeQueue | undefined {
    return this.queues.get(path.replace(/\/+$/, ''));
  }

  async #route(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const error = (status: number, type: string, queryCode: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), 'x-amzn-query-error': `${queryCode};Sender` });
      res.end(JSON.stringify({ __type: type, message }));
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || req.path !== '/' || req.headers['content-type'] !== 'application/x-amz-json-1.0' || !target.startsWith('AmazonSQS.')) {
      return error(400, 'com.amazon.coral.service#UnknownOperationException', 'UnknownOperationException', 'requests are JSON 1.0 POSTs to / with X-Amz-Target: AmazonSQS.<Operation>');
    }
    const op = target.slice('AmazonSQS.'.length);
    const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/sqs\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(req.headers.authorization ?? '');
    if (!auth) return error(400, 'com.amazon.coral.service#IncompleteSignatureException', 'IncompleteSignature', 'Request must be signed with AWS Signature Version 4 for service sqs');
    const [, keyId, date, region, signedHeaders, signature] = auth as unknown as [string, string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) return error(403, 'com.amazon.coral.service#UnrecognizedClientException', 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (!signedHeaders.split(';').includes('x-amz-target') || sigV4(req, key.secret, date, region, 'sqs', signedHeaders) !== signature) {
      return error(403, 'com.amazon.coral.service#InvalidSignatureException', 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return error(400, 'com.amazon.coral.service#SerializationException', 'SerializationException', 'the body is not JSON');
    }
    if (this.#throttles > 0) {
      this.#throttles -= 1;
      return error(403, 'com.amazonaws.sqs#RequestThrottled', 'RequestThrottled', 'Rate exceeded');
    }
    const queueUrl = typeof input.QueueUrl === 'string' ? input.QueueUrl : '';
    const queue = URL.canParse(queueUrl) ? this.#queue(new URL(queueUrl).pathname) : undefined;
    if (this.denied.has(op)) {
      const resource = queue ? `arn:aws:sqs:${region}:${queue.account}:${queue.name}` : '*';
      return error(403, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied', `User: ${key.arn} is not authorized to perform: sqs:${op.toLowerCase()} on resource: ${resource} because no identity-based policy allows the sqs:${op.toLowerCase()} action`);
    }
    if (!queue) return error(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    const ok = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
      res.end(JSON.stringify(body));
    };

    switch (op) {
      case 'ReceiveMessage': {
        const max = input.MaxNumberOfMessages === undefined ? 1 : Number(input.MaxNumberOfMessages);
        const wait = input.WaitTimeSeconds === undefined ? 0 : Number(input.WaitTimeSeconds);
        if (!Number.isInteger(max) || max < 1 || max > 10) return error(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', `Value ${String(input.MaxNumberOfMessages)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
        if (!Number.isInteger(wait) || wait < 0 || wait > 20) return error(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue', `Value ${String(input.WaitTimeSeconds)} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
        const visibility = input.VisibilityTimeout === undefined ? queue.visibilityTimeoutSec : Number(input.VisibilityTimeout);
        const wanted = new Set([...asStrings(input.MessageSystemAttributeNames), ...asStrings(input.AttributeNames)]);
        const deadline = Date.now() + wait * 1000;
        let visible = this.#visible(queue);
        while (visible.length === 0 && Date.now() < deadline && !res.destroyed) {
          await this.#wait(queue, deadline - Date.now());
          visible = this.#visible(queue);
        }
        const now = this.now();
        const out = visible.slice(0, max).map((m) => {
          m.receiveCount += 1;
          m.invisibleUntil = now + visibility * 1000;
          m.handle = randomBytes(48).toString('base64');
          m.handles.add(m.handle);
          this.issuedHandles.push(m.handle);
          const attributes: Record<string, string> = {};
          if (wanted.has('All') || wanted.has('ApproximateReceiveCount')) attributes.ApproximateReceiveCount = String(m.receiveCount);
          if (wanted.has('All') || wanted.has('SentTimestamp')) attributes.SentTimestamp = String(m.sentAt);
          return { MessageId: m.id, ReceiptHandle: m.handle, MD5OfBody: createHash('md5').update(m.body, 'utf8').digest('hex'), Body: m.body, ...(Object.keys(attributes).length ? { Attributes: attributes } : {}) };
        });
        // SQS answers an empty receive with an empty object (no Messages member).
        return ok(out.length ? { Messages: out } : {});
      }
      case 'DeleteMessage': {
        const result = this.#delete(queue, String(input.ReceiptHandle ?? ''));
        if (result === 'invalid') return error(404, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(input.ReceiptHandle).slice(0, 40)}" is not a valid receipt handle.`);
        return ok({});
      }
      case 'DeleteMessageBatch': {
        const entries = Array.isArray(input.Entries) ? (input.Entries as Array<{ Id?: unknown; ReceiptHandle?: unknown }>) : [];
        if (entries.length === 0) return error(400, 'com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one DeleteMessageBatchRequestEntry in the request.');
        if (entries.length > 10) return error(400, 'com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
        const ids = entries.map((e) => String(e.Id ?? ''));
        if (new Set(ids).size !== ids.length) return error(400, 'com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', 'Id must be distinct among batch entries.');
        const successful: Array<{ Id: string }> = [];
        const failed: Array<{ Id: string; SenderFault: boolean; Code: string; Message: string }> = [];
        for (const e of entries) {
          const result = this.#delete(queue, String(e.ReceiptHandle ?? ''));
          if (result === 'invalid') failed.push({ Id: String(e.Id), SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle is invalid.' });
          else successful.push({ Id: String(e.Id) });
        }
        return ok({ Successful: successful, Failed: failed });
      }
      case 'SendMessage': {
        const body = String(input.MessageBody ?? '');
        const id = this.send(queueUrl, body);
        return ok({ MessageId: id, MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex') });
      }
      case 'GetQueueAttributes':
        return ok({ Attributes: { ApproximateNumberOfMessages: String(this.#visible(queue).length), VisibilityTimeout: String(queue.visibilityTimeoutSec) } });
      default:
        return error(400, 'com.amazon.coral.service#UnknownOperationException', 'UnknownOperationException', `operation ${op} is not served by this fake`);
    }
  }

  #visible(queue: FakeQueue): StoredMessage[] {
    const now = this.now();
    return queue.messages.filter((m) => m.invisibleUntil <= now);
  }

  /** 'deleted', 'stale' (an older handle: succeeds, deletes nothing) or 'invalid' (never issued). */
  #delete(queue: FakeQueue, handle: string): 'deleted' | 'stale' | 'invalid' {
    const i = queue.messages.findIndex((m) => m.handles.has(handle));
    if (i < 0) return this.deletedHandles.includes(handle) ? 'stale' : 'invalid';
    const m = queue.messages[i] as StoredMessage;
    if (m.handle !== handle) return 'stale';
    queue.messages.splice(i, 1);
    this.deletedHandles.push(handle);
    return 'deleted';
  }

  #wait(queue: FakeQueue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        queue,
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      // Wakes at the deadline, or when the earliest in-flight message becomes visible again.
      const soonest = Math.min(ms, ...queue.messages.map((m) => Math.max(0, m.invisibleUntil - this.now())));
      const timer = setTimeout(waiter.wake, Math.max(1, soonest));
      this.#waiters.add(waiter);
    });
  }
}

const asStrings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** An EventBridge envelope as EventBridge delivers it to an SQS target (the event JSON is the body). */
export function eventBridgeEvent(detailType: string, source: string, detail: Record<string, unknown>, over: { account?: string; region?: string; time?: string } = {}): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: over.account ?? detail.recipientAccountId,
    time: over.time ?? detail.eventTime,
    region: over.region ?? detail.awsRegion,
    resources: [],
    detail,
  });
}
