/**
 * What mfawatch reads of one IAM user or of the root user, shared by the live scan and by
 * `readAccount` (the verification of an event), so that a verified reading is exactly what the
 * next scan of the same mode sees: the same ARN, kind, MFA state, factors and credentials. A
 * reading that differed from the scan would flap the account between the two on every event.
 *
 * Credential ids (Observation.credentials; a new id is `credential_added`):
 *   "password"                 a console password (login profile)
 *   "access_key:<AccessKeyId>" an Active access key, in live mode (ListAccessKeys)
 *   "access_key_1" / "_2"      an Active key in that slot, in report mode: the credential report
 *                              has access_key_1_active / access_key_2_active but no key ids, so
 *                              readAccount in report mode names keys by their place in
 *                              ListAccessKeys, as the report does.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccessKeys.html
 */
import {
  GetAccountSummaryCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListVirtualMFADevicesCommand,
  type AccessKeyMetadata,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ProviderError } from '../../src/core/errors.js';
import type { MfaState, Observation } from '../../src/core/types.js';
import { awsErrorCode, PROVIDER } from '../../src/aws/errors.js';

/** An IAM client acting in one AWS account. */
export interface IamSession {
  accountId: string;
  /** aws, aws-cn or aws-us-gov: the ARN partition of the account. */
  partition: string;
  iam: IAMClient;
}

/** How a read calls IAM: the signal, and the monitor's classification of a failed action. */
export interface IamCalls {
  signal: AbortSignal;
  /** Runs one IAM call; a failure becomes the monitor's ProviderError for `action`. */
  call<T>(action: string, run: () => Promise<T>): Promise<T>;
  /** Called when iam:ListAccessKeys is denied (the reading then has no credentials). */
  onKeysDenied?(): void;
}

/** How one scan mode reads MFA and credentials. */
export type ReadMode = 'report' | 'live';

/** The MFA and credential part of an IAM user's observation. */
export interface UserCredentialReading {
  mfa: MfaState;
  factors: string[];
  /** Undefined when iam:ListAccessKeys is not allowed (credentials not tracked; see `onKeysDenied`). */
  credentials: string[] | undefined;
}

/** Largest page of the per-user listings (a user has at most 8 MFA devices and 2 access keys). */
const USER_PAGE = 100;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** The AWS console's host for an ARN's partition. */
export function consoleBase(arn: string): string | null {
  const partition = arn.split(':')[1];
  if (partition === 'aws') return 'https://console.aws.amazon.com';
  if (partition === 'aws-cn') return 'https://console.amazonaws.cn';
  if (partition === 'aws-us-gov') return 'https://console.amazonaws-us-gov.com';
  return null;
}

