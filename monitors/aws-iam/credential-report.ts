/**
 * The IAM credential report: a CSV with one row per IAM user plus the `<root_account>` row.
 * Parsing is strict: a report that is cut off, has a missing column, a row of the wrong width or
 * a value outside the documented set is refused as a whole (the scan then commits nothing).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
 */

/** The columns mfawatch reads; others (dates, certificates) are ignored. */
const REQUIRED_COLUMNS = ['user', 'arn', 'password_enabled', 'mfa_active'] as const;
/** Access key columns, read for Observation.credentials when the report has them (AWS's always does). */
const KEY_COLUMNS = ['access_key_1_active', 'access_key_2_active'] as const;

/** The user name AWS gives the root row. */
export const ROOT_ROW_USER = '<root_account>';

/** One row as mfawatch reads it. */
export interface ReportRow {
  user: string;
  arn: string;
  /** The row of the account's root user. */
  root: boolean;
  /** `TRUE`/`FALSE` for IAM users; `not_supported` (null here) for the root row, always. */
  passwordEnabled: boolean | null;
  mfaActive: boolean;
  /** access_key_1_active, access_key_2_active; null when the report lacks those columns. */
  accessKeysActive: [boolean, boolean] | null;
}

/** Why a report could not be read; the message names the line. */
export class ReportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportFormatError';
  }
}

/**
 * Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes and newlines).
 * Throws when a quoted field is never closed: the report was cut off.
 */
function* csvRecords(text: string): Generator<{ fields: string[]; line: number }> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let i = 0;
  let fieldStarted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === '' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      fields.push(field);
      yield { fields, line: start };
      fields = [];
      field = '';
      fieldStarted = false;
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      line += 1;
      start = line;
    } else {
      field += c;
      fieldStarted = true;
    }
    i += 1;
  }
  if (quoted) throw new ReportFormatError(`line ${start}: a quoted field is never closed (the report is truncated)`);
  if (fieldStarted || fields.length > 0) {
    fields.push(field);
    yield { fields, line: start };
  }
}

function bool(value: string, column: string, line: number, allowed: readonly string[]): boolean | null {
  if (value === 'TRUE' || value === 'true') return true;
  if (value === 'FALSE' || value === 'false') return false;
  if (allowed.includes(value)) return null;
  throw new ReportFormatError(`line ${line}: ${column} is ${JSON.stringify(value.slice(0, 40))}, expected TRUE or FALSE${allowed.length ? ` or ${allowed.join(', ')}` : ''}`);
}

/**
 * IAM user names may contain commas ("+=,.@_-" are allowed). Should AWS write such a name
 * unquoted, its row has 2k extra fields: k in `user` and the same k in `arn` (which ends with the
 * name). Rejoins them when, and only when, the result is exactly that shape; otherwise returns
 * the fields unchanged and the width check refuses the row.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html (UserName pattern)
 */
function rejoinCommaInName(fields: string[], width: number, index: ReadonlyMap<string, number>): string[] {
  const extra = fields.length - width;
  if (extra <= 0 || extra % 2 !== 0 || index.get('user') !== 0 || index.get('arn') !== 1) return fields;
  const k = extra / 2;
  const user = fields.slice(0, k + 1).join(',');
  const arn = fields.slice(k + 1, 2 * k + 2).join(',');
  if (!arn.endsWith(`/${user}`) || !ARN.test(arn)) return fields;
  return [user, arn, ...fields.slice(2 * k + 2)];
}

const ARN = /^arn:aws[a-z-]*:iam::(\d{12}):(root|user\/.+)$/;

/**
 * Parses a whole report. `accountId`, when given, must be the account of every ARN (a report of
 * another account would otherwise be stored under this one).
 */
export function parseCredentialReport(csv: string, accountId?: string): ReportRow[] {
  const records = csvRecords(csv.replace(/^\uFEFF/, ''));
  const first = records.next();
  if (first.done) throw new ReportFormatError('the report is empty (not even a header line)');
  const header = first.value.fields.map((h) => h.trim());
  const index = new Map(header.map((h, i) => [h, i]));
  const missing = REQUIRED_COLUMNS.filter((c) => !index.has(c));
  if (missing.length) throw new ReportFormatError(`the header line lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (found: ${header.slice(0, 10).join(',')}${header.length > 10 ? ',…' : ''})`);
  const col = (fields: string[], name: (typeof REQUIRED_COLUMNS)[number] | (typeof KEY_COLUMNS)[number]) => fields[index.get(name) as number] as string;
  const hasKeys = KEY_COLUMNS.every((c) => index.has(c));

  const rows: ReportRow[] = [];
  const seen = new Set<string>();
  let roots = 0;
  for (const record of records) {
    const { line } = record;
    if (record.fields.length === 1 && record.fields[0] === '') continue; // a blank line (the trailing newline)
    const fields = rejoinCommaInName(record.fields, header.length, index);
    if (fields.length !== header.length) {
      throw new ReportFormatError(`line ${line}: ${fields.length} fields where the header has ${header.length} (the report is truncated or malformed)`);
    }
    const user = col(fields, 'user');
    const arn = col(fields, 'arn');
    const m = ARN.exec(arn);
    if (!user || !m) throw new ReportFormatError(`line ${line}: ${!user ? 'empty user name' : `arn ${JSON.stringify(arn.slice(0, 80))} is not an IAM user or root ARN`}`);
    if (accountId && m[1] !== accountId) throw new ReportFormatError(`line ${line}: arn belongs to account ${m[1]}, not ${accountId}`);
    const root = user === ROOT_ROW_USER;
    if (root !== (m[2] === 'root')) throw new ReportFormatError(`line ${line}: user ${JSON.stringify(user)} does not match arn ${arn}`);
    if (seen.has(arn)) throw new ReportFormatError(`line ${line}: ${arn} is listed twice`);
    seen.add(arn);
    if (root) roots += 1;
    rows.push({
      user,
      arn,
      root,
      // The root row says not_supported: the root user's password is not an IAM login profile.
      passwordEnabled: bool(col(fields, 'password_enabled'), 'password_enabled', line, root ? ['not_supported'] : []),
      mfaActive: bool(col(fields, 'mfa_active'), 'mfa_active', line, []) as boolean,
      accessKeysActive: hasKeys ? [bool(col(fields, 'access_key_1_active'), 'access_key_1_active', line, []) as boolean, bool(col(fields, 'access_key_2_active'), 'access_key_2_active', line, []) as boolean] : null,
    });
  }
  // AWS always lists the root user first; a report without it is not a whole report.
  if (roots !== 1) throw new ReportFormatError(roots === 0 ? 'the report has no <root_account> row (it is truncated or not an IAM credential report)' : 'the report has more than one <root_account> row');
  return rows;
}
