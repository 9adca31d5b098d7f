/**
 * The `sqs` event source of the aws-iam monitor: long-polls the queue an EventBridge rule fills
 * with CloudTrail's IAM calls and console sign-ins, and hands the core each batch translated
 * (cloudtrail.ts). A message is deleted (DeleteMessageBatch) only when the core calls
 * `acknowledge`, after everything the batch produced is committed; until then the queue's
 * visibility timeout hides it, and a crash makes it visible again: redelivered, never lost.
 * There is no cursor: SQS keeps the position (visibility timeout + delete), and the core's dedupe
 * by CloudTrail eventID makes a redelivered message harmless.
 *
 * Messages that can never be processed (not JSON, not EventBridge, another source, an account the
 * instance does not cover) are returned as `ignored` with their reason and deleted with the rest
 * of the batch once the core has recorded them, so that they do not come back every visibility
 * timeout; they are counted and shown in `status`, not dropped silently.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message, type SQSClientConfig } from '@aws-sdk/client-sqs';
import type { Logger } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { awsErrorCode, classifyAwsError, PROVIDER, type AwsCaller } from '../../src/aws/errors.js';
import type { EventBatch, IgnoredEvent, ProviderEvent, PulledEventSource } from '../events.js';
import { translateMessage } from './cloudtrail.js';
import type { AwsSqsEventsConfig } from './config.js';

const README = 'see monitors/aws-iam/README.md, "Events"';

/** The advice in the queue's errors. */
const QUEUE_CALLER: AwsCaller = {
  readme: README,
  again: 'the queue is polled again after a pause; messages wait in it, nothing is lost',
  timeouts: 'requestTimeout',
  throttling: 'raise maxAttempts',
  aborts: 'shutdown',
  unchanged: 'messages stay in the queue and are read again',
};

/** What the source needs from the monitor instance. */
export interface SqsSourceOptions {
  sqs: AwsSqsEventsConfig;
  /** The instance's region, used when neither `sqs.region` nor the queue URL names one. */
  region: string;
  profile?: string | undefined;
  /** Base credentials (default: the SDK's default provider chain). */
  credentials?: SQSClientConfig['credentials'] | undefined;
  retryStrategy?: SQSClientConfig['retryStrategy'] | undefined;
  maxAttempts: number;
  retryMode: 'standard' | 'adaptive';
  requestTimeout: number;
  logger: Logger;
  /** The AWS account ids events may belong to (the instance's scopes). */
  scopes(signal: AbortSignal): Promise<ReadonlySet<string>>;
  /** See TranslateOptions.readingsSeeFactors. */
  readingsSeeFactors: boolean;
}

/** DeleteMessageBatch takes at most 10 entries. */
const DELETE_BATCH = 10;