/** The factor a device's serial number reveals: virtual (authenticator app), FIDO security key or hardware TOTP token. */
export function factorOfSerial(serial: string): string {
  if (/^arn:aws[a-z-]*:iam::\d{12}:mfa\//.test(serial)) return 'virtual';
  if (/^arn:aws[a-z-]*:iam::\d{12}:u2f\//.test(serial)) return 'security_key';
  return 'hardware_totp';
}

/** A user's email: the configured tag's value when it is one, else a user name that is an email. */
export function emailOf(userName: string, tagged: string | undefined): string | null {
  return tagged ?? (EMAIL.test(userName) ? userName.toLowerCase() : null);
}

/** A tag value that is an email, lower-cased; undefined otherwise. */
export function taggedEmail(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v && EMAIL.test(v) ? v.toLowerCase() : undefined;
}

/** An IAM user's observation. */
export function userObservation(name: string, arn: string, reading: UserCredentialReading, email: string | null, admin: boolean): Observation {
  const base = consoleBase(arn);
  return {
    accountId: arn, login: name, email, kind: 'iam_user', admin, mfa: reading.mfa, factors: reading.factors,
    url: base ? `${base}/iam/home#/users/details/${encodeURIComponent(name)}` : null,
    ...(reading.credentials ? { credentials: reading.credentials } : {}),
  };
}

/** The root user's observation (always admin; its credentials are not tracked). */
export function rootObservation(arn: string, mfa: MfaState, factors: string[]): Observation {
  const base = consoleBase(arn);
  return { accountId: arn, login: 'root', kind: 'root', admin: true, mfa, factors, url: base ? `${base}/iam/home#/security_credentials` : null };
}

/**
 * The list of a listing answer. IAM always sends the element, empty or not (`<Users/>`); an
 * answer without it is not one mfawatch can read. Read as "no entries", it would drop a page of
 * users (reported removed) or a user's devices (reported as MFA disabled).
 */
export function listIn<T>(list: T[] | undefined, action: string, element: string, account: string): T[] {
  if (list === undefined) {
    throw new ProviderError(`IAM ${action} in account ${account} answered without its ${element} list`, { reason: 'malformed', provider: PROVIDER, hint: 'a proxy may be rewriting answers, or the endpoint is not IAM; nothing was committed' });
  }
  return list;
}

/** Whether a NoSuchEntity answer (the IAM user, or its login profile, does not exist). */
export function isNoSuchEntity(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code === 'NoSuchEntity' || code === 'NoSuchEntityException';
}

/** Whether the user has a console password (GetLoginProfile; NoSuchEntity means none). */
async function hasPassword(s: IamSession, c: IamCalls, name: string): Promise<boolean> {
  try {
    await s.iam.send(new GetLoginProfileCommand({ UserName: name }), { abortSignal: c.signal });
    return true;
  } catch (err) {
    if (isNoSuchEntity(err)) return false;
    return c.call('iam:GetLoginProfile', () => Promise.reject(err));
  }
}

/** The user's MFA devices' factors, in IAM's order. */
async function factors(s: IamSession, c: IamCalls, name: string): Promise<string[]> {
  const out = await c.call('iam:ListMFADevices', () => s.iam.send(new ListMFADevicesCommand({ UserName: name, MaxItems: USER_PAGE }), { abortSignal: c.signal }));
  return listIn(out.MFADevices, 'ListMFADevices', 'MFADevices', s.accountId).map((d) => factorOfSerial(d.SerialNumber ?? ''));
}

/**
 * The user's access keys, in IAM's order (active or not: report mode names keys by their place);
 * null when iam:ListAccessKeys is denied. Live mode needed no such permission before credentials
 * were tracked: an existing policy without it keeps its scans working, without credentials.
 */
async function accessKeys(s: IamSession, c: IamCalls, name: string): Promise<AccessKeyMetadata[] | null> {
  let out;
  try {
    out = await s.iam.send(new ListAccessKeysCommand({ UserName: name, MaxItems: USER_PAGE }), { abortSignal: c.signal });
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'AccessDenied' || code === 'AccessDeniedException') {
      c.onKeysDenied?.();
      return null;
    }
    return c.call('iam:ListAccessKeys', () => Promise.reject(err));
  }
  const keys = listIn(out.AccessKeyMetadata, 'ListAccessKeys', 'AccessKeyMetadata', s.accountId);
  if (out.IsTruncated) {
    throw new ProviderError(`IAM ListAccessKeys in account ${s.accountId} listed more than ${USER_PAGE} keys for ${name}`, { reason: 'malformed', provider: PROVIDER, hint: 'IAM allows 2 access keys per user; check "endpoint"; nothing was committed' });
  }
  return keys;
}

/**
 * MFA and credentials of one IAM user, as the scan of `mode` sees them:
 * - live: GetLoginProfile, ListAccessKeys and, for console users, ListMFADevices (factor detail);
 * - report: the same calls, shaped as the credential report's row would be (no factor detail,
 *   keys by slot). API-only users (no console password) are `not_applicable` with no factors.
 */
export async function readUserCredentials(s: IamSession, c: IamCalls, name: string, mode: ReadMode): Promise<UserCredentialReading> {
  // One call at a time per user: the scan's concurrency (4 users) is the number of calls in flight.
  const password = await hasPassword(s, c, name);
  const keys = await accessKeys(s, c, name);
  const keyIds =
    keys === null
      ? null
      : mode === 'live'
        ? keys.filter((k) => k.Status === 'Active' && k.AccessKeyId).map((k) => `access_key:${k.AccessKeyId}`)
        : keys.slice(0, 2).flatMap((k, i) => (k.Status === 'Active' ? [`access_key_${i + 1}`] : []));
  const credentials = keyIds === null ? undefined : [...(password ? ['password'] : []), ...keyIds];
  if (!password) return { mfa: 'not_applicable', factors: [], credentials };
  const devices = await factors(s, c, name);
  return { mfa: devices.length ? 'enabled' : 'disabled', factors: mode === 'live' ? devices : [], credentials };
}

/** Credential ids of a credential report row (report mode). */
export function reportCredentials(passwordEnabled: boolean | null, keysActive: readonly boolean[] | null): string[] | undefined {
  if (keysActive === null) return undefined;
  return [...(passwordEnabled ? ['password'] : []), ...keysActive.flatMap((active, i) => (active ? [`access_key_${i + 1}`] : []))];
}

/** Whether root has MFA (GetAccountSummary's AccountMFAEnabled), and the summary's user count. */
export async function accountSummary(s: IamSession, c: IamCalls): Promise<{ rootMfa: boolean; users: number | undefined }> {
  const summary = await c.call('iam:GetAccountSummary', () => s.iam.send(new GetAccountSummaryCommand({}), { abortSignal: c.signal }));
  const rootMfa = summary.SummaryMap?.AccountMFAEnabled;
  if (rootMfa === undefined) {
    throw new ProviderError(`IAM GetAccountSummary in account ${s.accountId} has no AccountMFAEnabled entry`, { reason: 'malformed', provider: PROVIDER, hint: 'nothing was committed' });
  }
  return { rootMfa: rootMfa > 0, users: summary.SummaryMap?.Users };
}

/** Every assigned virtual MFA device's owner ARN (ListVirtualMFADevices, 1,000 per call). */
export async function virtualDeviceOwners(s: IamSession, c: IamCalls): Promise<Set<string>> {
  const owners = new Set<string>();
  let marker: string | undefined;
  do {
    const out = await c.call('iam:ListVirtualMFADevices', () =>
      s.iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned', MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }), { abortSignal: c.signal }),
    );
    for (const d of listIn(out.VirtualMFADevices, 'ListVirtualMFADevices', 'VirtualMFADevices', s.accountId)) if (d.User?.Arn) owners.add(d.User.Arn);
    marker = out.IsTruncated ? out.Marker : undefined;
    if (out.IsTruncated && !marker) {
      throw new ProviderError(`IAM ListVirtualMFADevices in account ${s.accountId} said IsTruncated without a Marker`, { reason: 'malformed', provider: PROVIDER, hint: 'the listing cannot be completed; nothing was committed' });
    }
  } while (marker);
  return owners;
}

/** The root user's observation from GetAccountSummary; in live mode its factor kind from the virtual devices. */
export function rootReading(arn: string, rootMfa: boolean, mode: ReadMode, virtualOwners: ReadonlySet<string> | null): Observation {
  if (mode === 'report' || !rootMfa) return rootObservation(arn, rootMfa ? 'enabled' : 'disabled', []);
  return rootObservation(arn, 'enabled', [virtualOwners?.has(arn) ? 'virtual' : 'hardware']);
}
