/**
 * Turns AWS SDK errors into ProviderErrors whose message says what happened and what to do, for
 * the aws-iam monitor and the aws-iam responder alike. Messages are built from the AWS error
 * code, the HTTP status and the IAM/STS action mfawatch was calling; AWS's own message is added
 * only for codes where it carries no principal or key.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
 */
import { ProviderError, reasonForStatus } from '../core/errors.js';

/** Display name in messages, events and `status`. */
export const PROVIDER = 'AWS IAM';

/** Who made the call, for the advice in messages: a scan and a kill recover differently. */
export interface AwsCaller {
  /** Where the operator reads on: "see monitors/aws-iam/README.md". */
  readme: string;
  /** What happens after a transient failure: "the scan will run again on schedule". */
  again: string;
  /** The config keys that bound waiting: "requestTimeout/scanDeadline". */
  timeouts: string;
  /** What the operator can do about throttling: "raise maxAttempts or scan less often". */
  throttling: string;
  /** What aborts a call: "scan deadline or shutdown". */
  aborts: string;
  /** Said of a failed call that changed nothing: "nothing was committed". */
  unchanged: string;
}

/** What an SDK v3 service exception looks like from outside. */
interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: unknown;
}

const AUTH_CODES = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'IncompleteSignature', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'MissingAuthenticationToken', 'AuthFailure', 'RequestExpired']);
const THROTTLE_CODES = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'SlowDown']);
const DENIED_CODES = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/**
 * Classifies an error thrown by an IAM or STS call.
 * @param action the IAM/STS action, e.g. "iam:GetCredentialReport"
 * @param account the AWS account (or role) concerned, for the message
 * @param caller whose call it was, for the advice
 */
export function classifyAwsError(err: unknown, action: string, account: string, caller: AwsCaller): ProviderError {
  const README = caller.readme;
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const code = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const where = `${action} in account ${account}`;
  const base = { provider: PROVIDER, status, cause: err };

  if (code === 'CredentialsProviderError' || (status === undefined && /Could not load credentials|Unable to find|credentials? (?:provider|chain)/i.test(e.message ?? ''))) {
    return new ProviderError(`no AWS credentials were found for ${where}`, {
      ...base, reason: 'auth',
      hint: `mfawatch uses the SDK's default provider chain: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "profile" (SSO: run aws sso login), or run with an instance/task role (${README})`,
    });
  }
  if (DENIED_CODES.has(code)) {
    return new ProviderError(`AWS denied ${where} (${code})`, { ...base, reason: 'permission', hint: `allow ${action} in the policy of the identity mfawatch runs as (${README}, "IAM policy")` });
  }
  if (AUTH_CODES.has(code)) {
    return new ProviderError(`AWS rejected the credentials for ${where} (${code})`, {
      ...base, reason: 'auth', hint: code.startsWith('Expired') ? 'the session expired: refresh it (aws sso login) or use a role whose credentials renew themselves' : `check the access key, profile or role mfawatch runs with (${README})`,
    });
  }
  if (THROTTLE_CODES.has(code) || status === 429) {
    return new ProviderError(`AWS throttled ${where} (${code || status}) and the SDK's retries ran out`, { ...base, reason: 'rate_limited', hint: `another tool may be calling IAM heavily; ${caller.again} (${caller.throttling})` });
  }
  if (code === 'TimeoutError' || code === 'RequestTimeout' || code === 'RequestTimeoutException' || (status === undefined && e.code === 'ETIMEDOUT')) {
    return new ProviderError(`AWS did not answer ${where} in time`, { ...base, reason: 'timeout', hint: `check connectivity to the IAM/STS endpoints, or raise ${caller.timeouts}` });
  }
  if (code === 'AbortError') {
    return new ProviderError(`${where} was aborted (${caller.aborts})`, { ...base, reason: 'aborted' });
  }
  if (status === undefined && (NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(code) || /socket|ECONN|EAI_AGAIN|network/i.test(e.message ?? ''))) {
    return new ProviderError(`could not reach AWS for ${where} (${e.code ?? code})`, { ...base, reason: 'network', hint: 'check the endpoint, DNS, proxy and firewall' });
  }
  if (status !== undefined && status >= 200 && status < 300) {
    // The SDK could not read a 2xx answer: a body cut off or not the AWS Query XML.
    return new ProviderError(`AWS answered ${where} with a body mfawatch cannot read`, { ...base, reason: 'malformed', hint: `a proxy may be cutting or rewriting answers, or the endpoint is not IAM/STS; ${caller.unchanged}` });
  }
  if (code === 'SyntaxError' || (status === undefined && /Deserialization error|char |Unexpected end|not well-formed|XML/i.test(e.message ?? ''))) {
    return new ProviderError(`AWS answered ${where} with a body mfawatch cannot read`, { ...base, reason: 'malformed', hint: `a proxy may be cutting or rewriting answers; ${caller.unchanged}` });
  }
  if (status !== undefined && status >= 500) {
    return new ProviderError(`AWS returned ${status}${code ? ` (${code})` : ''} for ${where} after retries`, { ...base, reason: 'server', hint: `AWS is having trouble (https://health.aws.amazon.com); ${caller.again}` });
  }
  if (status !== undefined) {
    return new ProviderError(`AWS returned ${status}${code ? ` (${code})` : ''} for ${where}`, { ...base, reason: reasonForStatus(status), hint: README });
  }
  return new ProviderError(`${where} failed: ${code || 'unknown error'}${e.message ? ` (${e.message.slice(0, 200)})` : ''}`, { ...base, reason: 'network', hint: README });
}

/** The AWS error code of an SDK error ('' when none). */
export function awsErrorCode(err: unknown): string {
  return (err as SdkErrorLike | undefined)?.name ?? '';
}
