/**
 * Translates one SQS message body, an EventBridge event carrying a CloudTrail record, into a
 * ProviderEvent for the core (monitors/events.ts), or says why it was set aside. Pure: no I/O.
 *
 * The two event kinds read, as EventBridge delivers them:
 *   source "aws.iam",    detail-type "AWS API Call via CloudTrail",        detail.eventSource "iam.amazonaws.com"
 *   source "aws.signin", detail-type "AWS Console Sign In via CloudTrail" (or "…Signin…"), detail.eventSource "signin.amazonaws.com"
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
 *
 * Everything in a body is hostile input: it is validated against these shapes, strings copied into
 * events are length-capped and stripped of control characters, and nothing in it is trusted to
 * pick a scope the instance does not cover.
 */
import { z } from 'zod';
import type { AccountRef, HintTopic, IgnoredEvent, ProviderEvent } from '../events.js';

/** What the translation needs to know of the monitor instance. */
export interface TranslateOptions {
  /** The AWS account ids (scope ids) the instance covers. */
  scopes: ReadonlySet<string>;
  /**
   * Whether `readAccount` sees a user's MFA factors (live mode). When it does, a new device is
   * found by the diff of the verified reading (`factor_added` once); when it does not (report
   * mode: the credential report says only "MFA active"), EnableMFADevice is also a
   * `factor_added` fact, the only place that change can come from.
   */
  readingsSeeFactors: boolean;
}

/** One message translated: an event for the core, or a reason it was set aside. */
export type Translation = { event: ProviderEvent } | { ignored: IgnoredEvent };

/** IAM API calls mfawatch acts on, and what each says about the user it names. */
const IAM_CALLS: ReadonlyMap<string, HintTopic> = new Map<string, HintTopic>([
  ['EnableMFADevice', 'factor'],
  ['DeactivateMFADevice', 'mfa'],
  ['CreateVirtualMFADevice', 'factor'],
  ['DeleteVirtualMFADevice', 'mfa'],
  ['CreateLoginProfile', 'credential'],
  ['DeleteLoginProfile', 'credential'],
  ['CreateAccessKey', 'credential'],
  ['DeleteAccessKey', 'credential'],
  ['CreateUser', 'membership'],
  ['DeleteUser', 'membership'],
  ['AttachUserPolicy', 'admin'],
  ['DetachUserPolicy', 'admin'],
  ['PutUserPolicy', 'admin'],
  ['DeleteUserPolicy', 'admin'],
  ['AddUserToGroup', 'admin'],
  ['RemoveUserFromGroup', 'admin'],
]);

/** The event names the README's EventBridge rule forwards (kept equal to IAM_CALLS by a test). */
export const HANDLED_IAM_CALLS: readonly string[] = [...IAM_CALLS.keys()];

/**
 * Calls about a virtual MFA device, not a user: CreateVirtualMFADevice makes an unassigned
 * device and DeleteVirtualMFADevice removes one (AWS refuses while it is still assigned). Only
 * when the caller manages their own device do they name a user: the caller.
 */
const DEVICE_CALLS: ReadonlySet<string> = new Set(['CreateVirtualMFADevice', 'DeleteVirtualMFADevice']);

/**
 * The sign-in detail-type in both spellings AWS uses: "AWS Console Sign In via CloudTrail" in the
 * events EventBridge delivers and most of its examples, "AWS Console Signin via CloudTrail" in the
 * EventBridge User Guide's list of CloudTrail event types.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const SIGN_IN_DETAIL_TYPES: ReadonlySet<string> = new Set(['AWS Console Sign In via CloudTrail', 'AWS Console Signin via CloudTrail']);

const ACCOUNT_ID = /^\d{12}$/;
/** IAM user names: 1-64 of letters, digits and +=,.@_- (API_CreateUser.html). */
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
/** CloudTrail eventIDs are UUIDs; anything id-like and bounded is accepted as the dedupe key. */
const EVENT_ID = /^[\w-]{1,128}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const IAM_USER_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):user\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const ROOT_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):root$/;

const looseRecord = z.record(z.string(), z.unknown());

/** The EventBridge envelope (only what is read). */
const envelopeSchema = z.object({
  'detail-type': z.string().max(256),
  source: z.string().max(256),
  account: z.string().max(64).optional(),
  time: z.string().max(64).optional(),
  region: z.string().max(64).optional(),
  detail: z.unknown(),
});

/** The CloudTrail record inside `detail` (only what is read). */
const detailSchema = z.object({
  eventID: z.string().regex(EVENT_ID, 'is not an event id'),
  eventTime: z.string().regex(ISO_TIME, 'is not an ISO 8601 time'),
  eventName: z.string().max(128),
  eventSource: z.string().max(128),
  awsRegion: z.string().max(64).optional(),
  recipientAccountId: z.string().regex(ACCOUNT_ID, 'is not a 12-digit account id').optional(),
  userIdentity: z
    .object({
      type: z.string().max(64).optional(),
      arn: z.string().max(2048).optional(),
      accountId: z.string().max(64).optional(),
      userName: z.string().max(256).optional(),
    })
    .nullable()
    .optional(),
  sourceIPAddress: z.string().max(1024).nullable().optional(),
  userAgent: z.string().max(8192).nullable().optional(),
  requestParameters: looseRecord.nullable().optional(),
  responseElements: looseRecord.nullable().optional(),
  additionalEventData: looseRecord.nullable().optional(),
  errorCode: z.string().max(256).nullable().optional(),
});
type Detail = z.output<typeof detailSchema>;

