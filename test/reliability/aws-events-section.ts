/**
 * The fault rows of the aws-iam monitor's SQS event source (test/monitors/aws-iam-events.test.ts
 * asserts each): static text of docs/RELIABILITY.md, rendered with the rest by render.ts.
 */
export function awsEventsSection(): string[] {
  return [
    '## AWS events (the `sqs` source of aws-iam)',
    '',
    'The queue side of the AWS event source, through the real SQSClient against the SQS fake (AWS JSON',
    '1.0 protocol, long poll, visibility timeout; test/monitors/aws-iam-events.test.ts). What the core',
    'does with a failed poll (backoff, `status`) and with the events (dedupe, verification, commit) is',
    `the event-source runner's; the rows below are what the source hands it.`,
    '',
    '| fault | what the source does | message (excerpt) |',
    '|---|---|---|',
    '| SQS unreachable (connection refused) | poll fails `network` (transient); the messages stay in the queue | could not reach AWS for sqs:ReceiveMessage in account N (queue Q) |',
    '| AccessDenied on ReceiveMessage | poll fails `permission` | AWS denied sqs:ReceiveMessage in account N (queue Q) (AccessDenied): allow sqs:ReceiveMessage … |',
    '| AccessDenied on DeleteMessageBatch | `acknowledge` fails `permission`; the messages come back after the visibility timeout and their event ids are already known | … allow sqs:DeleteMessage … |',
    '| queue does not exist | poll fails `not_found` | the SQS queue Q of account N does not exist in R: check "events.sqs.queueUrl" … |',
    '| throttled (RequestThrottled) | retried by the SDK; past its attempts, poll fails `rate_limited` (transient) | AWS throttled sqs:ReceiveMessage … |',
    '| a body that is not JSON, not EventBridge, another source, an unreadable CloudTrail record | set aside `malformed` / `foreign` with the reason, deleted with its batch (it could never be processed) | message M is not JSON … |',
    '| an event for an account no scope covers | set aside `unknown_scope` naming the account, deleted with its batch | event E (DeactivateMFADevice) is for AWS account N, which this monitor does not cover … |',
    '| killed between receipt and commit | nothing is deleted before `acknowledge`: the message is visible again after the visibility timeout and read again, with the same CloudTrail eventID | |',
    `| a batch acknowledged after its messages were redelivered | the stale receipt handles delete nothing (as SQS documents); the newer receipt's acknowledge deletes them | |`,
    '| a message whose body does not match MD5OfBody | poll fails `malformed`; the message stays in the queue | … returned messages whose body does not match its MD5OfBody |',
    '',
  ];
}