/** The queue's region from its URL (sqs.<region>.amazonaws.com, <region>.queue.amazonaws.com). */
function regionOfQueueUrl(url: string): string | undefined {
  const host = new URL(url).hostname;
  return /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? /^([a-z]{2}(?:-[a-z]+)+-\d)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

/** Creates the `sqs` pulled source. */
/** The pause after an empty short poll (`waitTimeSeconds: 0`). */
const SHORT_POLL_IDLE_MS = 1_000;

export function createSqsEventSource(options: SqsSourceOptions): PulledEventSource {
  const { sqs } = options;
  const queueAccount = new URL(sqs.queueUrl).pathname.split('/')[1] ?? '';
  const queueName = new URL(sqs.queueUrl).pathname.split('/')[2] ?? '';
  const where = `queue ${queueName} of`;
  const region = sqs.region ?? regionOfQueueUrl(sqs.queueUrl) ?? options.region;
  // A long poll holds the request open up to waitTimeSeconds: the request timeout must outlast it.
  const requestTimeout = Math.max(options.requestTimeout, (sqs.waitTimeSeconds + 10) * 1000);

  function client(): SQSClient {
    return new SQSClient({
      region,
      ...(sqs.endpoint ? { endpoint: sqs.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : options.profile ? { profile: options.profile } : {}),
      ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : { maxAttempts: options.maxAttempts, retryMode: options.retryMode }),
      requestHandler: { requestTimeout, connectionTimeout: Math.min(options.requestTimeout, 10_000), throwOnRequestTimeout: true },
      logger: { debug: () => undefined, info: () => undefined, warn: (...args: unknown[]) => options.logger.debug({ sdk: 'sqs' }, String(args[0])), error: (...args: unknown[]) => options.logger.debug({ sdk: 'sqs' }, String(args[0])) },
    });
  }

  /** Classifies a failed queue call; names the queue and what to allow or fix. */
  function classify(err: unknown, action: string): ProviderError {
    if (err instanceof ProviderError) return err;
    const code = awsErrorCode(err);
    const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const base = { provider: PROVIDER, status, cause: err };
    if (code === 'QueueDoesNotExist' || code === 'AWS.SimpleQueueService.NonExistentQueue') {
      return new ProviderError(`the SQS queue ${queueName} of account ${queueAccount} does not exist in ${region}`, {
        ...base, reason: 'not_found', hint: `check "events.sqs.queueUrl" (and "events.sqs.region"), or create the queue (${README})`,
      });
    }
    if (code.startsWith('Kms') || code.startsWith('KMS.')) {
      return new ProviderError(`AWS KMS refused to decrypt the messages of ${where} account ${queueAccount} (${code})`, {
        ...base, reason: 'permission', hint: `allow kms:Decrypt on the queue's key for the identity mfawatch runs as, and kms:GenerateDataKey + kms:Decrypt for events.amazonaws.com in the key policy (${README})`,
      });
    }
    if (code === 'OverLimit') {
      return new ProviderError(`${action} on ${where} account ${queueAccount} hit the queue's in-flight message limit (OverLimit)`, { ...base, reason: 'rate_limited', hint: 'messages are being received and not deleted: another consumer may share the queue; give mfawatch its own queue' });
    }
    if (err instanceof Error && /Invalid MD5 checksum/.test(err.message)) {
      return new ProviderError(`${action} on ${where} account ${queueAccount} returned messages whose body does not match its MD5OfBody`, { ...base, reason: 'malformed', hint: 'a proxy may be rewriting answers; the messages stay in the queue and are read again' });
    }
    return classifyAwsError(err, action, `${queueAccount} (queue ${queueName})`, QUEUE_CALLER);
  }

  async function deleteMessages(handles: readonly string[], signal: AbortSignal): Promise<void> {
    const c = client();
    try {
      const failed: string[] = [];
      for (let i = 0; i < handles.length; i += DELETE_BATCH) {
        const chunk = handles.slice(i, i + DELETE_BATCH);
        let out;
        try {
          out = await c.send(new DeleteMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: chunk.map((h, j) => ({ Id: `m${i + j}`, ReceiptHandle: h })) }), { abortSignal: signal });
        } catch (err) {
          throw classify(err, 'sqs:DeleteMessage');
        }
        for (const f of out.Failed ?? []) failed.push(`${f.Id ?? '?'}: ${(f.Code ?? 'unknown').slice(0, 64)}`);
      }
      if (failed.length) {
        throw new ProviderError(`SQS did not delete ${failed.length} of ${handles.length} messages from ${where} account ${queueAccount} (${failed.slice(0, 5).join(', ')})`, {
          reason: 'server', provider: PROVIDER,
          hint: 'they become visible again after the visibility timeout and are read again; their events are already committed and deduplicated, so nothing is alerted twice',
        });
      }
    } finally {
      c.destroy();
    }
  }

  return {
    kind: 'pull',
    name: 'sqs',
    intervalMs: 0,
    // A long poll waits by itself; a short poll (waitTimeSeconds 0) answers at once on an empty
    // queue, so it is repeated at most once a second (3,600 ReceiveMessage calls an hour).
    idleIntervalMs: sqs.waitTimeSeconds === 0 ? SHORT_POLL_IDLE_MS : 0,
    async poll(_cursor: string | undefined, signal: AbortSignal): Promise<EventBatch> {
      const scopes = await options.scopes(signal);
      const c = client();
      let messages: Message[];
      try {
        const out = await c.send(
          new ReceiveMessageCommand({
            QueueUrl: sqs.queueUrl, MaxNumberOfMessages: sqs.maxMessages, WaitTimeSeconds: sqs.waitTimeSeconds,
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        throw classify(err, 'sqs:ReceiveMessage');
      } finally {
        c.destroy();
      }
      const events: ProviderEvent[] = [];
      const ignored: IgnoredEvent[] = [];
      const handles: string[] = [];
      for (const m of messages) {
        // A message without a receipt handle cannot be deleted; it comes back and is read again.
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
        const t = translateMessage(m.Body ?? '', String(m.MessageId ?? '').slice(0, 100), { scopes, readingsSeeFactors: options.readingsSeeFactors });
        if ('event' in t) events.push(t.event);
        else ignored.push(t.ignored);
      }
      if (handles.length === 0) return { events, ignored };
      return { events, ignored, acknowledge: (ackSignal: AbortSignal) => deleteMessages(handles, ackSignal) };
    },
  };
}