/** Strips control characters and caps the length of provider text kept in an event. */
function clean(value: unknown, max: number): string | null {
  if (typeof value !== 'string') return null;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  if (!text) return null;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A short, printable excerpt of a hostile value for an `ignored` message. */
const quote = (value: unknown) => JSON.stringify(clean(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), 60));

/**
 * Translates one message body. `messageId` (the SQS MessageId) names a message that has no
 * usable CloudTrail eventID.
 */
export function translateMessage(body: string, messageId: string, options: TranslateOptions): Translation {
  const ignore = (reason: IgnoredEvent['reason'], message: string, id?: string): Translation => ({ ignored: { reason, message, id: id ?? `sqs:${messageId}` } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return ignore('malformed', `message ${quote(messageId)} is not JSON (${body.length} bytes): the queue should receive EventBridge events only`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return ignore('malformed', `message ${quote(messageId)} is JSON but not an object: the queue should receive EventBridge events only`);
  }
  const record = parsed as Record<string, unknown>;
  if (record.Type === 'Notification' && typeof record.TopicArn === 'string') {
    return ignore('foreign', `message ${quote(messageId)} is an SNS notification: make the EventBridge rule target the queue directly, or turn on raw message delivery on the SNS subscription`);
  }
  const envelope = envelopeSchema.safeParse(parsed);
  if (!envelope.success) {
    return ignore('foreign', `message ${quote(messageId)} is not an EventBridge event (no source/detail-type): the queue should receive only the events of the rule in monitors/aws-iam/README.md`);
  }
  const { source } = envelope.data;
  const kind = envelope.data['detail-type'];
  const signin = source === 'aws.signin' && SIGN_IN_DETAIL_TYPES.has(kind);
  const iam = source === 'aws.iam' && kind === 'AWS API Call via CloudTrail';
  if (!signin && !iam) {
    return ignore('foreign', `an EventBridge event from ${quote(source)} (${quote(kind)}) is not one mfawatch reads: narrow the rule to aws.iam API calls and aws.signin console sign-ins`);
  }
  const detail = detailSchema.safeParse(envelope.data.detail);
  if (!detail.success) {
    const issue = detail.error.issues[0];
    const where = issue?.path.length ? `detail.${issue.path.join('.')}` : 'detail';
    return ignore('malformed', `a ${signin ? 'sign-in' : 'IAM'} event without a readable CloudTrail record: ${where} ${issue?.message ?? 'is invalid'}`);
  }
  const d = detail.data;
  const expectedSource = signin ? 'signin.amazonaws.com' : 'iam.amazonaws.com';
  if (d.eventSource !== expectedSource) {
    return ignore('foreign', `an ${source} event whose eventSource is ${quote(d.eventSource)}, not ${expectedSource}`, d.eventID);
  }
  const occurredAt = new Date(d.eventTime);
  if (Number.isNaN(occurredAt.getTime())) return ignore('malformed', `event ${d.eventID} has the impossible eventTime ${quote(d.eventTime)}`, d.eventID);
  const account = d.recipientAccountId ?? envelope.data.account;
  if (account === undefined || !ACCOUNT_ID.test(account)) {
    return ignore('malformed', `event ${d.eventID} names no 12-digit AWS account (recipientAccountId / account)`, d.eventID);
  }
  if (!options.scopes.has(account)) {
    return ignore('unknown_scope', `event ${d.eventID} (${clean(d.eventName, 64)}) is for AWS account ${account}, which this monitor does not cover: add the account to "accounts", or stop forwarding its events to the queue`, d.eventID);
  }
  const base = { id: d.eventID, occurredAt, scope: account, name: clean(d.eventName, 64) ?? '' };
  return signin ? consoleLogin(d, base, ignore) : iamCall(d, base, options, ignore);
}

type Base = Pick<ProviderEvent, 'id' | 'occurredAt' | 'scope' | 'name'>;
type Ignore = (reason: IgnoredEvent['reason'], message: string, id?: string) => Translation;

/** The account that made a call (userIdentity), when it is an IAM user or root of this account. */
function caller(d: Detail, account: string): (AccountRef & { root: boolean }) | null {
  const who = d.userIdentity;
  if (!who) return null;
  if (who.type === 'Root') {
    const m = ROOT_ARN.exec(who.arn ?? '');
    if (m && m[2] !== account) return null;
    return { accountId: m ? (who.arn as string) : `arn:aws:iam::${account}:root`, login: 'root', root: true };
  }
  if (who.type === 'IAMUser') {
    const m = IAM_USER_ARN.exec(who.arn ?? '');
    if (!m || m[2] !== account) return null;
    const login = who.userName && USER_NAME.test(who.userName) ? who.userName : (m[3] as string);
    return { accountId: who.arn as string, login, root: false };
  }
  return null;
}

/**
 * A console sign-in: a fact only when it succeeded, for an IAM user or root, without MFA.
 * Failed sign-ins are not sign-ins; federated ones (AssumedRole, SAML, Identity Center) get their
 * MFA from the identity provider, which its own monitor watches.
 */
function consoleLogin(d: Detail, base: Base, ignore: Ignore): Translation {
  if (d.eventName !== 'ConsoleLogin') return ignore('irrelevant', `sign-in event ${clean(d.eventName, 64)} is not a console sign-in`, d.eventID);
  const result = d.responseElements?.ConsoleLogin;
  if (result !== 'Success') return ignore('irrelevant', `ConsoleLogin ${d.eventID} did not succeed (${quote(result ?? null)}): a failed sign-in is not a sign-in`, d.eventID);
  const type = d.userIdentity?.type;
  if (type !== 'IAMUser' && type !== 'Root') {
    return ignore('irrelevant', `ConsoleLogin ${d.eventID} is a ${quote(type ?? 'unknown')} sign-in: MFA is the identity provider's, not IAM's`, d.eventID);
  }
  const mfa = d.additionalEventData?.MFAUsed;
  if (mfa === 'Yes') return ignore('irrelevant', `ConsoleLogin ${d.eventID} used MFA`, d.eventID);
  if (mfa !== 'No') return ignore('malformed', `ConsoleLogin ${d.eventID} says MFAUsed ${quote(mfa ?? null)}, neither "Yes" nor "No"`, d.eventID);
  const who = caller(d, base.scope);
  if (!who) return ignore('malformed', `ConsoleLogin ${d.eventID} names no IAM user or root of account ${base.scope} (userIdentity.arn)`, d.eventID);
  const loginTo = clean(d.additionalEventData?.LoginTo, 512);
  return {
    event: {
      ...base,
      fact: {
        type: 'signin_without_mfa',
        account: { accountId: who.accountId as string, login: who.login as string },
        kind: who.root ? 'root' : 'iam_user',
        ...(who.root ? { admin: true } : {}),
        sourceIp: clean(d.sourceIPAddress, 128),
        userAgent: clean(d.userAgent, 512),
        detail: { eventName: 'ConsoleLogin', eventId: d.eventID, eventTime: base.occurredAt.toISOString(), region: clean(d.awsRegion, 32), ...(loginTo ? { loginTo } : {}) },
      },
    },
  };
}

/** An IAM API call: a hint to verify the user it names, plus a fact only where the reading is blind. */
function iamCall(d: Detail, base: Base, options: TranslateOptions, ignore: Ignore): Translation {
  const topic = IAM_CALLS.get(d.eventName);
  if (!topic) return ignore('irrelevant', `IAM call ${clean(d.eventName, 64)} does not change MFA, credentials, admin rights or membership`, d.eventID);
  if (d.errorCode) return ignore('irrelevant', `IAM call ${d.eventName} ${d.eventID} failed (${clean(d.errorCode, 64)}) and changed nothing`, d.eventID);
  const named = d.requestParameters?.userName;
  if (named !== undefined && named !== null && (typeof named !== 'string' || !USER_NAME.test(named))) {
    return ignore('malformed', `IAM call ${d.eventName} ${d.eventID} names the user ${quote(named)}, which is not an IAM user name`, d.eventID);
  }
  let account: AccountRef | null = null;
  if (typeof named === 'string') {
    account = { login: named };
    // CreateUser answers with the new user's ARN (path included); other calls name the user only,
    // and readAccount learns the ARN from GetUser.
    const arn = (d.responseElements?.user as { arn?: unknown } | undefined)?.arn;
    const m = typeof arn === 'string' ? IAM_USER_ARN.exec(arn) : null;
    if (m && m[2] === base.scope && m[3] === named) account.accountId = arn as string;
  } else {
    // No userName: the call acted on the caller (a user managing their own device or keys, or root).
    const who = caller(d, base.scope);
    if (who) account = { accountId: who.accountId as string, login: who.login as string };
  }
  if (!account) {
    const why = DEVICE_CALLS.has(d.eventName) ? 'a device not yet (or no longer) assigned to a user; EnableMFADevice / DeactivateMFADevice name the user' : 'no IAM user (requestParameters.userName) and was not made by one';
    return ignore('irrelevant', `IAM call ${d.eventName} ${d.eventID} concerns ${why}`, d.eventID);
  }
  const event: ProviderEvent = { ...base, hint: { account, topic } };
  if (d.eventName === 'EnableMFADevice' && !options.readingsSeeFactors) {
    const serial = clean(d.requestParameters?.serialNumber, 256);
    event.fact = { type: 'factor_added', account, ...(account.accountId !== undefined && ROOT_ARN.test(account.accountId) ? { kind: 'root', admin: true } : { kind: 'iam_user' }), sourceIp: clean(d.sourceIPAddress, 128), userAgent: clean(d.userAgent, 512), detail: { eventName: d.eventName, eventId: d.eventID, ...(serial ? { serialNumber: serial } : {}) } };
  }
  return { event };
}
