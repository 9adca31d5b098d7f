/**
 * CloudTrail records as EventBridge carries them in `detail`, shaped after the example records in
 * AWS's documentation (field names, value types and nesting as documented; ids and names ours):
 * - console sign-ins, "IAM user, successful sign-in without MFA", "Root user, successful
 *   sign-in", "IAM user, failed sign-in":
 *   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
 * - IAM API calls ("Example IAM API events in CloudTrail log"):
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html
 * - record contents: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 */
import { randomUUID } from 'node:crypto';
import { eventBridgeEvent } from './sqs.js';

/** The documented sample browser user agent of the sign-in examples. */
export const SAMPLE_USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/35.0.1916.153 Safari/537.36';

/** A vendored sample, verbatim in shape: "IAM user, successful sign-in without MFA". */
export const SAMPLE_CONSOLE_LOGIN_WITHOUT_MFA = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', arn: 'arn:aws:iam::111122223333:user/JaneDoe', accountId: '111122223333', userName: 'JaneDoe' },
  eventTime: '2014-07-16T15:49:27Z',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  awsRegion: 'us-east-2',
  sourceIPAddress: '192.0.2.110',
  userAgent: SAMPLE_USER_AGENT,
  requestParameters: null,
  responseElements: { ConsoleLogin: 'Success' },
  additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: 'No' },
  eventID: '3fcfb182-98f8-4744-bd45-10a395ab61cb',
  readOnly: false,
  eventType: 'AwsConsoleSignIn',
  managementEvent: true,
  recipientAccountId: '111122223333',
  eventCategory: 'Management',
  tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'us-east-2.signin.aws.amazon.com' },
} as const;

export interface SignInOptions {
  account: string;
  /** An IAM user name, or 'root'. */
  user: string;
  mfa?: boolean;
  success?: boolean;
  region?: string;
  eventId?: string;
  time?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** A ConsoleLogin record for an IAM user or root. */
export function consoleLogin(o: SignInOptions): Record<string, unknown> {
  const root = o.user === 'root';
  const success = o.success ?? true;
  return {
    eventVersion: '1.08',
    userIdentity: root
      ? { type: 'Root', principalId: o.account, arn: `arn:aws:iam::${o.account}:root`, accountId: o.account, accessKeyId: '' }
      : { type: 'IAMUser', principalId: 'AIDACKCEVSQ6C2EXAMPLE', arn: `arn:aws:iam::${o.account}:user/${o.user}`, accountId: o.account, userName: o.user },
    eventTime: o.time ?? '2026-11-22T09:05:00Z',
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: o.region ?? 'us-east-1',
    sourceIPAddress: o.sourceIp ?? '192.0.2.110',
    userAgent: o.userAgent ?? SAMPLE_USER_AGENT,
    requestParameters: null,
    responseElements: { ConsoleLogin: success ? 'Success' : 'Failure' },
    additionalEventData: {
      LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: o.mfa ? 'Yes' : 'No',
      ...(o.mfa ? { MFAIdentifier: `arn:aws:iam::${o.account}:mfa/${o.user}` } : {}),
    },
    ...(success ? {} : { errorMessage: 'Failed authentication' }),
    eventID: o.eventId ?? randomUUID(),
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    managementEvent: true,
    recipientAccountId: o.account,
    eventCategory: 'Management',
  };
}

export interface IamCallOptions {
  account: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  /** Who called: an IAM user name (default "admin"), 'root', or a role session. */
  caller?: string | { role: string };
  errorCode?: string;
  eventId?: string;
  time?: string;
}

/** An IAM API call record as CloudTrail writes it (IAM is global: awsRegion us-east-1). */
export function iamCall(eventName: string, o: IamCallOptions): Record<string, unknown> {
  const caller = o.caller ?? 'admin';
  const userIdentity =
    typeof caller === 'object'
      ? {
          type: 'AssumedRole', principalId: `AROAEXAMPLEROLEID:${caller.role}`, arn: `arn:aws:sts::${o.account}:assumed-role/${caller.role}/session`, accountId: o.account, accessKeyId: 'ASIAEXAMPLEKEYID0001',
          sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEROLEID', arn: `arn:aws:iam::${o.account}:role/${caller.role}`, accountId: o.account, userName: caller.role }, attributes: { creationDate: '2026-11-22T08:00:00Z', mfaAuthenticated: 'false' } },
        }
      : caller === 'root'
        ? { type: 'Root', principalId: o.account, arn: `arn:aws:iam::${o.account}:root`, accountId: o.account, accessKeyId: 'ASIAEXAMPLEKEYID0002' }
        : { type: 'IAMUser', principalId: 'AIDAEXAMPLEUSERID01', arn: `arn:aws:iam::${o.account}:user/${caller}`, accountId: o.account, accessKeyId: 'ASIAEXAMPLEKEYID0003', userName: caller, sessionContext: { attributes: { creationDate: '2026-11-22T08:00:00Z', mfaAuthenticated: 'true' } } };
  return {
    eventVersion: '1.08',
    userIdentity,
    eventTime: o.time ?? '2026-11-22T09:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName,
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.13.5 Python/3.11.4 Linux/6.1 exe/x86_64 command/iam',
    requestParameters: o.requestParameters === undefined ? null : o.requestParameters,
    responseElements: o.responseElements === undefined ? null : o.responseElements,
    ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: `User is not authorized to perform: iam:${eventName}` } : {}),
    requestID: randomUUID(),
    eventID: o.eventId ?? randomUUID(),
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: o.account,
    eventCategory: 'Management',
  };
}

/** An IAM API call wrapped as EventBridge delivers it ("AWS API Call via CloudTrail", source aws.iam). */
export function iamCallMessage(eventName: string, o: IamCallOptions): string {
  return eventBridgeEvent('AWS API Call via CloudTrail', 'aws.iam', iamCall(eventName, o));
}

/** A ConsoleLogin wrapped as EventBridge delivers it ("AWS Console Sign In via CloudTrail", source aws.signin). */
export function signInMessage(o: SignInOptions): string {
  return eventBridgeEvent('AWS Console Sign In via CloudTrail', 'aws.signin', consoleLogin(o));
}
