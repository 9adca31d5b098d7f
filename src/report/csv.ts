/**
 * CSV (RFC 4180) with formula-injection protection: provider data is hostile, and a login such as
 * `=HYPERLINK("https://evil", "x")` must not run when the report is opened in a spreadsheet. Per
 * OWASP (https://owasp.org/www-community/attacks/CSV_Injection), a cell that starts with `=`, `+`,
 * `-`, `@`, a tab or a carriage return gets a leading single quote, and every cell with a quote,
 * comma or line break is quoted with its quotes doubled.
 */
import type { ReportAccount } from './model.js';

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell, neutralised and quoted as needed. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (CRLF-terminated, as RFC 4180 says). */
export function csvLine(values: ReadonlyArray<string | number | boolean | null>): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** The column names of the accounts CSV (the JSON keys, camelCase). */
export const ACCOUNT_COLUMNS = ['monitorId', 'scope', 'accountId', 'login', 'email', 'displayName', 'kind', 'admin', 'mfa', 'factors', 'firstSeen', 'changedAt', 'withoutMfaSince'] as const;

/** One account as a CSV line; `factors` joined with spaces. */
export function accountCsvLine(a: ReportAccount): string {
  return csvLine([a.monitorId, a.scope, a.accountId, a.login, a.email, a.displayName, a.kind, a.admin, a.mfa, a.factors.join(' '), a.firstSeen, a.changedAt, a.withoutMfaSince]);
}
